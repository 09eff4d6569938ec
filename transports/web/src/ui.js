// Demo page glue shared by every bundle: sign-in, the status banner, the message list and the
// send form, all driven by one ResilientClient over the transport the bundle was built with.
import { ApiClient, ApiError, ResilientClient } from "./resilient.js";
import { transportInfo } from "./transports.js";

const $ = (id) => document.getElementById(id);

/** Test and demo knobs from the URL: ?poll=0.2,0.4,1,2&time_scale=1&backoff=0.5,15&max_failures=3 */
export function readOptions(search = location.search) {
  const q = new URLSearchParams(search);
  // A missing or empty parameter is no list at all, so the client's documented defaults hold
  // (poll 5/10/30/60 s, backoff 0.5 s..15 s); Number("") would be 0 and poll without pause.
  const nums = (raw) =>
    (raw || "")
      .split(",")
      .filter((part) => part.trim() !== "")
      .map(Number)
      .filter((n) => Number.isFinite(n) && n >= 0);
  const opts = {};
  const poll = nums(q.get("poll"));
  if (poll.length) opts.pollSchedule = poll;
  const scale = Number(q.get("time_scale"));
  if (q.has("time_scale") && scale > 0) opts.timeScale = scale;
  const [base, cap] = nums(q.get("backoff"));
  if (base !== undefined) opts.backoffBase = base;
  if (cap !== undefined) opts.backoffCap = cap;
  const failures = Number(q.get("max_failures"));
  if (failures >= 1) opts.maxFailures = failures;
  return opts;
}

function seconds(ms) {
  const s = Math.max(0, ms / 1000);
  return s < 10 ? `${s.toFixed(1)} s` : `${Math.round(s)} s`;
}

