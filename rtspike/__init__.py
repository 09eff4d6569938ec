"""rtspike: measure Socket.IO, SSE and raw WebSocket over one messaging core, then pick one.

The repository keeps the user's top-level folders (``transports``, ``scenarios``, ``reports``,
``loadtests``); this package links them in as subpackages so that an installed wheel holds one
importable name, ``rtspike``, and nothing else.
"""

from __future__ import annotations

from importlib import metadata

try:
    __version__ = metadata.version("rtspike")
except metadata.PackageNotFoundError:  # a source tree that was never installed
    __version__ = "0+unknown"
