// Demo page entry over raw WebSocket (native WebSocket).
import { createWsTransport } from "./client.js";
import { startDemo } from "../../web/src/ui.js";

startDemo(createWsTransport);
