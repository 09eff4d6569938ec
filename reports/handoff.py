"""The hand-off package: per transport, rtspike's own Python stack and the story's Node/Express +
React stack side by side.

The bench takes it (``rtspike.scenarios.handoff.write_snapshot``) into ``handoff.json`` in the
results folder: complete code excerpts, exact npm versions from the web lockfile, test counts.
The report reads only that file (`load_handoff`), so it renders from the run folder alone and
shows the code as it was when the figures were measured.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rtspike.reports.loader import Run, find_version

SPEC = Path(__file__).with_name("handoff.toml")
FILE = "handoff.json"
GUIDANCE = "guidance, not measured here"


def load_spec(path: Path = SPEC) -> dict[str, Any]:
    return tomllib.loads(path.read_text())


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


def names(
    transports: list[str], short: bool = False, spec: Mapping[str, Any] | None = None
) -> dict[str, str]:
    """Each transport's name from handoff.toml (``short``: its table name); a transport without
    an entry is named by its key."""
    entries = (spec or load_spec())["transports"]
    out = {}
    for t in transports:
        entry = entries.get(t, {})
        out[t] = str((entry.get("short") if short else None) or entry.get("name") or t)
    return out


def servers(transports: list[str], spec: Mapping[str, Any] | None = None) -> dict[str, list[str]]:
    """The server packages behind ``transports``, each once, in order: ``python`` is what this
    benchmark measured, ``node`` what the story's Express server would add."""
    entries = (spec or load_spec())["transports"]
    found: dict[str, list[str]] = {"python": [], "node": []}
    for t in transports:
        entry = entries.get(t, {})
        for stack, key in (("python", "python_server"), ("node", "node_server")):
            found[stack] += [p for p in entry.get(key, []) if p not in found[stack]]
    return found


def handoff_context(run: Run, winner: str | None) -> dict[str, Any]:
    """The template's hand-off variables: the recommended transport first, then the rest."""
    found = load_handoff(run)
    order = sorted(found.transports, key=lambda t: (t != winner, run.transports.index(t)))
    return {
        "handoffs": found,
        "handoff": found.transports.get(winner) if winner else None,
        "handoff_order": order,
        # the name recorded with the run, else today's handoff.toml, else the key
        "handoff_names": names(run.transports) | {t: h.name for t, h in found.transports.items()},
    }
