// The one resilient client state machine of the browser demo (same logic as the Python
// transports/resilient.py): token provider on every (re)connect, capped exponential backoff
// with full jitter, degraded REST polling with a probing schedule, per-stream ordered
// exactly-once delivery with gap repair, and idempotent sends that fall back to REST.

import { AUTH_CODES, ApiError, PAGE, TransportError, errorFromPayload, timedFetch, toTransportError } from "./api.js";
import { Cursor, uuid7 } from "./cursor.js";
import { CLOSE, POLL_SCHEDULE, checkTransition, shouldReconnect } from "./protocol.js";

export { ApiClient, ApiError, REQUEST_TIMEOUT_MS, TransportError, errorFromPayload, timedFetch, withTimeout } from "./api.js";
export { Cursor, uuid7 } from "./cursor.js";

export { STATES, TRANSITIONS } from "./protocol.js";
const RECENT_IDS = 4096;

/** Full jitter: uniform(0, min(cap, base * 2**attempt)). */
export function backoffDelay(attempt, base, cap, random = Math.random) {
  return random() * Math.min(cap, base * 2 ** attempt);
}

/** Where an HTTP answer on the transport's route says "realtime is switched off here". */
export async function probeUnavailable(url) {
  try {
    const { resp, payload } = await timedFetch(url, { method: "GET", cache: "no-store" });
    if (resp.status !== 503) return null;
    return errorFromPayload(payload, 503);
  } catch {
    return null;
  }
}

function isTerminal(err) {
  const close = err.closeCode;
  if (err.code === "FORBIDDEN_ROLE") return true;
  return close != null && !shouldReconnect(close) && !isAuth(err);
}

function isAuth(err) {
  return AUTH_CODES.has(err.code) || err.closeCode === CLOSE.TOKEN_EXPIRED || err.closeCode === CLOSE.AUTH_INVALID;
}

export class ResilientClient {
  /**
   * transport: {name, probeUrl, connect({token, cursor, onEvent, onClose}) -> session}
   * where session = {send(msg) -> event, close()}; null = REST polling only.
   */
  constructor({
    api,
    transport,
    onMessage = () => {},
    onState = () => {},
    pollSchedule = POLL_SCHEDULE,
    timeScale = 1,
    backoffBase = 0.5,
    backoffCap = 15,
    maxFailures = 3,
    random = Math.random,
    now = () => Date.now(),
  }) {
    Object.assign(this, { api, transport, onMessage, onState, pollSchedule, timeScale });
    Object.assign(this, { backoffBase, backoffCap, maxFailures, random, now });
    this.cursor = new Cursor();
    this.state = null;
    this.info = {};
    this.transitions = [];
    this.session = null;
    this._recent = new Set();
    this._recentOrder = [];
    this._chain = Promise.resolve();
    this._stopped = false;
    this._wake = null;
    this._forceRefresh = false;
    this._authRetried = false;
    this.lastSendVia = null;
    this.pollTimes = [];
  }

  get transportName() {
    return this.transport ? this.transport.name : "rest";
  }

  start() {
    this._stopped = false;
    this._loop = this._run().catch((err) => this._disconnect(err));
    return this._loop;
  }

  stop() {
    this._stopped = true;
    clearTimeout(this._repairTimer);
    if (this.session) this.session.close();
    this.session = null;
    this._interrupt();
    if (this.state !== "disconnected") this._set("disconnected", { lastError: "CLOSED" });
  }

  // -- states ---------------------------------------------------------------------------
  _set(state, extra = {}) {
    checkTransition(this.state, state);
    const at = this.now();
    this.info = { attempt: 0, nextPollAt: null, nextRetryAt: null, lastError: null, ...extra };
    this.info.transport = this.transportName;
    this.info.at = at;
    if (state !== this.state) this.transitions.push({ state, at, info: { ...this.info } });
    this.state = state;
    this.onState(state, { ...this.info });
  }

