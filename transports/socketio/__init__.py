"""Socket.IO transport: python-socketio ``AsyncServer`` on the shared aiohttp app
(``server.mount``) and a ``socketio.AsyncClient`` client (``client.Client``).

Wire: ``/socket.io/``, ``auth: {token, cursor}``, ``message:send`` with ack
``{ok, message | error}``, pushes ``message:new``, ``error`` ``{error, close_code}`` before a
server-initiated disconnect.
"""
