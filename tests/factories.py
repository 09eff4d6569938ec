"""Events built by hand for tests that exercise a component without a log."""

from __future__ import annotations

from rtspike.transports.core.envelope import MessageEvent


def make_event(
    seq: int,
    stream: str = "lga:lga-01",
    epoch: str = "e1",
    *,
    mid: str | None = None,
    body: str | None = None,
    lga_id: str = "lga-01",
) -> MessageEvent:
    return MessageEvent(
        id=mid or f"{epoch}-{stream}-{seq}",
        stream=stream,
        seq=seq,
        epoch=epoch,
        sender="s",
        sender_role="supervisor",
        recipient=None,
        lga_id=lga_id,
        body=body if body is not None else f"{stream}#{seq}",
        client_msg_id=f"c{seq}",
        sent_at=1.0,
    )
