// The copy's React demo entry: useRealtimeConnection over the ws transport on the copy's path.
import { readOptions } from "../../transports/web/src/ui.js";
import { mountReactDemo } from "../../transports/web/src/react/app.jsx";
import { useRealtimeConnection } from "../../transports/web/src/react/useRealtimeConnection.js";
import { createWsTransport } from "../../transports/ws/web/client.js";

mountReactDemo({
  label: "WebSocket copy",
  useConnection: useRealtimeConnection,
  createTransport: (baseUrl, api) => createWsTransport(baseUrl, api, { name: "wsx", label: "WebSocket copy", path: "/realtime/wsx" }),
  options: readOptions(),
});
