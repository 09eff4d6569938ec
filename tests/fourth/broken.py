"""A registered transport that lacks its Locust user and its browser entries (the registry
tests must fail for it)."""

from __future__ import annotations

from dataclasses import replace

from tests.fourth import SPEC as COPY

SPEC = replace(
    COPY,
    name="broken",
    label="Broken copy",
    paths=("/realtime/broken",),
    locust_user="tests.fourth.broken:NoSuchUser",
    browser_entry="no-such-entry.js",
    react_entry="no-such-entry.jsx",
)
