// React 18 demo page: useRealtimeConnection over the Socket.IO transport.
import { readOptions } from "./ui.js";
import { mountReactDemo } from "./react/app.jsx";
import { useRealtimeConnection } from "./react/useRealtimeConnection.js";
import { createSocketIoTransport } from "./clients/socketio.js";

mountReactDemo({
  label: "Socket.IO",
  useConnection: useRealtimeConnection,
  createTransport: createSocketIoTransport,
  options: readOptions(),
});
