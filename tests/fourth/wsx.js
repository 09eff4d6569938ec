// The copy's demo page entry: the ws browser transport under the copy's name and path.
import { createWsTransport } from "../../transports/ws/web/client.js";
import { startDemo } from "../../transports/web/src/ui.js";

startDemo((baseUrl, api) => createWsTransport(baseUrl, api, { name: "wsx", label: "WebSocket copy", path: "/realtime/wsx" }));
