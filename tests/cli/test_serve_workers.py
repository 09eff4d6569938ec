"""`rtspike serve --workers N`: refused without Redis in one sentence that says what to do; with
Redis, N processes answer on one port and a broadcast reaches every receiver exactly once."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from rtspike.cli import main
from rtspike.scenarios.benches.fanout import measure
from rtspike.scenarios.orchestrate import Orchestrator
from rtspike.scenarios.processes import free_port
from tests.conftest import require


def test_more_than_one_worker_without_redis_is_refused_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("RTSPIKE_DATA_DIR", str(tmp_path))
    for name in ("RTSPIKE_STORE_URL", "RTSPIKE_LOG_URL", "RTSPIKE_BUS_URL"):
        monkeypatch.delenv(name, raising=False)
    assert main(["serve", "--workers", "2", "--port", str(free_port())]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "--workers 2 needs the store, log and bus on Redis" in err
    assert "RTSPIKE_STORE_URL, RTSPIKE_LOG_URL, RTSPIKE_BUS_URL" in err
    assert "or run one worker" in err


@pytest.mark.timeout(300)
async def test_two_workers_on_redis_deliver_every_broadcast_exactly_once(tmp_path: Path) -> None:
    require(None if shutil.which("redis-server") else "redis-server is missing: run `make redis`")
    orch = Orchestrator(tmp_path)
    try:
        redis = await orch.redis_server()
        settings = {"store_url": redis.url, "log_url": redis.url, "bus_url": redis.url}
        res = await measure("ws", 30, 10, tmp_path / "w2", orch, workers=2, settings=settings)
    finally:
        await orch.stop_all()
    assert res["workers"] == 2
    assert res["delivered"] == res["expected"] == 300
    assert res["duplicated"] == 0
