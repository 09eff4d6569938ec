// Baseline: Node `ws` server, `client.send(text)` per member of the room (the `ws` README's
// broadcast recipe). Same wire as aiohttp_loops.py beside it.
// Run: NODE_PATH=transports/web/node_modules node transports/ws/baselines/node_ws.cjs <port>
"use strict";
const http = require("node:http");
const { WebSocketServer } = require("ws");

const rooms = new Map();
const server = http.createServer((req, res) => {
  res.writeHead(req.url === "/api/v1/healthz" ? 200 : 404).end("ok\n");
});
const wss = new WebSocketServer({ server, perMessageDeflate: false });

function broadcast(room, message) {
  const text = JSON.stringify({ type: "message", message });
  for (const client of rooms.get(room) || []) client.send(text);
}

wss.on("connection", (socket, req) => {
  if (req.url === "/peer/control") {
    socket.on("message", (raw) => {
      const order = JSON.parse(raw.toString());
      broadcast(order.room, order.message);
      socket.send("ok");
    });
    return;
  }
  socket.once("message", (raw) => {
    const room = String(JSON.parse(raw.toString()).token);
    if (!rooms.has(room)) rooms.set(room, new Set());
    rooms.get(room).add(socket);
    socket.on("close", () => rooms.get(room).delete(socket));
    socket.send('{"type":"ready"}');
  });
});

process.on("SIGTERM", () => process.exit(0));
server.listen(Number(process.argv[2]), "127.0.0.1");
