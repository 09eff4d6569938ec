// React 18 demo page: useRealtimeConnection over the Server-Sent Events transport.
import { readOptions } from "../../web/src/ui.js";
import { mountReactDemo } from "../../web/src/react/app.jsx";
import { useRealtimeConnection } from "../../web/src/react/useRealtimeConnection.js";
import { createSseTransport } from "./client.js";

mountReactDemo({
  label: "Server-Sent Events",
  useConnection: useRealtimeConnection,
  createTransport: createSseTransport,
  options: readOptions(),
});