function clock(at) {
  return new Date(at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
}

export function startDemo(createTransport) {
  const transports = transportInfo();
  const name = createTransport ? new URLSearchParams(location.search).get("transport") || transports.default : "rest";
  const label = transports.byName[name]?.label || name;
  const api = new ApiClient(location.origin);
  const seen = new Set();
  let client = null;
  let me = null;

  $("transport").value = name;
  $("transport").addEventListener("change", (ev) => {
    const q = new URLSearchParams(location.search);
    q.set("transport", ev.target.value);
    q.set("login", $("login").value);
    location.replace(`${location.pathname}?${q}`);
  });
  const preset = new URLSearchParams(location.search).get("login");
  if (preset) $("login").value = preset;

  // -- banner ---------------------------------------------------------------------------
  function renderBanner() {
    const state = client ? client.state : "idle";
    const info = client ? client.info : {};
    const banner = $("status");
    banner.dataset.state = state || "idle";
    let title = "Signed out";
    let detail = "Sign in to connect.";
    const why = info.lastError ? ` (${info.lastError})` : "";
    if (state === "connecting") {
      title = "Connecting…";
      detail = `via ${label}, attempt ${info.attempt || 1}${why}`;
      if (info.nextRetryAt && info.nextRetryAt > Date.now()) detail += `; retrying in ${seconds(info.nextRetryAt - Date.now())}`;
    } else if (state === "connected") {
      title = "Live";
      detail = `connected via ${label}; messages arrive as they are sent.`;
    } else if (state === "degraded") {
      title = "Degraded";
      const left = info.nextPollAt ? info.nextPollAt - Date.now() : 0;
      const next = left > 50 ? `in ${seconds(left)}` : "now";
      const what = name === "rest" ? "no realtime transport in this bundle" : `${label} unavailable${why}`;
      detail = `${what}; polling over REST, next poll ${next}. Nothing is lost: polling resumes from your cursor.`;
    } else if (state === "disconnected") {
      title = "Disconnected";
      detail = `${info.message || info.lastError || "stopped"}. Sign in again to reconnect.`;
    }
    $("status-title").textContent = title;
    $("status-detail").textContent = detail;
    $("status-detail").dataset.nextPollAt = info.nextPollAt || "";
  }
  setInterval(() => {
    if (client && (client.state === "degraded" || client.state === "connecting")) renderBanner();
  }, 250);

  function renderTransitions() {
    const list = $("transitions");
    list.replaceChildren(
      ...client.transitions
        .slice(-30)
        .reverse()
        .map((t) => {
          const li = document.createElement("li");
          const b = document.createElement("b");
          b.textContent = t.state;
          li.append(`${clock(t.at)} `, b, t.info.lastError ? ` · ${t.info.lastError}` : "");
          return li;
        }),
    );
    renderSummary();
  }

  function renderSummary() {
    if (!client) return;
    const cursor = client.cursor.isEmpty() ? "(start)" : client.cursor.encode();
    $("conn-summary").textContent = `Transport: ${label}. Resume cursor: ${cursor.length > 28 ? `${cursor.slice(0, 27)}…` : cursor}`;
    $("conn-summary").title = cursor;
  }

  // -- messages -------------------------------------------------------------------------
  const people = new Map(); // user id -> {name, role}, from GET /api/v1/team

  function who(event) {
    if (me && event.sender === me.id) return "You";
    const person = people.get(event.sender);
    const role = (person?.role || event.sender_role || "").replaceAll("_", " ");
    if (person) return `${person.name} (${role})`;
    return `${role} …${event.sender.slice(-6)}`;
  }

  /** Recipients come from the team the policy computes, so the page offers only messages the
   * server accepts; a role that may not send sees no send form at all. */
  async function loadTeam() {
    const select = $("recipient");
    select.replaceChildren();
    people.clear();
    let team;
    try {
      team = await api.team();
    } catch {
      team = { can_send: true, can_broadcast: me.role === "supervisor", recipients: [] };
    }
    for (const person of team.recipients) {
      people.set(person.id, person);
      const option = document.createElement("option");
      option.value = person.id;
      option.textContent = `${person.name} (${person.role.replaceAll("_", " ")})`;
      select.append(option);
    }
    $("send-form").hidden = !team.can_send;
    $("send-refused").hidden = team.can_send;
    $("send-refused").textContent = team.can_send ? "" : `Your role (${me.role.replaceAll("_", " ")}) may not send messages.`;
    $("target-fieldset").hidden = !team.can_broadcast;
    $("send-btn").disabled = team.can_send && !team.can_broadcast && team.recipients.length === 0;
  }

  function addMessage(event, source) {
    if (seen.has(event.id)) {
      const li = document.querySelector(`#messages li[data-id="${CSS.escape(event.id)}"]`);
      if (li && source !== "sent") li.dataset.delivered = source;
      return;
    }
    seen.add(event.id);
    const li = document.createElement("li");
    li.dataset.id = event.id;
    li.dataset.source = source;
    const meta = document.createElement("div");
    meta.className = "meta";
    const whoEl = document.createElement("span");
    whoEl.className = "who";
    whoEl.textContent = who(event);
    const scope = document.createElement("span");
    scope.textContent = event.recipient == null ? "to the team" : event.recipient === me?.id ? "to you" : "direct";
    const when = document.createElement("time");
    when.dateTime = new Date(event.sent_at * 1000).toISOString();
    when.textContent = clock(event.sent_at * 1000);
    const badge = document.createElement("span");
    badge.className = `badge ${source}`;
    badge.textContent = { live: "live", poll: "polled", gap: "gap repaired", sent: "sent" }[source] || source;
    meta.append(whoEl, scope, when, badge);
    if (me && event.sender !== me.id) {
      const reply = document.createElement("button");
      reply.type = "button";
      reply.className = "link";
      reply.textContent = "Reply";
      reply.setAttribute("aria-label", `Reply to ${who(event)} directly`);
      reply.addEventListener("click", () => {
        setTarget("direct", event.sender);
        $("body").focus();
      });
      meta.append(reply);
    }
    const body = document.createElement("p");
    body.className = "body";
    body.textContent = event.body;
    li.append(meta, body);
    $("messages").append(li);
    $("empty").hidden = true;
    renderSummary();
    li.scrollIntoView({ block: "nearest" });
    if (me?.role === "enumerator" && event.sender_role === "supervisor" && people.has(event.sender)) {
      $("recipient").value = event.sender;
    }
  }

  // -- sending --------------------------------------------------------------------------
  function setTarget(kind, recipient) {
    for (const radio of document.querySelectorAll('input[name="target"]')) radio.checked = radio.value === kind;
    if (recipient !== undefined) $("recipient").value = recipient;
    syncTarget();
  }

  function syncTarget() {
    const direct = me?.role !== "supervisor" || document.querySelector('input[name="target"]:checked').value === "direct";
    $("recipient-box").hidden = !direct;
    $("recipient").required = direct;
  }
  for (const radio of document.querySelectorAll('input[name="target"]')) radio.addEventListener("change", syncTarget);

  $("send-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const result = $("send-result");
    const body = $("body").value.trim();
    if (!body || !client) return;
    const broadcast = me.role === "supervisor" && $("recipient-box").hidden;
    const msg = broadcast ? { broadcast: true, body } : { to: $("recipient").value, body };
    $("send-btn").disabled = true;
    result.className = "";
    result.textContent = "Sending…";
    try {
      const event = await client.send(msg);
      addMessage(event, "sent");
      $("body").value = "";
      const via = client.lastSendVia;
      const sender = transports.byName[via];
      const upstream = via !== "rest" && sender?.upstream === "rest" ? `REST (the ${sender.label} upstream)` : null;
      result.textContent = `Sent via ${via === "rest" ? "REST" : upstream || label}.`;
    } catch (err) {
      result.className = "error";
      result.textContent = err instanceof ApiError ? `${err.code}: ${err.message}` : `Not sent: ${err.message}`;
    } finally {
      $("send-btn").disabled = false;
    }
  });

  // -- outage switch (only when the server runs with RTSPIKE_DEV_FAULTS=true) ------------
  let prevState = null;
  async function refreshFaults() {
    try {
      const resp = await fetch("/api/v1/dev/faults", { cache: "no-store" });
      if (!resp.ok) return;
      const faults = await resp.json();
      $("outage").checked = Boolean(faults.realtime_blocked);
      $("outage-box").hidden = false;
    } catch {
      // no fault injection on this server
    }
  }
  // `rtspike serve` prints the demo URL with ?dev_token=...: changing faults needs it.
  const devToken = new URLSearchParams(location.search).get("dev_token") || "";
  $("outage").addEventListener("change", async (ev) => {
    await fetch("/api/v1/dev/faults", {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Rtspike-Dev-Token": devToken },
      body: JSON.stringify({ realtime_blocked: ev.target.checked }),
    });
  });

  async function showBundleInfo() {
    try {
      const meta = await (await fetch("/demo/static/meta.json", { cache: "no-store" })).json();
      const mine = meta.bundles[name === "rest" ? "baseline" : name];
      const base = meta.bundles.baseline;
      if (mine) {
        $("bundle-info").textContent =
          `This page's client: ${(mine.bytes / 1024).toFixed(1)} KiB minified` +
          (base && name !== "rest" ? ` (page without a transport: ${(base.bytes / 1024).toFixed(1)} KiB)` : "");
      }
    } catch {
      // sizes are a nicety
    }
  }

  // -- sign in / out --------------------------------------------------------------------
  $("login-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    $("login-error").textContent = "";
    $("login-btn").disabled = true;
    try {
      me = await api.login($("login").value.trim(), $("password").value);
    } catch (err) {
      $("login-error").textContent = err instanceof ApiError ? err.message : `Cannot reach the server: ${err.message}`;
      return;
    } finally {
      $("login-btn").disabled = false;
    }
    $("who-name").textContent = me.display_name || me.login;
    $("who-role").textContent = `${me.role} · ${me.lga_id}`;
    $("whoami").hidden = false;
    $("login-panel").hidden = true;
    $("chat-panel").hidden = false;
    $("target-fieldset").hidden = me.role !== "supervisor";
    $("recipient-label").textContent = me.role === "supervisor" ? "Recipient" : "Your supervisor";
    await loadTeam();
    syncTarget();
    client = new ResilientClient({
      api,
      transport: createTransport ? createTransport(location.origin, api) : null,
      onMessage: (event, meta) => addMessage(event, meta.source),
      onState: (state, info) => {
        renderBanner();
        renderTransitions();
        if (!$("outage-box").hidden && (state !== prevState || info.step === 1)) refreshFaults();
        prevState = state;
      },
      ...readOptions(),
    });
    window.rtspikeClient = client;
    client.start();
    refreshFaults();
    showBundleInfo();
  });

  $("logout").addEventListener("click", async () => {
    if (client) client.stop();
    client = null;
    await api.logout();
    me = null;
    seen.clear();
    $("messages").replaceChildren();
    $("recipient").replaceChildren();
    people.clear();
    $("empty").hidden = false;
    $("whoami").hidden = true;
    $("chat-panel").hidden = true;
    $("login-panel").hidden = false;
    renderBanner();
  });

  renderBanner();
}
