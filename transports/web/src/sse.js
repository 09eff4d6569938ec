// Demo page entry over Server-Sent Events (native EventSource, REST upstream).
import { createSseTransport } from "./clients/sse.js";
import { startDemo } from "./ui.js";

startDemo(createSseTransport);
