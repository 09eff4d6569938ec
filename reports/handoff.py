"""The hand-off package for the recommended transport, built from this repository's own files.

Code excerpts are located at render time (a definition found by name with `ast`, or the head of
a JavaScript file), so the guidance cannot drift from the code it describes. A file that does
not exist yet is reported as missing rather than papered over.
"""

from __future__ import annotations

import ast
import json
import textwrap
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rtspike.reports.loader import Run, find_version

REPO_ROOT = Path(__file__).resolve().parents[1]
SPEC = Path(__file__).with_name("handoff.toml")


@dataclass
class Excerpt:
    path: str
    title: str
    code: str = ""
    start: int = 0
    end: int = 0
    missing: str = ""


@dataclass
class Handoff:
    transport: str
    name: str
    versions: list[dict[str, str]]
    excerpts: dict[str, list[Excerpt]]
    touchpoints: list[dict[str, Any]]
    tests: list[dict[str, Any]]
    rollback: list[str]
    bundle: dict[str, float | None]
    non_goals: list[str] = field(default_factory=list)
    triggers: list[str] = field(default_factory=list)


def load_spec(path: Path = SPEC) -> dict[str, Any]:
    return tomllib.loads(path.read_text())


def _find(body: list[ast.stmt], dotted: str) -> ast.AST | None:
    head, _, rest = dotted.partition(".")
    for node in body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and (
            node.name == head
        ):
            if not rest:
                return node
            return _find(node.body, rest) if isinstance(node, ast.ClassDef) else None
        targets = (
            node.targets
            if isinstance(node, ast.Assign)
            else [node.target]
            if isinstance(node, ast.AnnAssign)
            else []
        )
        if not rest and any(isinstance(t, ast.Name) and t.id == head for t in targets):
            return node
    return None


def _containing(tree: ast.Module, needle: str) -> ast.AST | None:
    """First function (module level or method) whose name contains ``needle``."""
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and needle in node.name:
            return node
    return None


def _span(node: ast.AST) -> tuple[int, int]:
    decorators = getattr(node, "decorator_list", [])
    start = min([node.lineno, *(d.lineno for d in decorators)])  # type: ignore[attr-defined]
    return start, int(node.end_lineno or node.lineno)  # type: ignore[attr-defined]


def _outline(node: ast.ClassDef, lines: list[str]) -> str:
    """Class header, docstring and method signatures: the API, without the bodies."""
    first = node.body[0]
    doc_end = first.end_lineno if isinstance(first, ast.Expr) else node.lineno
    out = lines[_span(node)[0] - 1 : doc_end or node.lineno]
    for item in node.body:
        if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef) and (
            not item.name.startswith("_") or item.name == "__init__"
        ):
            start = _span(item)[0]
            out += ["", *lines[start - 1 : item.body[0].lineno - 1]]
            doc = item.body[0]
            if isinstance(doc, ast.Expr) and isinstance(doc.value, ast.Constant):
                out += lines[doc.lineno - 1 : doc.end_lineno]
            out.append(" " * (item.col_offset + 4) + "...")
    return "\n".join(out)


def _module_outline(tree: ast.Module, lines: list[str]) -> str:
    """Module docstring, then each public top-level function and class as signatures."""
    parts = []
    doc = ast.get_docstring(tree)
    if doc:
        parts.append('"""' + doc.strip().splitlines()[0] + '"""')
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            parts.append(_outline(node, lines))
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and not node.name.startswith(
            "_"
        ):
            start = _span(node)[0]
            parts.append("\n".join([*lines[start - 1 : node.body[0].lineno - 1], "    ..."]))
    return "\n\n".join(parts)


