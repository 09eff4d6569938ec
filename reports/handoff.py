"""The hand-off package: per transport, rtspike's own Python stack and the story's Node/Express +
React stack side by side.

Taken at bench time (`write_snapshot`) into ``handoff.json`` in the results folder: complete code
excerpts, exact npm versions from ``transports/web/package-lock.json``, test counts. The report
reads only that file (`load_handoff`), so it renders from the run folder alone and shows the code
as it was when the figures were measured.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rtspike.reports.adr import rtspike_files
from rtspike.reports.excerpts import Excerpt, count_tests, js_excerpt, python_excerpt
from rtspike.reports.loader import Run, find_version
from rtspike.scenarios.cases.bundle import locked_versions

REPO_ROOT = Path(__file__).resolve().parents[1]
SPEC = Path(__file__).with_name("handoff.toml")
FILE = "handoff.json"
GUIDANCE = "guidance, not measured here"
SCHEMA = 1


def load_spec(path: Path = SPEC) -> dict[str, Any]:
    return tomllib.loads(path.read_text())


def _excerpt(root: Path, item: dict[str, Any], transport: str) -> Excerpt:
    rel = str(item["path"]).replace("{t}", transport)
    if rel.endswith((".js", ".jsx")):
        return js_excerpt(root, rel, item.get("name"))
    return python_excerpt(root, rel, str(item["name"]), bool(item.get("outline")))


def _packages(names: list[str], locked: dict[str, str]) -> list[dict[str, str]]:
    return [{"package": n, "version": locked.get(n, "not locked")} for n in names]


def _transport(root: Path, spec: dict[str, Any], t: str, locked: dict[str, str]) -> dict[str, Any]:
    info = spec["transports"][t]
    py = {
        k: [_excerpt(root, x, t).to_dict() for x in v] for k, v in spec["python_excerpts"].items()
    }
    py["auth"].append(_excerpt(root, info["python_auth"], t).to_dict())
    node = {
        k: [_excerpt(root, x, t).to_dict() for x in v] for k, v in spec["node_excerpts"].items()
    }
    node["browser_client"] = [_excerpt(root, info["browser_client"], t).to_dict()]
    return {
        "name": info["name"],
        "python": {"packages": list(info.get("python", [])), "excerpts": py},
        "node": {
            "server_packages": _packages(list(info.get("node_server", [])), locked),
            "server_note": info.get("node_server_note", ""),
            "browser_packages": _packages([*info.get("browser", []), "react", "react-dom"], locked),
            "browser_note": info.get("browser_note", ""),
            "attach": info["attach"].strip("\n"),
            "auth_hook": info["auth_hook"],
            "handshake": list(info["handshake"]),
            "excerpts": node,
        },
        "touchpoints": [{"path": x["path"], "action": x[t]} for x in spec["touchpoints"]],
    }


def _lines(path: Path) -> int | None:
    """Non-blank lines: what a feature cost rtspike to write."""
    return (
        sum(1 for line in path.read_text().splitlines() if line.strip()) if path.is_file() else None
    )


def snapshot(root: Path = REPO_ROOT, spec_path: Path = SPEC) -> dict[str, Any]:
    """Everything the hand-off shows, for every transport in the spec, taken now."""
    spec = load_spec(spec_path)
    locked = locked_versions(root / "transports" / "web")
    tests = [
        {**x, "count": count_tests(root / x["path"]) if (root / x["path"]).is_file() else 0}
        for x in spec["tests"]["python"]
    ]
    return {
        "schema": SCHEMA,
        "lockfile": "transports/web/package-lock.json",
        "auth_steps": list(spec["auth_steps"]),
        "transports": {t: _transport(root, spec, t, locked) for t in spec["transports"]},
        "rollback": spec["rollback"],
        "lines": {p: _lines(root / p) for p in rtspike_files()},
        "tests": {"python": tests, "node": list(spec["tests"]["node"])},
    }


def write_snapshot(folder: Path, root: Path = REPO_ROOT) -> Path:
    target = Path(folder) / FILE
    target.write_text(json.dumps(snapshot(root), indent=2) + "\n", encoding="utf-8")
    return target


@dataclass
class Handoff:
    """What the template shows: one transport's two stacks, plus the run's bundle figures."""

    transport: str
    name: str
    python: dict[str, Any]
    node: dict[str, Any]
    touchpoints: list[dict[str, str]]
    bundle: dict[str, float | None]
    python_versions: list[dict[str, str]] = field(default_factory=list)


@dataclass
class HandoffSet:
    recorded: bool
    transports: dict[str, Handoff]
    auth_steps: list[str]
    rollback: dict[str, Any]
    tests: dict[str, list[dict[str, Any]]]
    lockfile: str = ""
    lines: dict[str, int] = field(default_factory=dict)


def bundle_figures(run: Run, transport: str) -> dict[str, float | None]:
    rows = run.summary_rows()
    rows = rows[(rows["scenario"] == "bundle") & (rows["transport"] == transport) & rows["valid"]]
    get = {str(m): float(v) for m, v in zip(rows["metric"], rows["value"], strict=True)}
    gzip, added = get.get("gzip_bytes"), get.get("gzip_added_bytes")
    react_base, react_added = (
        get.get("react_baseline_gzip_bytes"),
        get.get("react_gzip_added_bytes"),
    )
    return {
        "min_bytes": get.get("min_bytes"),
        "brotli_bytes": get.get("brotli_bytes"),
        "brotli_added": get.get("brotli_added_bytes"),
        "gzip_after": gzip,
        "gzip_added": added,
        "gzip_before": gzip - added if gzip is not None and added is not None else None,
        "react_gzip_before": react_base,
        "react_gzip_added": react_added,
        "react_brotli_added": get.get("react_brotli_added_bytes"),
        "react_min_added": get.get("react_min_added_bytes"),
    }


def load_handoff(run: Run) -> HandoffSet:
    """The hand-off as recorded in this run folder; `recorded` is False for older folders."""
    path = run.folder / FILE
    if not path.is_file():
        return HandoffSet(False, {}, [], {}, {})
    data = json.loads(path.read_text())
    out = {}
    for t in run.transports:
        info = data["transports"].get(t)
        if info is None:
            continue
        pyv = [
            {"package": p, "version": find_version(run.manifest, p) or "not recorded"}
            for p in info["python"]["packages"]
        ]
        out[t] = Handoff(
            t,
            info["name"],
            info["python"],
            info["node"],
            info["touchpoints"],
            bundle_figures(run, t),
            pyv,
        )
    return HandoffSet(
        True,
        out,
        data["auth_steps"],
        data["rollback"],
        data["tests"],
        data.get("lockfile", ""),
        {k: v for k, v in data.get("lines", {}).items() if v is not None},
    )


def handoff_context(run: Run, winner: str | None) -> dict[str, Any]:
    """The template's hand-off variables: the recommended transport first, then the rest."""
    found = load_handoff(run)
    order = sorted(found.transports, key=lambda t: (t != winner, run.transports.index(t)))
    return {
        "handoffs": found,
        "handoff": found.transports.get(winner) if winner else None,
        "handoff_order": order,
        "handoff_names": {t: h.name for t, h in found.transports.items()},
    }
