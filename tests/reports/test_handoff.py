"""The hand-off: taken whole at bench time into handoff.json, rendered from the run folder alone,
for the story's Node/Express + React stack as well as rtspike's Python stack."""

from __future__ import annotations

import json
import re
import shutil
from html import unescape
from pathlib import Path

from rtspike.reports.handoff import FILE, GUIDANCE
from rtspike.reports.render import render_report
from rtspike.scenarios.cases.bundle import locked_versions
from rtspike.scenarios.excerpts import balanced, js_excerpt, python_excerpt
from tests.reports.conftest import write_run
from tests.reports.test_render import text_of

STORY_FILES = [
    "apps/api/src/index.ts",
    "apps/api/src/realtime/index.ts",
    "apps/api/src/realtime/auth.ts",
    "apps/api/src/realtime/rooms.ts",
    "apps/web/src/hooks/useRealtimeConnection.ts",
    "apps/web/src/components/RealtimeStatusBanner.tsx",
    "apps/web/src/features/dashboard/pages/SupervisorMessagesPage.tsx",
]


def plain(html: str) -> str:
    return unescape(text_of(html))


def handoff_html(html: str) -> str:
    return html[
        html.index('<section id="handoff">') : html.index(
            "</section>", html.index('<section id="handoff">')
        )
    ]


def test_npm_names_and_exact_versions_for_browser_and_node_server(
    rendered: dict[str, Path],
) -> None:
    locked = locked_versions()
    text = plain(handoff_html(rendered["a"].read_text()))
    for package in ("socket.io", "socket.io-client", "ws", "react", "react-dom"):
        assert re.search(rf"\b{re.escape(package)} {re.escape(locked[package])}\b", text), package
    assert locked["react"].startswith("18.")
    assert "no npm package: the browser's EventSource" in text
    assert "no npm package: an Express route writing text/event-stream" in text


def test_attach_point_auth_placement_hook_and_story_files(rendered: dict[str, Path]) -> None:
    html = handoff_html(rendered["a"].read_text())
    text = plain(html)
    assert "http.createServer(app)" in text
    assert "new Server(server" in html and "new WebSocketServer({ noServer: true" in html
    assert "SessionService.getUserSession(userId)" in text  # step 5 of the auth
    assert text.count(GUIDANCE) >= 6
    assert "export function useRealtimeConnection(" in html
    for path in STORY_FILES:
        assert path in text, path
    assert "REALTIME_ENABLED=false" in text  # the rollback is a feature flag
    assert "remove the registry line" not in text.lower()


def test_every_excerpt_is_complete(rendered: dict[str, Path]) -> None:
    data = json.loads((rendered["a_dir"] / FILE).read_text())
    seen = 0
    for info in data["transports"].values():
        for stack in ("python", "node"):
            for items in info[stack]["excerpts"].values():
                for x in items:
                    assert not x["missing"], x
                    assert "more lines in" not in x["code"]
                    if x["language"] == "javascript":
                        assert balanced(x["code"]), x["path"]
                    else:
                        compile(x["code"], x["path"], "exec")
                    seen += 1
    assert seen >= 20


def test_report_renders_from_the_run_folder_alone(
    rendered: dict[str, Path], tmp_path: Path
) -> None:
    """A copy of the folder elsewhere renders the same hand-off: nothing is read from the repo."""
    copy = shutil.copytree(rendered["a_dir"], tmp_path / "elsewhere")
    data = json.loads((copy / FILE).read_text())
    data["transports"]["ws"]["node"]["attach"] = "// marker-from-the-folder"
    (copy / FILE).write_text(json.dumps(data))
    assert "marker-from-the-folder" in render_report(copy).read_text()


def test_older_folder_without_snapshot_says_so(tmp_path: Path) -> None:
    folder = write_run(tmp_path / "old", "old")
    (folder / FILE).unlink()
    text = plain(render_report(folder).read_text())
    assert "has no handoff.json" in text


def test_js_excerpt_takes_the_whole_function_or_reports_missing(tmp_path: Path) -> None:
    src = tmp_path / "a.js"
    src.write_text(
        "// helper\nexport function f({ a = {} }) {\n  if (a) {\n    return `}`;\n  }\n}\n\n"
        "export function g() {\n  return 1;\n"
    )
    whole = js_excerpt(tmp_path, "a.js", "f")
    assert (whole.start, whole.end) == (1, 6) and whole.code.endswith("  }\n}")
    assert js_excerpt(tmp_path, "a.js", "g").missing  # never closed: never cut
    assert python_excerpt(tmp_path, "nope.py", "x").missing
