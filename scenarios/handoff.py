"""Bench-time snapshot of the hand-off (``handoff.json`` in the results folder): for every
transport, whole code excerpts of rtspike's Python stack and of the browser/React code, exact npm
versions from ``transports/web/package-lock.json``, the story's touchpoints, test counts, and
the size of the files rtspike wrote per protocol feature. The report reads only this file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rtspike.reports.adr import rtspike_files
from rtspike.reports.handoff import FILE, SPEC, load_spec
from rtspike.scenarios.cases.bundle import locked_versions
from rtspike.scenarios.excerpts import Excerpt, count_tests, js_excerpt, python_excerpt
from rtspike.transports import registry

REPO_ROOT = Path(__file__).resolve().parents[1]
SCHEMA = 1


def _excerpt(root: Path, item: dict[str, Any], transport: str) -> Excerpt:
    rel = str(item["path"]).replace("{t}", transport)
    if rel.endswith((".js", ".jsx")):
        return js_excerpt(root, rel, item.get("name"))
    return python_excerpt(root, rel, str(item["name"]), bool(item.get("outline")))


def _browser_client(root: Path, item: dict[str, Any], transport: str) -> Excerpt:
    """The function handoff.toml names, in the file the adapter's spec says is its browser
    client (the adapter's folder is the one place that knows where its browser code is)."""
    path = registry.folder(transport) / registry.spec(transport).browser_client
    rel = path.relative_to(root.resolve())
    return js_excerpt(root, str(rel), item.get("name"))


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
    node["browser_client"] = [_browser_client(root, info["browser_client"], t).to_dict()]
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
