"""Every registered transport is complete: a spec with every part resolvable, so adding one
that lacks a Locust user, a browser entry or a lean receiver fails here (its facts are checked
in tests/reports/test_facts.py)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from rtspike.scenarios import peers
from rtspike.transports import registry
from rtspike.transports.clients.base import RealtimeClient
from rtspike.transports.server.demo import WEB_DIR, entries, page_data
from rtspike.transports.spec import TransportSpec, Upstream, resolve
from tests.conftest import require

ROOT = Path(__file__).resolve().parents[1]
STAND_IN = "{ origin: 'http://127.0.0.1' }"
"""``location`` for the probe modules in node (they read the page's origin when loaded)."""


@pytest.fixture(params=registry.names())
def spec(request: pytest.FixtureRequest) -> TransportSpec:
    return registry.spec(str(request.param))


def test_asyncio_parts_resolve(spec: TransportSpec) -> None:
    assert issubclass(spec.load_client(), RealtimeClient)
    assert callable(spec.load_mount())
    receiver = resolve(spec.lean_receiver)
    assert isinstance(receiver, type) and callable(receiver.connect)
    assert spec.paths and all(p.startswith("/") and not p.startswith("/api/") for p in spec.paths)
    assert spec.label and spec.lean_kind and spec.locust_client
    assert isinstance(spec.upstream, Upstream)


def test_browser_entries_exist(spec: TransportSpec) -> None:
    own = registry.folder(spec.name)
    for entry in (spec.browser_client, spec.browser_entry, spec.react_entry):
        assert (own / entry).is_file(), f"{spec.name}: no browser file {entry}"
    built = entries()
    assert Path(built[spec.name]["src"]).is_file()
    assert Path(built[f"react-{spec.name}"]["src"]).is_file()


@pytest.fixture(scope="module")
def probe_tables() -> dict[str, dict[str, Any]]:
    """What each transport's probe module exports, as the probe bundle's entry imports it:
    bundled by esbuild (npm packages left to node) and run in node with a stand-in location."""
    node, esbuild = shutil.which("node"), WEB_DIR / "node_modules" / ".bin" / "esbuild"
    require(None if node and esbuild.exists() else "node or esbuild missing: run `make web`")
    assert node is not None
    modules = entries()["probe"]["transports"]
    lines = [f"import * as t{i} from {json.dumps(m)};" for i, m in enumerate(modules.values())]
    shown = ", ".join(
        f"{json.dumps(n)}: {{ ours: typeof t{i}.ours, native: Object.keys(t{i}.native) }}"
        for i, n in enumerate(modules)
    )
    lines.append(f"console.log(JSON.stringify({{ {shown} }}));")
    bundled = subprocess.run(
        [
            *(str(esbuild), "--bundle", "--platform=node", "--packages=external"),
            *("--log-level=error", f"--banner:js=globalThis.location = {STAND_IN};"),
        ],
        input="\n".join(lines),
        cwd=WEB_DIR,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    # node runs the bundle from transports/web, so the npm packages resolve from node_modules
    out = subprocess.run(
        [node, "-"], input=bundled.stdout, cwd=WEB_DIR, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr[-2000:]
    tables: dict[str, dict[str, Any]] = json.loads(out.stdout.strip().splitlines()[-1])
    return tables


def test_native_clients_have_their_probe_code(
    spec: TransportSpec, probe_tables: dict[str, dict[str, Any]]
) -> None:
    """The native and proxy scenarios drive ``<transport>/<client>`` on the probe page: the
    transport's own probe module has the connect code of each, and its adapter for ``ours``."""
    if spec.native_clients:
        assert spec.name in probe_tables, f"{spec.name}: native clients but no browser_probe"
        table = probe_tables[spec.name]
        assert table["ours"] == "function"
        assert sorted(table["native"]) == sorted(n.name for n in spec.native_clients)
        assert spec.infra.origin_client in {n.name for n in spec.native_clients}
        assert spec.infra.nginx_location, f"{spec.name}: no documented proxy config"


def test_every_transport_has_a_locust_user() -> None:
    """Resolved in a child process: Locust's import monkey-patches the interpreter."""
    code = (
        "import json; from rtspike.loadtests.locustfile import USERS; "
        "print(json.dumps({n: c.kind for n, c in USERS.items()}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr[-2000:]
    users = json.loads(out.stdout.strip().splitlines()[-1])
    assert sorted(users) == sorted(s.locust_class_name for s in registry.specs())
    assert len(set(users.values())) == len(users), "two users report under one kind"


def test_names_and_paths_do_not_collide() -> None:
    specs = registry.specs()
    paths = [p for s in specs for p in s.paths]
    assert len(set(paths)) == len(paths)
    assert len({s.label for s in specs}) == len(specs)
    assert "rest" not in registry.names()  # the REST baseline's name on the page and in metrics


def test_the_demo_page_lists_every_transport() -> None:
    data = page_data()
    assert [t["name"] for t in data["transports"]] == registry.names()
    assert data["default"] in registry.names()


def test_baselines_live_in_their_transports_folder(spec: TransportSpec) -> None:
    """``bench peers`` starts each from its transport's folder; Node ones need the web
    package's lockfile to pin what they require."""
    folder = registry.folder(spec.name)
    package = json.loads((WEB_DIR / "package.json").read_text())
    deps = {**package["dependencies"], **package["devDependencies"]}
    for b in spec.baselines:
        assert b.entry.startswith("baselines/") and (folder / b.entry).is_file(), b.entry
        assert b.entry.endswith((".py", ".cjs")), b.entry
        npm = peers.npm_packages(folder / b.entry) if b.node else []
        assert b.node == bool(npm) and set(npm) <= set(deps), b.name


def test_tail_references_pair_two_registered_transports() -> None:
    assert registry.TAIL_REFERENCES
    for name, ref in registry.TAIL_REFERENCES.items():
        assert {name, ref} <= set(registry.names()) and name != ref
        assert registry.tail_reference(name) == ref


def test_a_node_baselines_packages_are_read_from_its_requires(tmp_path: Path) -> None:
    script = tmp_path / "b.cjs"
    script.write_text(
        'const http = require("node:http");\nconst { Server } = require("socket.io");\n'
        "const x = require('@scope/pkg/sub');\nconst y = require(\"./local\");\n"
        'const { WebSocketServer } = require("ws");\n'
    )
    assert peers.npm_packages(script) == ["@scope/pkg", "socket.io", "ws"]


def test_baseline_names_are_unique_and_no_transports() -> None:
    """A target is known by its name in the bench's runs and in results' ``case``."""
    names = [b.name for s in registry.specs() for b in s.baselines]
    assert len(set(names)) == len(names)
    assert not set(names) & {*registry.names(), "rtspike"}


def test_rest_upstream_comes_from_the_specs() -> None:
    expected = {s.name for s in registry.specs() if s.upstream is Upstream.REST}
    assert registry.rest_upstream() == {"rest", *expected}


def test_a_wrong_registration_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(registry.TRANSPORTS, "other", registry.TRANSPORTS[registry.names()[0]])
    with pytest.raises(ValueError, match="registered as 'other'"):
        registry.spec("other")
    with pytest.raises(KeyError, match="unknown transport"):
        registry.spec("nope")
