// Socket.IO on the native-client probe page (transports/web/src/probe.js): socket.io-client as
// a team ships it, with the library's defaults, next to our adapter for resilient.js.
import { io } from "socket.io-client";
import { createSocketIoTransport } from "./client.js";

export const ours = createSocketIoTransport;

function watch(socket, s) {
  socket.on("connect", () => s.note("open", socket.io.engine.transport.name));
  socket.on("message:new", s.deliver);
  socket.on("connect_error", (e) => s.note("error", e && e.message));
  socket.on("disconnect", (reason) => s.note(reason === "io server disconnect" ? "final" : "down", reason));
  return socket;
}

/** The spec's native_clients by name: the connect code a team writes for this library. */
export const native = {
  "default": (token, s) => watch(io(location.origin, { auth: { token }, forceNew: true }), s),
  "websocket": (token, s) =>
    watch(io(location.origin, { auth: { token }, transports: ["websocket"], forceNew: true }), s),
};