  _disconnect(err) {
    this._stopped = true;
    clearTimeout(this._repairTimer);
    if (this.session) this.session.close();
    this.session = null;
    this._set("disconnected", { lastError: err?.code || "CLOSED", message: err?.message || "" });
  }

  _sleep(seconds) {
    if (this._stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, Math.max(0, seconds * 1000));
      const self = this;
      function done() {
        clearTimeout(timer);
        if (self._wake === done) self._wake = null;
        resolve();
      }
      this._wake = done;
    });
  }

  _interrupt() {
    if (this._wake) this._wake();
  }

  // -- the loop -------------------------------------------------------------------------
  async _run() {
    let attempt = 0;
    let failures = 0;
    while (!this._stopped) {
      this._set("connecting", { attempt: attempt + 1 });
      const outcome = await this._tryConnect();
      if (this._stopped) return;
      if (outcome.ok) {
        attempt = failures = 0;
        if (!(await this._live(outcome.ended))) return;
        continue;
      }
      if (outcome.retryNow) continue;
      failures += 1;
      if (outcome.unavailable || failures >= this.maxFailures) {
        const ended = await this._degraded(outcome.error);
        if (!ended) return;
        attempt = failures = 0;
        if (!(await this._live(ended))) return;
        continue;
      }
      const delay = backoffDelay(attempt, this.backoffBase, this.backoffCap, this.random) * this.timeScale;
      attempt += 1;
      this._set("connecting", {
        attempt,
        lastError: outcome.error.code || "UNREACHABLE",
        nextRetryAt: this.now() + delay * 1000,
      });
      await this._sleep(delay);
    }
  }

  /** Wait for a live session to end; false when the client must stop (terminal or stopped). */
  async _live(ended) {
    const info = await ended;
    if (this._stopped) return false;
    if (isTerminal(info)) {
      this._disconnect(info);
      return false;
    }
    let delay = 0;
    if (isAuth(info)) this._forceRefresh = true;
    else delay = backoffDelay(0, this.backoffBase, this.backoffCap, this.random) * this.timeScale;
    this._set("connecting", {
      attempt: 1,
      lastError: info.closeCode ? `CLOSE_${info.closeCode}` : info.code || "DROPPED",
      nextRetryAt: this.now() + delay * 1000,
    });
    await this._sleep(delay);
    return !this._stopped;
  }

  /** One connect attempt. ok -> {ok, ended: Promise<close info>}; else a classified failure. */
  async _tryConnect() {
    if (!this.transport) {
      return { ok: false, unavailable: true, error: new ApiError("TRANSPORT_UNAVAILABLE", "REST only") };
    }
    let token;
    try {
      token = await this.api.token({ force: this._forceRefresh });
      this._forceRefresh = false;
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) throw err;
      return { ok: false, error: toTransportError(err) };
    }
    let onEnd;
    let session = null;
    const ended = new Promise((resolve) => (onEnd = resolve));
    try {
      session = await this.transport.connect({
        token,
        cursor: this.cursor.isEmpty() ? null : this.cursor.encode(),
        onEvent: (ev) => this._enqueueLive(ev),
        onClose: (info) => {
          if (session && this.session === session) this.session = null;
          onEnd(info);
        },
      });
      if (this._stopped) {
        session.close();
        return { ok: false, error: new TransportError("stopped") };
      }
      this.session = session;
      this._authRetried = false;
      this._set("connected");
      return { ok: true, ended };
    } catch (raw) {
      const err = toTransportError(raw);
      if (isTerminal(err)) throw err;
      if (isAuth(err)) {
        if (this._authRetried) throw err;
        this._authRetried = true;
        this._forceRefresh = true;
        return { ok: false, retryNow: true, error: err };
      }
      if (err.code === "TRANSPORT_UNAVAILABLE") return { ok: false, unavailable: true, error: err };
      if (err.code == null && this.transport.probeUrl) {
        const probed = await probeUnavailable(this.transport.probeUrl);
        if (probed) return { ok: false, unavailable: true, error: probed };
      }
      return { ok: false, error: err };
    }
  }

  /** Poll on the schedule, probing the transport after each poll; the live session's end
   * promise once a probe connects, null when the client stops. */
  async _degraded(cause) {
    let step = 0;
    let lastError = cause?.code || "UNREACHABLE";
    this._set("degraded", { lastError, nextPollAt: this.now() });
    while (!this._stopped) {
      const began = this.now();
      this.pollTimes.push(began);
      try {
        await this.catchUp("poll");
      } catch (err) {
        if (err instanceof ApiError && err.status === 401) throw err;
        lastError = err.code || "UNREACHABLE";
      }
      if (this._stopped) return null;
      const probe = await this._tryConnect();
      if (this._stopped) return null;
      if (probe.ok) return probe.ended;
      if (!probe.retryNow) lastError = probe.error?.code || lastError;
      // Delays run from the start of each poll, so a slow probe does not stretch the schedule.
      const delay = this.pollSchedule[Math.min(step, this.pollSchedule.length - 1)] * this.timeScale;
      step += 1;
      const nextPollAt = began + delay * 1000;
      this._set("degraded", { lastError, nextPollAt, step });
      await this._sleep(Math.max(0, nextPollAt - this.now()) / 1000);
    }
    return null;
  }

  // -- delivery -------------------------------------------------------------------------
  _enqueueLive(event) {
    this._chain = this._chain.then(() => this._deliverLive(event)).catch(() => {});
  }

  async _deliverLive(event) {
    if (this._isDuplicate(event)) return;
    const last = this.cursor.after(event.stream, event.epoch);
    if (event.seq > last + 1) {
      try {
        await this._catchUpNow("gap");
      } catch {
        this._scheduleRepair();
        return;
      }
    }
    this._accept(event, "live");
  }

  _scheduleRepair() {
    clearTimeout(this._repairTimer);
    this._repairTimer = setTimeout(() => {
      if (!this._stopped) this.catchUp("gap").catch(() => this._scheduleRepair());
    }, 1000 * this.timeScale);
  }

  /** Everything after the cursor, through the same ordered chain as live pushes. */
  catchUp(source = "poll") {
    const run = this._chain.then(() => this._catchUpNow(source));
    this._chain = run.catch(() => {});
    return run;
  }

  async _catchUpNow(source) {
    for (;;) {
      const page = await this.api.messages(this.cursor.isEmpty() ? null : this.cursor.encode(), PAGE);
      for (const event of page.messages) this._accept(event, source);
      if (!page.has_more || page.messages.length === 0) return;
    }
  }

  _isDuplicate(event) {
    if (this._recent.has(event.id)) return true;
    return this.cursor.epoch === event.epoch && event.seq <= this.cursor.after(event.stream, event.epoch);
  }

  _accept(event, source) {
    if (this._isDuplicate(event)) return false;
    this._recent.add(event.id);
    this._recentOrder.push(event.id);
    if (this._recentOrder.length > RECENT_IDS) this._recent.delete(this._recentOrder.shift());
    this.cursor.advance(event.stream, event.seq, event.epoch);
    try {
      this.onMessage(event, { source });
    } catch (err) {
      console.error("message handler failed", err);
    }
    return true;
  }

  // -- sending --------------------------------------------------------------------------
  /** Through the live transport when connected, else REST; the same client_msg_id either way. */
  async send(msg) {
    const out = { ...msg, client_msg_id: msg.client_msg_id || uuid7() };
    const session = this.session;
    if (this.state === "connected" && session) {
      try {
        const event = await session.send(out);
        this.lastSendVia = this.transportName;
        return event;
      } catch (err) {
        if (err instanceof ApiError) throw err;
      }
    }
    const event = await this.api.postMessage(out);
    this.lastSendVia = "rest";
    return event;
  }
}
