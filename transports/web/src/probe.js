// The native-client probe (scenario `native`): each transport's browser client as a team ships
// it, with its library defaults and nothing of ours, next to our resilient client. Every client
// logs into window.P: events [t_ms, kind, detail] (kind: open | down | error | final) and
// deliveries [t_ms, client_msg_id]. Python drives it through Playwright.
import ReconnectingWebSocket from "reconnecting-websocket";
import { io } from "socket.io-client";
import { ApiClient, ResilientClient } from "./resilient.js";
import { createSocketIoTransport } from "./clients/socketio.js";
import { createSseTransport } from "./clients/sse.js";
import { createWsTransport } from "./clients/ws.js";

const P = { events: [], got: [], client: null };
window.P = P;
const note = (kind, detail = "") => P.events.push([Date.now(), kind, String(detail)]);
const got = (event) => P.got.push([Date.now(), event && event.client_msg_id]);
const origin = location.origin;
const wsUrl = origin.replace(/^http/, "ws") + "/realtime/ws";

async function ticket(token) {
  const r = await fetch("/api/v1/realtime/ticket", { method: "POST", headers: { Authorization: `Bearer ${token}` } });
  return (await r.json()).ticket;
}

function eventSource(url) {
  const es = new EventSource(url);
  es.onopen = () => note("open");
  es.addEventListener("message", (e) => got(JSON.parse(e.data)));
  es.addEventListener("error", (e) => {
    if (typeof e.data === "string") return note("error", "server error event");
    note(es.readyState === EventSource.CLOSED ? "final" : "down", `readyState ${es.readyState}`);
  });
  return es;
}

function wsHandlers(ws) {
  ws.addEventListener("open", () => ws.send(JSON.stringify({ type: "auth", token: P.token })));
  ws.addEventListener("message", (m) => {
    const f = JSON.parse(m.data);
    if (f.type === "ready") note("open");
    else if (f.type === "message") got(f.message);
  });
  return ws;
}

// One entry per (transport, variant): the connect code a team writes for that library.
const NATIVE = {
  "socketio/default": (token) => io(origin, { auth: { token } }),
  "socketio/websocket": (token) => io(origin, { auth: { token }, transports: ["websocket"] }),
  "sse/ticket": async (token) => eventSource(`/realtime/sse?ticket=${encodeURIComponent(await ticket(token))}`),
  "sse/cookie": async (token) => {
    await fetch("/api/v1/realtime/sse-cookie", { method: "POST", headers: { Authorization: `Bearer ${token}` } });
    return eventSource("/realtime/sse");
  },
  "ws/plain": () => {
    const ws = wsHandlers(new WebSocket(wsUrl));
    ws.addEventListener("close", (e) => note("final", e.code));
    return ws;
  },
  "ws/reconnecting": () => {
    const ws = wsHandlers(new ReconnectingWebSocket(wsUrl));
    ws.addEventListener("close", (e) => note("down", e.code));
    return ws;
  },
};

function socketIoEvents(socket) {
  socket.on("connect", () => note("open", socket.io.engine.transport.name));
  socket.on("message:new", got);
  socket.on("connect_error", (e) => note("error", e && e.message));
  socket.on("disconnect", (reason) => note(reason === "io server disconnect" ? "final" : "down", reason));
  return socket;
}

const FACTORIES = { socketio: createSocketIoTransport, sse: createSseTransport, ws: createWsTransport };

window.startNative = async (variant, token) => {
  P.token = token;
  const client = await NATIVE[variant](token);
  P.client = variant.startsWith("socketio/") ? socketIoEvents(client) : client;
  return true;
};

window.startOurs = async (transport, login, password) => {
  const api = new ApiClient(origin);
  await api.login(login, password);
  let last = null;
  P.client = new ResilientClient({
    api,
    transport: FACTORIES[transport](origin, api),
    onMessage: got,
    onState: (state) => {
      if (state === "connected") note("open");
      else if (last === "connected") note("down", state);
      last = state;
    },
  });
  P.client.start();
  return true;
};
