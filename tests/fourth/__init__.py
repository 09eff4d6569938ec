"""A throwaway fourth transport, "wsx": the ws adapter served again under another name and path.

It exists to prove that adding a transport is its own package plus one registry line: the
tests register it with ``RTSPIKE_EXTRA_TRANSPORTS=wsx=tests.fourth`` (the registry's plugin
hook, which reaches subprocesses too) and nothing else in the tree is edited. Every part is
the ws adapter's own code: the server and client modules are re-executed under this package
with their name and path replaced, the lean receiver and the Locust user are subclasses.
"""

from __future__ import annotations

from dataclasses import replace

from rtspike.transports import registry
from rtspike.transports.ws import SPEC as WS

__all__ = ["NAME", "PATH", "SPEC"]

NAME = "wsx"
PATH = "/realtime/wsx"

SPEC = replace(
    WS,
    name=NAME,
    label="WebSocket copy",
    paths=(PATH,),
    mount="tests.fourth.server:mount",
    client="tests.fourth.client:Client",
    lean_receiver="tests.fourth.lean:LeanWsx",
    lean_kind="lean aiohttp WebSocket client on the copy's path",
    locust_user="tests.fourth.locust_user:WsxUser",
    # the ws adapter's browser client itself (an absolute path is taken as it is)
    browser_client=str(registry.folder(WS.name) / WS.browser_client),
    browser_entry="wsx.js",
    react_entry="react-wsx.jsx",
    browser_probe="probe.js",  # the ws variants at the copy's path; native_clients are ws's
    baselines=(),  # ws's baselines serve ws's path, not the copy's
)
