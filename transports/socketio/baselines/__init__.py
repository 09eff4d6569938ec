"""Bare-library Socket.IO servers for ``rtspike bench peers`` (declared in the spec's
``baselines``). Bench code: the adapter never imports it. Both are the stock servers, so the
lean receiver's Engine.IO / Socket.IO handshake is the library's own.
"""
