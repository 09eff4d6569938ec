// Baseline: Node socket.io server, `io.to(room).emit(...)` (the socket.io docs' room
// broadcast). The control socket rides on a WebSocketServer beside it (engine.io leaves other
// upgrade paths alone with destroyUpgrade: false). Same wire as python_socketio.py beside it.
// Run: NODE_PATH=transports/web/node_modules node transports/socketio/baselines/node_socketio.cjs <port>
"use strict";
const http = require("node:http");
const { Server } = require("socket.io");
const { WebSocketServer } = require("ws");

const server = http.createServer((req, res) => {
  if (req.url === "/api/v1/healthz") res.writeHead(200).end("ok\n");
  else if (!req.url.startsWith("/socket.io/")) res.writeHead(404).end();
});
const io = new Server(server, {
  transports: ["websocket"],
  perMessageDeflate: false,
  destroyUpgrade: false,
});
io.on("connection", (socket) => socket.join(String(socket.handshake.auth.token)));

const control = new WebSocketServer({ noServer: true, perMessageDeflate: false });
server.on("upgrade", (req, sock, head) => {
  if (req.url !== "/peer/control") return;
  control.handleUpgrade(req, sock, head, (ctl) => {
    ctl.on("message", (raw) => {
      const order = JSON.parse(raw.toString());
      io.to(order.room).emit("message:new", order.message);
      ctl.send("ok");
    });
  });
});

process.on("SIGTERM", () => process.exit(0));
server.listen(Number(process.argv[2]), "127.0.0.1");
