// Raw WebSocket on the native-client probe page (transports/web/src/probe.js): the browser's
// WebSocket and reconnecting-websocket with its defaults, next to our adapter for resilient.js.
import ReconnectingWebSocket from "reconnecting-websocket";
import { createWsTransport } from "./client.js";

export const ours = createWsTransport;

function watch(ws, token, s) {
  ws.addEventListener("open", () => ws.send(JSON.stringify({ type: "auth", token })));
  ws.addEventListener("message", (m) => {
    const f = JSON.parse(m.data);
    if (f.type === "ready") s.note("open");
    else if (f.type === "message") s.deliver(f.message);
  });
  return ws;
}

/** The spec's native_clients by name, for the protocol served at `path` (a copy of the
 * adapter serves it under another). */
export function nativeAt(path) {
  const url = location.origin.replace(/^http/, "ws") + path;
  return {
    "plain": (token, s) => {
      const ws = watch(new WebSocket(url), token, s);
      ws.addEventListener("close", (e) => s.note("final", e.code));
      return ws;
    },
    "reconnecting": (token, s) => {
      const ws = watch(new ReconnectingWebSocket(url), token, s);
      ws.addEventListener("close", (e) => s.note("down", e.code));
      return ws;
    },
  };
}

export const native = nativeAt("/realtime/ws");
