// The native-client probe (scenarios `native` and `proxy`): each transport's browser client as
// a team ships it, with its library defaults and nothing of ours, next to our resilient client.
// A client writes into a sink: events [t_ms, kind, detail] (kind: open | down | error | final)
// and deliveries [t_ms, client_msg_id]. window.P is the page's one client; openMany opens n
// clients side by side (sticky sessions, the per-origin limit). Python drives it (Playwright).
//
// The connect code is each transport's own (its spec's browser_probe module, exporting `ours`,
// the adapter factory, and `native`, {variant: (token, sink) => client}); build.mjs generates
// the bundle's entry, which imports every registered transport's module and calls startProbe.
import { ApiClient, ResilientClient } from "./resilient.js";

function sink() {
  const s = { events: [], got: [], client: null };
  s.note = (kind, detail = "") => s.events.push([Date.now(), kind, String(detail)]);
  s.deliver = (event) => s.got.push([Date.now(), event && event.client_msg_id]);
  return s;
}

/** transports: {name: {ours, native}}, from the registry; variants are "<name>/<variant>". */
export function startProbe(transports) {
  const P = sink();
  window.P = P;
  const origin = location.origin;
  const NATIVE = {};
  for (const [name, t] of Object.entries(transports)) {
    for (const [variant, open] of Object.entries(t.native || {})) NATIVE[`${name}/${variant}`] = open;
  }
  const opener = (variant) => {
    if (!NATIVE[variant]) throw new Error(`the probe page has no native client ${variant}`);
    return NATIVE[variant];
  };

  window.startNative = async (variant, token) => {
    P.client = await opener(variant)(token, P);
    return true;
  };

  window.startOurs = async (transport, login, password, apiOptions = {}) => {
    const api = new ApiClient(origin, apiOptions);
    await api.login(login, password);
    let last = null;
    P.client = new ResilientClient({
      api,
      transport: transports[transport].ours(origin, api),
      onMessage: P.deliver,
      onState: (state) => {
        if (state === "connected") P.note("open");
        else if (last === "connected") P.note("down", state);
        last = state;
      },
    });
    P.client.start();
    return true;
  };

  /** n clients of one variant at once for windowMs, then closed; times relative to the start. */
  window.openMany = async (variant, token, n, windowMs) => {
    const open = opener(variant);
    const t0 = Date.now();
    const sinks = Array.from({ length: n }, sink);
    sinks.forEach((s) => Promise.resolve(open(token, s)).then((c) => (s.client = c)));
    await new Promise((r) => setTimeout(r, windowMs));
    const first = (s, kinds) => {
      const e = s.events.find((ev) => kinds.includes(ev[1]));
      return e ? e[0] - t0 : null;
    };
    // read before closing: a client's own close must not count as a drop
    const rows = sinks.map((s) => ({
      open_ms: first(s, ["open"]),
      down_ms: first(s, ["down", "final", "error"]),
      got: s.got.length,
    }));
    for (const s of sinks) {
      const c = s.client;
      if (c) (c.disconnect || c.close).call(c);
    }
    return rows;
  };
}
