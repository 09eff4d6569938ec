// The wire constants of the browser clients. Python defines them (core/errors.py CloseCode
// and its reconnect rule); tests/web/test_protocol_agreement.py fails when the two drift.

export const CLOSE = Object.freeze({
  NORMAL: 1000,
  ABNORMAL: 1006,
  TOKEN_EXPIRED: 4001,
  SLOW_CONSUMER: 4008,
  SERVER_RESTART: 4012,
  RATE_LIMITED: 4029,
  PROTOCOL_ERROR: 4400,
  AUTH_INVALID: 4501,
  FORBIDDEN_ROLE: 4503,
});

/** Close codes in [first, last] are terminal; every other close is worth a reconnect. */
export const TERMINAL_RANGE = Object.freeze([4500, 4999]);

/** Degraded mode's default REST poll delays (s); the last repeats. Python: POLL_SCHEDULE_S. */
export const POLL_SCHEDULE = Object.freeze([5, 10, 30, 60]);

export function shouldReconnect(closeCode) {
  return !(closeCode >= TERMINAL_RANGE[0] && closeCode <= TERMINAL_RANGE[1]);
}

/** The resilient client's four states and which may follow which (Python:
 * clients/resilient/state.py TRANSITIONS). Staying in a state is not a transition. */
export const STATES = Object.freeze(["connecting", "connected", "degraded", "disconnected"]);
export const TRANSITIONS = Object.freeze({
  connecting: Object.freeze(["connected", "degraded", "disconnected"]),
  connected: Object.freeze(["connecting", "disconnected"]),
  degraded: Object.freeze(["connected", "disconnected"]),
  disconnected: Object.freeze(["connecting"]),
});

export class IllegalTransition extends Error {}

/** Throws IllegalTransition unless `to` may follow `from` (null = not started = disconnected). */
export function checkTransition(from, to) {
  const current = from ?? "disconnected";
  if (current === to) return;
  if (!(TRANSITIONS[current] || []).includes(to)) {
    throw new IllegalTransition(`${current} cannot become ${to}`);
  }
}
