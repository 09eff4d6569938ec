// Demo page entry over Socket.IO (the npm socket.io-client).
import { createSocketIoTransport } from "./client.js";
import { startDemo } from "../../web/src/ui.js";

startDemo(createSocketIoTransport);
