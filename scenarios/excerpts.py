"""Complete code excerpts from this repository, taken at bench time into the run folder.

A Python definition is found by dotted name with `ast` and copied whole (decorators to the last
line), or as an outline (signatures and docstrings) when asked; a JavaScript function or file is
copied whole. Nothing is ever cut mid-function: an excerpt that cannot be taken whole is
reported as missing instead.
"""

from __future__ import annotations

import ast
import re
import textwrap
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any


@dataclass
class Excerpt:
    path: str
    title: str
    language: str = "python"
    code: str = ""
    start: int = 0
    end: int = 0
    missing: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


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


def _span(node: ast.AST) -> tuple[int, int]:
    decorators = getattr(node, "decorator_list", [])
    start = min([node.lineno, *(d.lineno for d in decorators)])  # type: ignore[attr-defined]
    return start, int(node.end_lineno or node.lineno)  # type: ignore[attr-defined]


def _outline(node: ast.ClassDef, lines: list[str]) -> str:
    """Class header, docstring and public method signatures: the API, without the bodies."""
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


def python_excerpt(root: Path, rel: str, name: str, outline: bool = False) -> Excerpt:
    found = Excerpt(rel, name + (" (outline: signatures and docstrings)" if outline else ""))
    path = root / rel
    if not path.is_file():
        found.missing = f"{rel} does not exist in this checkout"
        return found
    lines = path.read_text().splitlines()
    node = _find(ast.parse("\n".join(lines)).body, name)
    if node is None:
        found.missing = f"{name} not found in {rel}"
        return found
    found.start, found.end = _span(node)
    if outline and isinstance(node, ast.ClassDef):
        found.code = textwrap.dedent(_outline(node, lines))
    else:
        found.code = textwrap.dedent("\n".join(lines[found.start - 1 : found.end]))
    return found


_STRINGS = re.compile(
    r"""//[^\n]*|/\*.*?\*/|`(?:\\.|[^`\\])*`|"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*'""", re.S
)


def balanced(code: str) -> bool:
    """Braces and parentheses balance once strings and comments are blanked out."""
    bare = _STRINGS.sub("", code)
    return bare.count("{") == bare.count("}") and bare.count("(") == bare.count(")")


def js_excerpt(root: Path, rel: str, name: str | None = None) -> Excerpt:
    """The whole top-level ``export function name`` (prettier style: it ends at the first
    column-0 ``}``), or the whole file when no name is given."""
    found = Excerpt(rel, name or "whole file", "javascript")
    path = root / rel
    if not path.is_file():
        found.missing = f"{rel} does not exist in this checkout"
        return found
    lines = path.read_text().splitlines()
    if name is None:
        found.code, found.start, found.end = "\n".join(lines), 1, len(lines)
        return found
    head = re.compile(rf"^export (?:async )?function {re.escape(name)}\b")
    start = next((i for i, line in enumerate(lines) if head.match(line)), None)
    end = next((i for i in range(start or 0, len(lines)) if lines[i] == "}"), None)
    if start is None or end is None:
        found.missing = f"function {name} not found whole in {rel}"
        return found
    while start > 0 and lines[start - 1].lstrip().startswith(("//", "/*", "*")):
        start -= 1
    code = "\n".join(lines[start : end + 1])
    if not balanced(code):
        found.missing = f"function {name} in {rel} could not be taken whole"
        return found
    found.code, found.start, found.end = code, start + 1, end + 1
    return found


def count_tests(path: Path) -> int:
    if path.suffix != ".py":
        return len(re.findall(r"^(?:async )?def test_|^\s*test\(", path.read_text(), re.M))
    tree = ast.parse(path.read_text())
    return sum(
        1
        for n in ast.walk(tree)
        if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and n.name.startswith("test_")
    )
