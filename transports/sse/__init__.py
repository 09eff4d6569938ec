"""Server-Sent Events: a one-way stream down (``GET /realtime/sse``), sends go up over REST."""
