// The registry's view of the transports (name, label, upstream), injected into the page by the
// server as <script id="rtspike-transports" type="application/json">; no page lists them itself.
const REST = { name: "rest", label: "REST polling", upstream: "rest" };

export function transportInfo(doc = document) {
  const slot = doc.getElementById("rtspike-transports");
  const info = slot ? JSON.parse(slot.textContent) : { default: "rest", transports: [] };
  const byName = Object.fromEntries(info.transports.map((t) => [t.name, t]));
  byName.rest = REST;
  return { default: info.default, byName };
}

/** True when sends made with this transport go up over REST (REST itself included). */
export function sendsOverRest(name) {
  return transportInfo().byName[name]?.upstream === "rest";
}
