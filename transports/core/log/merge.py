"""The one interleaving rule every log backend shares, so that they answer alike."""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable, Iterable
from typing import TypeVar

from rtspike.transports.core.envelope import MessageEvent

T = TypeVar("T")


def _sent_at(event: MessageEvent) -> float:
    return event.sent_at


def merge_streams(
    per_stream: Iterable[list[T]],
    limit: int,
    key: Callable[[T], float] = _sent_at,  # type: ignore[assignment]
) -> list[T]:
    """Interleave seq-ordered stream slices by send time and keep the first ``limit``.

    ``heapq.merge`` never reorders within one input, so whatever the cut, the result holds a
    prefix of every stream's slice: a reader can advance its cursor per stream and ask again
    without skipping anything. ``key`` lets a backend merge raw rows and build events only for
    what it keeps.
    """
    if limit <= 0:
        return []
    return list(itertools.islice(heapq.merge(*per_stream, key=key), limit))
