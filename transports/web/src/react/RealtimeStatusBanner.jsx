// The story's RealtimeStatusBanner: one line of state for the user, never a blocking modal.
const TITLES = { connecting: "Connecting…", connected: "Live", degraded: "Degraded", disconnected: "Disconnected" };

export function RealtimeStatusBanner({ state, info = {}, label }) {
  const why = info.lastError ? ` (${info.lastError})` : "";
  const detail = {
    connecting: `via ${label}, attempt ${info.attempt || 1}${why}`,
    connected: `connected via ${label}; messages arrive as they are sent.`,
    degraded: `${label} unavailable${why}; polling over REST. Nothing is lost: polling resumes from your cursor.`,
    disconnected: `${info.message || info.lastError || "stopped"}. Sign in again to reconnect.`,
  }[state];
  return (
    <div id="status" className="banner" data-state={state} role="status" aria-live="polite">
      <strong id="status-title">{TITLES[state] || state}</strong> <span id="status-detail">{detail || ""}</span>
    </div>
  );
}
