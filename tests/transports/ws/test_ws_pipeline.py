"""Pipelined ws sends: several in flight, replies in request order, reading held at the bound."""

from __future__ import annotations

import asyncio
import json

from rtspike.transports.ws.pipeline import ReplyPipeline
from tests.contract.conftest import Harness, Node
from tests.transports.ws.conftest import recv_json
from tests.transports.ws.test_ws_protocol import SUP1, authed


async def _after(gate: asyncio.Event, frame: bytes) -> bytes:
    await gate.wait()
    return frame


async def _boom() -> bytes:
    raise RuntimeError("no")


async def test_replies_leave_in_request_order_whatever_order_sends_finish() -> None:
    out: list[bytes] = []
    pipe = ReplyPipeline(8, out.append, lambda exc: b"crash:" + type(exc).__name__.encode())
    gates = [asyncio.Event() for _ in range(3)]
    for i, gate in enumerate(gates):
        pipe.submit(_after(gate, b"ack%d" % i))
    pipe.reply(b"pong")
    pipe.submit(_boom())
    for gate in reversed(gates):
        gate.set()
        await asyncio.sleep(0)
    await pipe.finish()
    assert out == [b"ack0", b"ack1", b"ack2", b"pong", b"crash:RuntimeError"]


async def test_reading_is_held_while_the_bound_is_in_flight() -> None:
    out: list[bytes] = []
    pipe = ReplyPipeline(2, out.append, lambda exc: b"crash")
    gate = asyncio.Event()
    pipe.submit(_after(gate, b"a"))
    pipe.submit(_after(gate, b"b"))
    waiter = asyncio.ensure_future(pipe.wait_room())
    await asyncio.sleep(0.05)
    assert not waiter.done() and pipe.in_flight == 2
    gate.set()
    await asyncio.wait_for(waiter, 5)
    await pipe.finish()
    assert out == [b"a", b"b"]


async def test_a_burst_of_sends_is_acked_once_each_in_order(harness: Harness, node: Node) -> None:
    ws, _ = await authed(harness, node, SUP1)
    n = 40
    for i in range(n):
        msg = {"broadcast": True, "body": f"b{i}", "client_msg_id": f"pipe-{i}"}
        await ws.send(json.dumps({"type": "message.send", "id": i, "message": msg}))
    acks: list[int] = []
    seqs: list[int] = []
    while len(acks) < n:
        frame = await recv_json(ws)
        if frame["type"] == "ack":
            acks.append(frame["id"])
            seqs.append(frame["message"]["seq"])
    assert acks == list(range(n)), "acks leave in request order"
    assert seqs == sorted(seqs) and len(set(seqs)) == n, "one log entry each, in send order"
    await ws.close()
