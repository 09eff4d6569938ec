// React 18 demo page: useRealtimeConnection over the Server-Sent Events transport.
import { readOptions } from "./ui.js";
import { mountReactDemo } from "./react/app.jsx";
import { useRealtimeConnection } from "./react/useRealtimeConnection.js";
import { createSseTransport } from "./clients/sse.js";

mountReactDemo({
  label: "Server-Sent Events",
  useConnection: useRealtimeConnection,
  createTransport: createSseTransport,
  options: readOptions(),
});
