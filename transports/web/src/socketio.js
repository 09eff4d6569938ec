// Demo page entry over Socket.IO (the npm socket.io-client).
import { createSocketIoTransport } from "./clients/socketio.js";
import { startDemo } from "./ui.js";

startDemo(createSocketIoTransport);
