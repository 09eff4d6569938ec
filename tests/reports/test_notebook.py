"""notebooks/explore.ipynb runs top to bottom on a small results folder."""

from __future__ import annotations

import json
import os
from pathlib import Path

import nbformat
import pytest
from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
from nbclient import NotebookClient

from tests.reports.conftest import write_run

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "explore.ipynb"


def test_notebook_executes_and_draws_two_charts(rendered: dict[str, Path], tmp_path: Path) -> None:
    try:
        KernelSpecManager().get_kernel_spec("python3")
    except NoSuchKernel:
        pytest.fail("no 'python3' kernel spec: run `make venv` (ipykernel in the venv)")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    params = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    params.source = f"RESULTS_DIR = {str(rendered['a_dir'])!r}"
    NotebookClient(
        nb, kernel_name="python3", timeout=120, resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) == 2
    printed = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert "run-a | profile: quick | transports: socketio, sse, ws" in printed


def run_notebook(cwd: Path, results_dir: Path | None) -> tuple[list, str]:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    params = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    params.source = f"RESULTS_DIR = {None if results_dir is None else str(results_dir)!r}"
    NotebookClient(
        nb, kernel_name="python3", timeout=120, resources={"metadata": {"path": str(cwd)}}
    ).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"], outputs
    printed = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    return outputs, printed


def test_notebook_takes_the_newest_complete_run_and_tolerates_missing_scenarios(
    tmp_path: Path,
) -> None:
    """The newest folder is an interrupted run (manifest complete: false) and must be passed
    over; the run it takes has neither latency histograms nor fan-out series."""
    out = tmp_path / "reports" / "out"
    older = write_run(out / "20261201T080000Z-aaaaaa", "older")
    for table in ("series.csv", "histograms.csv"):  # keep the header only: scenarios not run
        path = older / table
        path.write_text(path.read_text().splitlines()[0] + "\n")
    newer = write_run(out / "20261201T090000Z-bbbbbb", "newer")
    manifest = json.loads((newer / "manifest.json").read_text())
    (newer / "manifest.json").write_text(json.dumps({**manifest, "complete": False}))
    os.utime(older, (0, 0))  # the older run is also the older by mtime: ids decide, not mtimes
    outputs, printed = run_notebook(tmp_path, None)
    assert "20261201T080000Z-aaaaaa | profile:" in printed
    assert "no latency histograms in this run" in printed
    assert "no fan-out series in this run" in printed
    assert not [o for o in outputs if "image/png" in o.get("data", {})]
