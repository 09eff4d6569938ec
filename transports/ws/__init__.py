"""Raw WebSocket transport: aiohttp server (``server.mount``) and a ``websockets`` client."""
