// Server-Sent Events on the native-client probe page (transports/web/src/probe.js): the
// browser's own EventSource with its built-in retry, next to our adapter for resilient.js.
import { createSseTransport } from "./client.js";

export const ours = createSseTransport;

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

/** The spec's native_clients by name: the connect code a team writes for EventSource. */
export const native = {
  "ticket": async (token, s) => eventSource(`/realtime/sse?ticket=${encodeURIComponent(await ticket(token))}`, s),
  "cookie": async (token, s) => {
    await fetch("/api/v1/realtime/sse-cookie", { method: "POST", headers: { Authorization: `Bearer ${token}` } });
    return eventSource("/realtime/sse", s);
  },
};
