// Demo page entry over raw WebSocket (native WebSocket).
import { createWsTransport } from "./clients/ws.js";
import { startDemo } from "./ui.js";

startDemo(createWsTransport);
