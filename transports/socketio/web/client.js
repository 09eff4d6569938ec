// Socket.IO transport: the npm socket.io-client, WebSocket only, its own reconnection off (the
// resilient client reconnects), function-form auth so each attempt reads the current values.
import { io } from "socket.io-client";
import { CLOSE } from "../../web/src/protocol.js";
import { TransportError, errorFromPayload } from "../../web/src/resilient.js";

const CONNECT_TIMEOUT_MS = 10_000;
const SEND_TIMEOUT_MS = 5_000;

export function createSocketIoTransport(baseUrl = location.origin) {
  return {
    name: "socketio",
    label: "Socket.IO",
    probeUrl: `${baseUrl}/socket.io/`,
    connect: ({ token, cursor, onEvent, onClose }) =>
      new Promise((resolve, reject) => {
        const socket = io(baseUrl, {
          path: "/socket.io/",
          transports: ["websocket"],
          reconnection: false,
          forceNew: true,
          timeout: CONNECT_TIMEOUT_MS,
          auth: (cb) => cb({ token, cursor }),
        });
        let connected = false;
        let lastError = null;
        const session = {
          async send(message) {
            if (!socket.connected) throw new TransportError("socket.io not connected");
            let ack;
            try {
              ack = await socket.timeout(SEND_TIMEOUT_MS).emitWithAck("message:send", message);
            } catch (err) {
              throw new TransportError(`socket.io send: ${err.message}`);
            }
            if (ack && ack.ok) return ack.message;
            throw errorFromPayload(ack);
          },
          close: () => socket.disconnect(),
        };
        socket.on("connect", () => {
          connected = true;
          resolve(session);
        });
        socket.on("connect_error", (err) => {
          socket.close();
          const data = err && err.data;
          if (data && data.error) reject(errorFromPayload(data, null, data.close_code ?? null));
          else reject(new TransportError(`socket.io connect failed: ${err?.message || err}`));
        });
        socket.on("message:new", (event) => onEvent(event));
        socket.on("error", (payload) => {
          if (payload && payload.close_code != null) lastError = payload;
        });
        socket.on("disconnect", (reason) => {
          if (!connected) return;
          const err = lastError ? errorFromPayload(lastError) : null;
          const closeCode = lastError?.close_code ?? (reason === "io client disconnect" ? CLOSE.NORMAL : CLOSE.ABNORMAL);
          onClose({ closeCode, code: err?.code ?? null, message: err?.message ?? reason });
        });
      }),
  };
}
