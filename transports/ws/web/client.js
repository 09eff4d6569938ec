// Raw WebSocket transport: native WebSocket, first-frame auth, request ids for acks.
import { CLOSE } from "../../web/src/protocol.js";
import { ApiError, TransportError, errorFromPayload, withTimeout } from "../../web/src/resilient.js";

const CONNECT_TIMEOUT_MS = 10_000;
const SEND_TIMEOUT_MS = 5_000;

// `as` serves the same protocol under another registered name and path (a copy of the adapter).
export function createWsTransport(baseUrl = location.origin, _api = null, as = {}) {
  const { name = "ws", label = "WebSocket", path = "/realtime/ws" } = as;
  const wsUrl = baseUrl.replace(/^http/, "ws") + path;
  return {
    name,
    label,
    probeUrl: `${baseUrl}${path}`,
    connect: ({ token, cursor, onEvent, onClose }) =>
      new Promise((resolve, reject) => {
        const ws = new WebSocket(wsUrl);
        const pending = new Map();
        let ready = false;
        let lastError = null;
        let nextId = 1;
        const timer = setTimeout(() => {
          ws.close();
          reject(new TransportError("ws connect timed out"));
        }, CONNECT_TIMEOUT_MS);
        const session = {
          send(message) {
            if (ws.readyState !== WebSocket.OPEN) return Promise.reject(new TransportError("ws closed"));
            const id = `m${nextId++}`;
            const reply = new Promise((res, rej) => pending.set(id, { res, rej }));
            ws.send(JSON.stringify({ type: "message.send", id, message }));
            return withTimeout(reply, SEND_TIMEOUT_MS, "ws send").finally(() => pending.delete(id));
          },
          close() {
            ws.close(CLOSE.NORMAL);
          },
        };
        ws.onopen = () => ws.send(JSON.stringify({ type: "auth", token, cursor }));
        ws.onmessage = (msg) => {
          let frame;
          try {
            frame = JSON.parse(msg.data);
          } catch {
            return;
          }
          if (frame.type === "message") onEvent(frame.message);
          else if (frame.type === "ready") {
            ready = true;
            clearTimeout(timer);
            resolve(session);
          } else if (frame.type === "ack" && pending.has(frame.id)) pending.get(frame.id).res(frame.message);
          else if (frame.type === "error") {
            const err = errorFromPayload(frame);
            if (frame.id != null && pending.has(frame.id)) pending.get(frame.id).rej(err);
            else lastError = err;
          }
        };
        ws.onclose = (ev) => {
          clearTimeout(timer);
          for (const { rej } of pending.values()) rej(new TransportError("ws closed"));
          pending.clear();
          const code = lastError?.code ?? null;
          if (ready) onClose({ closeCode: ev.code, code, message: ev.reason });
          else if (lastError) reject(new ApiError(code, lastError.message, { closeCode: ev.code, status: lastError.status }));
          else reject(new TransportError(`ws closed (${ev.code})`, { closeCode: ev.code }));
        };
      }),
  };
}