def excerpt(root: Path, spec: dict[str, Any], transport: str, max_lines: int = 45) -> Excerpt:
    rel = str(spec["path"]).replace("{t}", transport)
    path = root / rel
    what = spec.get("name") or (
        f"first function named *{spec['contains']}*"
        if "contains" in spec
        else "module outline: public signatures"
        if spec.get("outline")
        else f"first {spec.get('lines', 40)} lines"
    )
    found = Excerpt(rel, str(what))
    if not path.exists():
        found.missing = f"{rel} does not exist in this checkout"
        return found
    text = path.read_text()
    lines = text.splitlines()
    if path.suffix != ".py":
        count = int(spec.get("lines", 40))
        found.code, found.start, found.end = "\n".join(lines[:count]), 1, min(count, len(lines))
        return found
    tree = ast.parse(text)
    if spec.get("outline") and "name" not in spec:
        found.code, found.start, found.end = _module_outline(tree, lines), 1, len(lines)
        return found
    node = (
        _find(tree.body, spec["name"])
        if "name" in spec
        else _containing(tree, str(spec.get("contains", "")))
    )
    if node is None:
        found.missing = f"{what} not found in {rel}"
        return found
    found.start, found.end = _span(node)
    if spec.get("outline") and isinstance(node, ast.ClassDef):
        found.code = textwrap.dedent(_outline(node, lines))
        found.title += " (outline: signatures and docstrings)"
        return found
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        found.title = node.name
    body = lines[found.start - 1 : found.end]
    if len(body) > max_lines:
        body = [*body[:max_lines], f"    # ... {len(body) - max_lines} more lines in {rel}"]
    found.code = textwrap.dedent("\n".join(body))
    return found


def count_tests(path: Path) -> int:
    tree = ast.parse(path.read_text())
    return sum(
        1
        for n in ast.walk(tree)
        if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and n.name.startswith("test_")
    )


def versions(run: Run, spec: dict[str, Any], root: Path) -> list[dict[str, str]]:
    rows = []
    package_json = root / "transports" / "web" / "package.json"
    pins: dict[str, str] = {}
    if package_json.exists():
        pins = json.loads(package_json.read_text()).get("dependencies", {})
    for kind in ("python", "npm"):
        for package in spec.get(kind, []):
            found = find_version(run.manifest, package)
            source = "manifest.json of this run"
            if found is None and package in pins:
                found, source = pins[package], "transports/web/package.json (not in manifest)"
            rows.append(
                {
                    "ecosystem": "PyPI" if kind == "python" else "npm",
                    "package": package,
                    "version": found or "not recorded",
                    "source": source if found else "not in manifest.json",
                }
            )
    return rows


def bundle_figures(run: Run, transport: str) -> dict[str, float | None]:
    rows = run.summary_rows()
    rows = rows[(rows["scenario"] == "bundle") & (rows["transport"] == transport) & rows["valid"]]
    get = {str(m): float(v) for m, v in zip(rows["metric"], rows["value"], strict=True)}
    gzip, added = get.get("gzip_bytes"), get.get("gzip_added_bytes")
    return {
        "min_bytes": get.get("min_bytes"),
        "brotli_bytes": get.get("brotli_bytes"),
        "gzip_after": gzip,
        "gzip_added": added,
        "gzip_before": gzip - added if gzip is not None and added is not None else None,
    }


def build_handoff(
    run: Run, transport: str, root: Path = REPO_ROOT, spec_path: Path = SPEC
) -> Handoff:
    spec = load_spec(spec_path)
    info = spec.get("transports", {}).get(transport, {})
    sections = {
        name: [excerpt(root, s, transport) for s in items]
        for name, items in spec.get("excerpts", {}).items()
    }
    touch = []
    for t in spec.get("touchpoints", []):
        rel = str(t["path"]).replace("{t}", transport)
        p = root / rel
        lines = len(p.read_text().splitlines()) if p.is_file() else None
        touch.append({**t, "path": rel, "exists": p.is_file(), "lines": lines})
    tests = []
    for t in spec.get("tests", []):
        p = root / str(t["path"])
        tests.append({**t, "exists": p.is_file(), "count": count_tests(p) if p.is_file() else 0})
    return Handoff(
        transport,
        str(info.get("name", transport)),
        versions(run, info, root),
        sections,
        touch,
        tests,
        list(spec.get("rollback", [])),
        bundle_figures(run, transport),
        list(spec.get("non_goals", [])),
        list(spec.get("triggers", [])),
    )
