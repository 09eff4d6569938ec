// React 18 demo page: useRealtimeConnection over the Socket.IO transport.
import { readOptions } from "../../web/src/ui.js";
import { mountReactDemo } from "../../web/src/react/app.jsx";
import { useRealtimeConnection } from "../../web/src/react/useRealtimeConnection.js";
import { createSocketIoTransport } from "./client.js";

mountReactDemo({
  label: "Socket.IO",
  useConnection: useRealtimeConnection,
  createTransport: createSocketIoTransport,
  options: readOptions(),
});
