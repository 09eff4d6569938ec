"""Every registered transport is complete: a spec with every part resolvable, so adding one
that lacks a Locust user, a browser entry or a lean receiver fails here (its facts are checked
in tests/reports/test_facts.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from rtspike.transports import registry
from rtspike.transports.clients.base import RealtimeClient
from rtspike.transports.server.demo import WEB_DIR, entries, page_data
from rtspike.transports.spec import TransportSpec, Upstream, resolve

ROOT = Path(__file__).resolve().parents[1]


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


def test_native_clients_have_their_probe_code(spec: TransportSpec) -> None:
    """The native and proxy scenarios drive ``<transport>/<client>`` from probe.js."""
    probe = (WEB_DIR / "src" / "probe.js").read_text()
    for native in spec.native_clients:
        assert f'"{spec.name}/{native.name}"' in probe, f"no {spec.name}/{native.name} in probe.js"
    if spec.native_clients:
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


def test_rest_upstream_comes_from_the_specs() -> None:
    expected = {s.name for s in registry.specs() if s.upstream is Upstream.REST}
    assert registry.rest_upstream() == {"rest", *expected}


def test_a_wrong_registration_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(registry.TRANSPORTS, "other", registry.TRANSPORTS[registry.names()[0]])
    with pytest.raises(ValueError, match="registered as 'other'"):
        registry.spec("other")
    with pytest.raises(KeyError, match="unknown transport"):
        registry.spec("nope")
