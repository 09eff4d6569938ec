// The copy on the native-client probe page: the ws adapter's own variants, at the copy's path.
import { createWsTransport } from "../../transports/ws/web/client.js";
import { nativeAt } from "../../transports/ws/web/probe.js";

const AS = { name: "wsx", label: "WebSocket copy", path: "/realtime/wsx" };

export const ours = (baseUrl, api) => createWsTransport(baseUrl, api, AS);
export const native = nativeAt(AS.path);
