"""Without Chromium, Playwright or nginx the browser scenarios say what to install and the run
completes."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.scenarios.invariants import rows


async def test_without_chromium_or_nginx_the_cells_say_not_measured(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The run completes and says what to install (no browser or nginx is started)."""
    from rtspike.scenarios import browser, nginx
    from rtspike.scenarios.runner import run_bench

    monkeypatch.setattr(browser, "CHROMIUM", tmp_path / "no-chromium")
    monkeypatch.setattr(browser.shutil, "which", lambda _name: None)
    monkeypatch.setattr(nginx, "NGINX", tmp_path / "no-nginx")
    folder = await run_bench("tiny", ["ws"], ["native", "proxy"], None, tmp_path / "out")
    notes = {
        (r["scenario"], r["note"])
        for r in rows(folder, "metrics.csv")
        if r["metric"] == "not_measured"
    }
    assert ("native", browser.missing()) in notes
    assert {s for s, _ in notes} == {"native", "proxy"}
    assert all("not measured: install chromium" in n for _, n in notes)
