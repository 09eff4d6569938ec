"""Rates per client: token buckets per sender (a misbehaving client cannot flood its team),
failure windows (login guessing) and log budgets (a flood of refused frames logs a summary)."""

from __future__ import annotations

from collections import OrderedDict


class RateLimiter:
    def __init__(self, rate_per_s: float, burst: int, max_keys: int = 100_000) -> None:
        self.rate = rate_per_s
        self.burst = float(burst)
        self._buckets: dict[str, tuple[float, float]] = {}
        self._max_keys = max_keys

    def allow(self, key: str, now: float) -> bool:
        tokens, last = self._buckets.get(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        if tokens < 1.0:
            self._buckets[key] = (tokens, now)
            return False
        if len(self._buckets) >= self._max_keys and key not in self._buckets:
            self._buckets.clear()
        self._buckets[key] = (tokens - 1.0, now)
        return True


class FailureThrottle:
    """Failures per key in a fixed window; a key with ``limit`` failures is refused until the
    window ends (login guessing: per login name and per client address). Keys are bounded:
    the oldest window is forgotten first."""

    def __init__(self, limit: int, window_s: float, max_keys: int = 100_000) -> None:
        self.limit = limit
        self.window_s = window_s
        self._max_keys = max_keys
        self._windows: OrderedDict[str, tuple[float, int]] = OrderedDict()

    def retry_after(self, key: str, now: float) -> float:
        """Seconds until ``key`` may try again; 0 when it may try now."""
        entry = self._windows.get(key)
        if entry is None:
            return 0.0
        start, count = entry
        if now - start >= self.window_s:
            del self._windows[key]
            return 0.0
        return start + self.window_s - now if count >= self.limit else 0.0

    def fail(self, key: str, now: float) -> None:
        start, count = self._windows.get(key, (now, 0))
        if now - start >= self.window_s:
            start, count = now, 0
        self._windows[key] = (start, count + 1)
        self._windows.move_to_end(key)
        while len(self._windows) > self._max_keys:
            self._windows.popitem(last=False)

    def clear(self, key: str) -> None:
        self._windows.pop(key, None)


class LogBudget:
    """At most ``lines`` log lines per key per interval; what is held back is reported once,
    as a count, when the key next logs in a later interval. A client flooding refused frames
    costs one summary line per interval instead of one line per frame."""

    def __init__(self, lines: int, interval_s: float, max_keys: int = 10_000) -> None:
        self.lines = lines
        self.interval_s = interval_s
        self._max_keys = max_keys
        self._keys: dict[str, list[float]] = {}

    def allow(self, key: str, now: float) -> tuple[bool, int]:
        """(may log this line, lines suppressed since the last one that was logged)."""
        entry = self._keys.get(key)
        if entry is None or now - entry[0] >= self.interval_s:
            suppressed = int(entry[2]) if entry is not None else 0
            if entry is None and len(self._keys) >= self._max_keys:
                self._keys.clear()
            self._keys[key] = [now, 1.0, 0.0]
            return True, suppressed
        if entry[1] < self.lines:
            entry[1] += 1
            return True, 0
        entry[2] += 1
        return False, 0
