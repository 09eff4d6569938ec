// React 18 demo page: useRealtimeConnection over the WebSocket transport.
import { readOptions } from "../../web/src/ui.js";
import { mountReactDemo } from "../../web/src/react/app.jsx";
import { useRealtimeConnection } from "../../web/src/react/useRealtimeConnection.js";
import { createWsTransport } from "./client.js";

mountReactDemo({
  label: "WebSocket",
  useConnection: useRealtimeConnection,
  createTransport: createWsTransport,
  options: readOptions(),
});
