// The demo page without any realtime transport: REST polling only. It is the "before" of the
// bundle-size comparison (each transport bundle = this + its adapter and library).
import { startDemo } from "./ui.js";

startDemo(null);
