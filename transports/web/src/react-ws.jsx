// React 18 demo page: useRealtimeConnection over the WebSocket transport.
import { readOptions } from "./ui.js";
import { mountReactDemo } from "./react/app.jsx";
import { useRealtimeConnection } from "./react/useRealtimeConnection.js";
import { createWsTransport } from "./clients/ws.js";

mountReactDemo({
  label: "WebSocket",
  useConnection: useRealtimeConnection,
  createTransport: createWsTransport,
  options: readOptions(),
});
