// Socket.IO probe: the official JS client against an rtspike server, for the Python tests.
//
//   NODE_PATH=transports/web/node_modules \
//     node node-probe.cjs <base-url> <token> [expect=1] [transports=polling,websocket] [timeout-ms=10000]
//
// Connects with function-form auth, prints one JSON line per happening on stdout
// ({"type":"connected"} | {"type":"connect_error",message,data} | {"type":"message",event}
//  | {"type":"error",data} | {"type":"disconnect",reason}), and exits 0 after <expect> messages,
// 2 on connect_error, 3 on timeout.
"use strict";
const { io } = require("socket.io-client");

const [url, token, expectArg, transportsArg, timeoutArg] = process.argv.slice(2);
if (!url || token === undefined) {
  process.stderr.write("usage: node node-probe.cjs <base-url> <token> [expect] [transports] [timeout-ms]\n");
  process.exit(64);
}
const expect = Number(expectArg ?? 1);
const transports = (transportsArg || "polling,websocket").split(",");
const timeoutMs = Number(timeoutArg ?? 10000);

const out = (obj) => process.stdout.write(JSON.stringify(obj) + "\n");
let received = 0;

const socket = io(url, {
  path: "/socket.io/",
  transports,
  reconnection: false,
  auth: (cb) => cb({ token }),
});

const timer = setTimeout(() => {
  out({ type: "timeout", received });
  socket.close();
  process.exit(3);
}, timeoutMs);

const finish = (code) => {
  clearTimeout(timer);
  socket.close();
  process.exit(code);
};

let firstTransport = null;
socket.io.on("open", () => {
  firstTransport = socket.io.engine.transport.name;
});
socket.on("connect", () => {
  out({ type: "connected", transport: firstTransport });
  if (expect === 0) finish(0);
});
socket.on("connect_error", (err) => {
  out({ type: "connect_error", message: err.message, data: err.data ?? null });
  finish(2);
});
socket.on("message:new", (event) => {
  received += 1;
  out({ type: "message", event });
  if (received >= expect) finish(0);
});
socket.on("error", (data) => out({ type: "error", data }));
socket.on("disconnect", (reason) => out({ type: "disconnect", reason }));
