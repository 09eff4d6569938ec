"""The fault proxy on its own, against a loopback echo server: it passes, it really blackholes
(bytes stop both ways, every socket stays open, the same connection carries on afterwards), it
resets both sides, it delays, and it resets clients whose upstream is down."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest

from rtspike.scenarios.faultproxy import FaultProxy, Mode
from rtspike.scenarios.orchestrate import free_port


@dataclass
class Echo:
    """Echoes every chunk and stamps when it arrived; counts connections it holds open."""

    server: asyncio.Server
    arrivals: list[tuple[float, bytes]] = field(default_factory=list)
    open: int = 0
    got: asyncio.Event = field(default_factory=asyncio.Event)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.open += 1
        try:
            while data := await reader.read(4096):
                self.arrivals.append((time.monotonic(), data))
                self.got.set()
                writer.write(data)
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            self.open -= 1
            writer.close()

    @property
    def port(self) -> int:
        port: int = self.server.sockets[0].getsockname()[1]
        return port


@pytest.fixture
async def echo() -> AsyncIterator[Echo]:
    e = Echo(server=None)  # type: ignore[arg-type]
    e.server = await asyncio.start_server(e.handle, "127.0.0.1", 0)
    yield e
    e.server.close()


@pytest.fixture
async def proxy(echo: Echo) -> AsyncIterator[FaultProxy]:
    p = FaultProxy(echo.port)
    await p.start()
    yield p
    await p.stop()


async def connect(proxy: FaultProxy) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_connection("127.0.0.1", proxy.port)


async def test_pass_forwards_both_ways(proxy: FaultProxy) -> None:
    r, w = await connect(proxy)
    w.write(b"hello")
    assert await asyncio.wait_for(r.readexactly(5), 5) == b"hello"
    assert proxy.forwarded == {"up": 5, "down": 5}
    w.close()


async def test_blackhole_stops_bytes_both_ways_and_keeps_sockets_open(
    proxy: FaultProxy, echo: Echo
) -> None:
    r, w = await connect(proxy)
    w.write(b"a")
    assert await asyncio.wait_for(r.readexactly(1), 5) == b"a"
    proxy.set_mode(Mode.BLACKHOLE)
    w.write(b"during")
    await w.drain()
    await asyncio.sleep(0.3)
    assert echo.open == 1 and proxy.open_pairs == 1  # nobody saw a FIN or RST
    assert not w.is_closing() and not r.at_eof()
    unblocked_at = time.monotonic()
    proxy.set_mode(Mode.PASS)
    # the same connection carries on: the bytes held during the blackhole arrive only now
    assert await asyncio.wait_for(r.readexactly(6), 5) == b"during"
    assert [data for _, data in echo.arrivals] == [b"a", b"during"]
    assert echo.arrivals[1][0] >= unblocked_at
    w.close()


async def test_blackhole_holds_a_fin_and_new_connections(proxy: FaultProxy, echo: Echo) -> None:
    r, w = await connect(proxy)
    w.write(b"x")
    await asyncio.wait_for(r.readexactly(1), 5)
    proxy.set_mode(Mode.BLACKHOLE)
    w.write_eof()
    r2, w2 = await connect(proxy)
    w2.write(b"new")
    await asyncio.sleep(0.3)
    assert echo.open == 1  # the FIN was not passed on, the new connection not forwarded
    unblocked_at = time.monotonic()
    proxy.set_mode(Mode.PASS)
    assert await asyncio.wait_for(r2.readexactly(3), 5) == b"new"
    assert echo.arrivals[-1][0] >= unblocked_at
    assert await asyncio.wait_for(r.read(), 5) == b""  # the held FIN arrives and ends the echo
    w2.close()


async def test_reset_sends_rst_to_both_sides(proxy: FaultProxy, echo: Echo) -> None:
    r, w = await connect(proxy)
    w.write(b"x")
    await asyncio.wait_for(r.readexactly(1), 5)
    proxy.set_mode(Mode.RESET)
    with pytest.raises(ConnectionResetError):
        await asyncio.wait_for(r.read(), 5)
    for _ in range(100):
        if echo.open == 0:
            break
        await asyncio.sleep(0.05)
    assert echo.open == 0
    r2, _ = await connect(proxy)
    with pytest.raises((ConnectionResetError, asyncio.IncompleteReadError)):
        await asyncio.wait_for(r2.readexactly(1), 5)


async def test_delay_holds_each_chunk(proxy: FaultProxy) -> None:
    r, w = await connect(proxy)
    proxy.set_mode(Mode.DELAY, delay_s=0.2)
    t0 = time.monotonic()
    w.write(b"late")
    assert await asyncio.wait_for(r.readexactly(4), 5) == b"late"
    assert time.monotonic() - t0 >= 0.4  # delayed once on the way up and once down
    w.close()


async def test_upstream_down_resets_the_client() -> None:
    p = FaultProxy(free_port())
    await p.start()
    try:
        r, w = await asyncio.open_connection("127.0.0.1", p.port)
        w.write(b"x")
        with pytest.raises((ConnectionResetError, asyncio.IncompleteReadError)):
            await asyncio.wait_for(r.readexactly(1), 5)
    finally:
        await p.stop()


def test_refuses_non_loopback_upstream() -> None:
    with pytest.raises(ValueError, match="loopback"):
        FaultProxy(80, "10.0.0.1")
