// Demo page entry over Server-Sent Events (native EventSource, REST upstream).
import { createSseTransport } from "./client.js";
import { startDemo } from "../../web/src/ui.js";

startDemo(createSseTransport);
