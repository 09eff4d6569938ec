"""Servers a run starts: a port lost to another process between picking it and binding it."""

from __future__ import annotations

from pathlib import Path

import aiohttp
from aiohttp import web

from rtspike.scenarios.processes import PortTaken, ServerProcess, free_port
from tests.conftest import TEST_SECRET

ENV = {"RTSPIKE_JWT_SECRET": TEST_SECRET, "RTSPIKE_SEED_LGAS": "1", "RTSPIKE_SEED_ENUMERATORS": "1"}


async def _impostor(port: int) -> web.AppRunner:
    """Somebody else's server on the port: healthy, but not ours."""

    async def healthz(_: web.Request) -> web.Response:
        return web.json_response({"status": "ok", "node": "node-impostor"})

    app = web.Application()
    app.router.add_get("/api/v1/healthz", healthz)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner


async def test_a_first_start_that_loses_its_port_moves_to_a_free_one(tmp_path: Path) -> None:
    taken = free_port()
    impostor = await _impostor(taken)
    srv = ServerProcess("ws", tmp_path / "srv", dict(ENV), port=taken)
    try:
        await srv.start()
        assert srv.port != taken and srv.running and srv.starts == 2
        async with aiohttp.ClientSession() as s:
            async with s.get(f"{srv.base_url}/api/v1/healthz") as r:
                assert (await r.json())["node"] == f"node-{srv.pid}", "the answer is ours"
    finally:
        await srv.stop()
        await impostor.cleanup()


async def test_a_restart_keeps_its_port_and_says_when_it_is_gone(tmp_path: Path) -> None:
    srv = ServerProcess("ws", tmp_path / "srv", dict(ENV))
    await srv.start()
    port = srv.port
    srv.kill()
    impostor = await _impostor(port)
    try:
        try:
            await srv.start()
        except PortTaken as exc:
            assert "already in use" in str(exc)
        else:
            raise AssertionError("a restart on a taken port must fail, not measure the impostor")
        assert srv.port == port
    finally:
        await srv.stop()
        await impostor.cleanup()
