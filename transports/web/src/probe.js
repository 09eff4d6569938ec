// The native-client probe (scenarios `native` and `proxy`): each transport's browser client as
// a team ships it, with its library defaults and nothing of ours, next to our resilient client.
// A client writes into a sink: events [t_ms, kind, detail] (kind: open | down | error | final)
// and deliveries [t_ms, client_msg_id]. window.P is the page's one client; openMany opens n
// clients side by side (sticky sessions, the per-origin limit). Python drives it (Playwright).
import ReconnectingWebSocket from "reconnecting-websocket";
import { io } from "socket.io-client";
import { createSocketIoTransport } from "../../socketio/web/client.js";
import { createSseTransport } from "../../sse/web/client.js";
import { createWsTransport } from "../../ws/web/client.js";
import { ApiClient, ResilientClient } from "./resilient.js";

function sink() {
  const s = { events: [], got: [], client: null };
  s.note = (kind, detail = "") => s.events.push([Date.now(), kind, String(detail)]);
  s.deliver = (event) => s.got.push([Date.now(), event && event.client_msg_id]);
  return s;
}
const P = sink();
window.P = P;
const origin = location.origin;
const wsUrl = origin.replace(/^http/, "ws") + "/realtime/ws";

async function ticket(token) {
  const r = await fetch("/api/v1/realtime/ticket", { method: "POST", headers: { Authorization: `Bearer ${token}` } });
  return (await r.json()).ticket;
}

function eventSource(url, s) {
  const es = new EventSource(url);
  es.onopen = () => s.note("open");
  es.addEventListener("message", (e) => s.deliver(JSON.parse(e.data)));
  es.addEventListener("error", (e) => {
    if (typeof e.data === "string") return s.note("error", "server error event");
    s.note(es.readyState === EventSource.CLOSED ? "final" : "down", `readyState ${es.readyState}`);
  });
  return es;
}

function wsHandlers(ws, token, s) {
  ws.addEventListener("open", () => ws.send(JSON.stringify({ type: "auth", token })));
  ws.addEventListener("message", (m) => {
    const f = JSON.parse(m.data);
    if (f.type === "ready") s.note("open");
    else if (f.type === "message") s.deliver(f.message);
  });
  return ws;
}

function socketIo(socket, s) {
  socket.on("connect", () => s.note("open", socket.io.engine.transport.name));
  socket.on("message:new", s.deliver);
  socket.on("connect_error", (e) => s.note("error", e && e.message));
  socket.on("disconnect", (reason) => s.note(reason === "io server disconnect" ? "final" : "down", reason));
  return socket;
}

// One entry per (transport, variant): the connect code a team writes for that library.
const NATIVE = {
  "socketio/default": (token, s) => socketIo(io(origin, { auth: { token }, forceNew: true }), s),
  "socketio/websocket": (token, s) =>
    socketIo(io(origin, { auth: { token }, transports: ["websocket"], forceNew: true }), s),
  "sse/ticket": async (token, s) => eventSource(`/realtime/sse?ticket=${encodeURIComponent(await ticket(token))}`, s),
  "sse/cookie": async (token, s) => {
    await fetch("/api/v1/realtime/sse-cookie", { method: "POST", headers: { Authorization: `Bearer ${token}` } });
    return eventSource("/realtime/sse", s);
  },
  "ws/plain": (token, s) => {
    const ws = wsHandlers(new WebSocket(wsUrl), token, s);
    ws.addEventListener("close", (e) => s.note("final", e.code));
    return ws;
  },
  "ws/reconnecting": (token, s) => {
    const ws = wsHandlers(new ReconnectingWebSocket(wsUrl), token, s);
    ws.addEventListener("close", (e) => s.note("down", e.code));
    return ws;
  },
};

const FACTORIES = { socketio: createSocketIoTransport, sse: createSseTransport, ws: createWsTransport };

window.startNative = async (variant, token) => {
  P.client = await NATIVE[variant](token, P);
  return true;
};

window.startOurs = async (transport, login, password) => {
  const api = new ApiClient(origin);
  await api.login(login, password);
  let last = null;
  P.client = new ResilientClient({
    api,
    transport: FACTORIES[transport](origin, api),
    onMessage: P.deliver,
    onState: (state) => {
      if (state === "connected") P.note("open");
      else if (last === "connected") P.note("down", state);
      last = state;
    },
  });
  P.client.start();
  return true;
};

/** n clients of one variant at once for windowMs, then closed; times relative to the start. */
window.openMany = async (variant, token, n, windowMs) => {
  const t0 = Date.now();
  const sinks = Array.from({ length: n }, sink);
  sinks.forEach((s) => Promise.resolve(NATIVE[variant](token, s)).then((c) => (s.client = c)));
  await new Promise((r) => setTimeout(r, windowMs));
  const first = (s, kinds) => {
    const e = s.events.find((ev) => kinds.includes(ev[1]));
    return e ? e[0] - t0 : null;
  };
  // read before closing: a client's own close must not count as a drop
  const rows = sinks.map((s) => ({
    open_ms: first(s, ["open"]),
    down_ms: first(s, ["down", "final", "error"]),
    got: s.got.length,
  }));
  for (const s of sinks) {
    const c = s.client;
    if (c) (c.disconnect || c.close).call(c);
  }
  return rows;
};
