// React 18 demo page without any realtime layer (REST sends only): the "before" of the React
// bundle comparison.
import { mountReactDemo } from "./react/app.jsx";
import { useRestOnly } from "./react/useRestOnly.js";

mountReactDemo({ label: "REST only", useConnection: useRestOnly });
