// SSE transport: native EventSource with a one-time ticket (a JWT never sits in a URL) and the
// cursor in the query of each new URL; upstream sends go through POST /api/v1/messages.
import { CLOSE } from "../../web/src/protocol.js";
import { TransportError, errorFromPayload, timedFetch } from "../../web/src/resilient.js";

const CONNECT_TIMEOUT_MS = 10_000;

export function createSseTransport(baseUrl = location.origin, api) {
  return {
    name: "sse",
    label: "Server-Sent Events",
    probeUrl: `${baseUrl}/realtime/sse`,
    async connect({ token, cursor, onEvent, onClose }) {
      const { resp, payload } = await timedFetch(`${baseUrl}/api/v1/realtime/ticket`, {
        method: "POST",
        headers: { Authorization: `Bearer ${token}` },
        cache: "no-store",
      });
      if (!resp.ok) throw errorFromPayload(payload, resp.status);
      const q = new URLSearchParams({ ticket: payload.ticket });
      if (cursor) q.set("cursor", cursor);
      const es = new EventSource(`${baseUrl}/realtime/sse?${q}`);
      return new Promise((resolve, reject) => {
        let open = false;
        let serverError = null;
        const timer = setTimeout(() => fail(new TransportError("sse connect timed out")), CONNECT_TIMEOUT_MS);
        const session = {
          send: (message) => api.postMessage(message, "sse"),
          close: () => es.close(),
        };
        function fail(err) {
          clearTimeout(timer);
          es.close();
          reject(err);
        }
        es.onopen = () => {
          open = true;
          clearTimeout(timer);
          resolve(session);
        };
        es.addEventListener("message", (ev) => onEvent(JSON.parse(ev.data)));
        // The server's own `event: error` carries data; the browser's connection error does not.
        es.addEventListener("error", (ev) => {
          if (typeof ev.data === "string") {
            try {
              serverError = JSON.parse(ev.data);
            } catch {
              serverError = null;
            }
            return;
          }
          es.close();
          if (!open) return fail(new TransportError("sse refused or unreachable"));
          const err = serverError ? errorFromPayload(serverError) : null;
          onClose({ closeCode: serverError?.close_code ?? CLOSE.ABNORMAL, code: err?.code ?? null, message: err?.message ?? "" });
        });
      });
    },
  };
}
