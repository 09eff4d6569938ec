// REST and the token provider of the browser client, plus the error types every adapter
// throws: ApiError (a final refusal in the one JSON shape) and TransportError (the network).

export const AUTH_CODES = new Set(["AUTH_REQUIRED", "TOKEN_EXPIRED", "TOKEN_REVOKED", "SESSION_EXPIRED"]);
export const PAGE = 200;
/** A REST call that hears nothing for this long fails as a network error: a phone that lost its
 * network without a FIN would otherwise hold a fetch (and the degraded poll loop) for as long as
 * the kernel keeps retransmitting, which is minutes. */
export const REQUEST_TIMEOUT_MS = 10_000;

/** A refusal the server gave in the one JSON error shape (final: retrying changes nothing). */
export class ApiError extends Error {
  constructor(code, message, { status = null, details = {}, closeCode = null } = {}) {
    super(message || code);
    this.code = code;
    this.status = status;
    this.details = details;
    this.closeCode = closeCode;
  }
}

/** A transport could not connect or dropped: maybe with a server code, maybe just the network. */
export class TransportError extends Error {
  constructor(message, { code = null, closeCode = null, status = null } = {}) {
    super(message);
    this.code = code;
    this.closeCode = closeCode;
    this.status = status;
  }
}

/** fetch() with a deadline on the whole exchange, body included; a missed deadline is a
 * TransportError (the network), never an unhandled DOMException. */
export async function timedFetch(url, init = {}, ms = REQUEST_TIMEOUT_MS) {
  const signal = AbortSignal.timeout(ms);
  const bounded = async () => {
    const resp = await fetch(url, { ...init, signal });
    const payload = await resp.json().catch((err) => {
      if (signal.aborted) throw err;
      return null;
    });
    return { resp, payload };
  };
  try {
    return await bounded();
  } catch (err) {
    if (signal.aborted) throw new TransportError(`request timed out after ${ms} ms`);
    throw err;
  }
}

export function errorFromPayload(payload, status = null, closeCode = null) {
  const err = payload && typeof payload === "object" ? payload.error : null;
  if (!err || typeof err !== "object" || typeof err.code !== "string") {
    return new ApiError("INTERNAL", `unexpected error payload (HTTP ${status})`, { status, closeCode });
  }
  return new ApiError(err.code, err.message, {
    status,
    details: err.details || {},
    closeCode: closeCode ?? payload.close_code ?? null,
  });
}

export class ApiClient {
  constructor(baseUrl = "", { now = () => Date.now(), requestTimeoutMs = REQUEST_TIMEOUT_MS } = {}) {
    this.baseUrl = baseUrl.replace(/\/$/, "");
    this.now = now;
    this.requestTimeoutMs = requestTimeoutMs;
    this.access = null;
    this.refreshToken = null;
    this.expiresAt = 0;
    this.ttlMs = 0;
    this.user = null;
    this._refreshing = null;
  }

  async _fetch(method, path, { body, token, headers = {} } = {}) {
    const h = { ...headers };
    if (body !== undefined) h["Content-Type"] = "application/json";
    if (token) h.Authorization = `Bearer ${token}`;
    const init = { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body), cache: "no-store" };
    const { resp, payload } = await timedFetch(this.baseUrl + path, init, this.requestTimeoutMs);
    if (!resp.ok) throw errorFromPayload(payload, resp.status);
    return payload;
  }

  _store(pair) {
    this.access = pair.access_token;
    this.refreshToken = pair.refresh_token;
    this.ttlMs = (pair.expires_in || 0) * 1000;
    this.expiresAt = this.now() + this.ttlMs;
    if (pair.user) this.user = pair.user;
  }

  async login(login, password) {
    this._store(await this._fetch("POST", "/api/v1/auth/login", { body: { login, password } }));
    return this.user;
  }

  /** Single flight: refresh tokens rotate, and a reused one revokes the whole session. */
  refresh() {
    if (!this._refreshing) {
      const run = async () => {
        if (!this.refreshToken) throw new ApiError("AUTH_REQUIRED", "not signed in", { status: 401 });
        try {
          const pair = await this._fetch("POST", "/api/v1/auth/refresh", {
            body: { refresh_token: this.refreshToken },
          });
          this._store(pair);
        } catch (err) {
          if (err instanceof ApiError && err.status === 401) {
            this.access = null;
            this.refreshToken = null;
          }
          throw err;
        }
        return this.access;
      };
      this._refreshing = run().finally(() => {
        this._refreshing = null;
      });
    }
    return this._refreshing;
  }

  /** The token provider: called on every (re)connect; refreshes near expiry or when forced. */
  async token({ force = false } = {}) {
    const margin = Math.min(30_000, this.ttlMs * 0.1);
    if (force || !this.access || this.now() >= this.expiresAt - margin) return this.refresh();
    return this.access;
  }

  /** An authenticated call; one refresh-and-retry when the access token turned out stale. */
  async request(method, path, opts = {}) {
    const token = await this.token();
    try {
      return await this._fetch(method, path, { ...opts, token });
    } catch (err) {
      if (!(err instanceof ApiError) || err.status !== 401 || !AUTH_CODES.has(err.code)) throw err;
      return this._fetch(method, path, { ...opts, token: await this.token({ force: true }) });
    }
  }

  messages(after, limit = PAGE) {
    const q = new URLSearchParams({ limit: String(limit) });
    if (after) q.set("after", after);
    return this.request("GET", `/api/v1/messages?${q}`);
  }

  /** The caller's team as the server's policy sees it: {me, can_send, can_broadcast, recipients}. */
  team() {
    return this.request("GET", "/api/v1/team");
  }

  async postMessage(msg, transport = "rest") {
    const headers = transport === "rest" ? {} : { "X-Rtspike-Transport": transport };
    return (await this.request("POST", "/api/v1/messages", { body: msg, headers })).message;
  }

  async logout() {
    if (this.access) {
      try {
        await this._fetch("POST", "/api/v1/auth/logout", { token: this.access });
      } catch {
        // signing out locally is what matters
      }
    }
    this.access = this.refreshToken = this.user = null;
  }
}

export function toTransportError(err) {
  if (err instanceof TransportError || err instanceof ApiError) return err;
  return new TransportError(err?.message || String(err));
}

/** Promise with a deadline: a transport send that never hears back falls back to REST. */
export function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new TransportError(`${what} timed out`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
