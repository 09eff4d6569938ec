// The React demo page (the story's SupervisorMessagesPage as a harness): sign in, the status
// banner, the messages and a send form. `useConnection` is the realtime hook, or the REST-only
// stand-in of the baseline bundle, so the two bundles differ by exactly the realtime layer.
import { StrictMode, useMemo, useState } from "react";
import { createRoot } from "react-dom/client";
import { ApiClient, ApiError } from "../api.js";
import { RealtimeStatusBanner } from "./RealtimeStatusBanner.jsx";
import { sendsOverRest } from "../transports.js";

function SignIn({ api, onSignedIn }) {
  const [error, setError] = useState("");
  async function submit(ev) {
    ev.preventDefault();
    const form = new FormData(ev.currentTarget);
    try {
      onSignedIn(await api.login(String(form.get("login")), String(form.get("password"))));
    } catch (err) {
      setError(err instanceof ApiError ? err.message : `Cannot reach the server: ${err.message}`);
    }
  }
  const preset = new URLSearchParams(location.search).get("login") || "enum.lga-01.001";
  return (
    <form id="login-form" onSubmit={submit}>
      <label htmlFor="login">Login</label> <input id="login" name="login" defaultValue={preset} />
      <label htmlFor="password">Password</label> <input id="password" name="password" type="password" defaultValue="rtspike-dev" />
      <button id="login-btn" type="submit">Sign in</button>
      <p className="error">{error}</p>
    </form>
  );
}

function Messages({ api, me, label, useConnection, createTransport, options }) {
  const { state, info, messages, send, lastSendVia } = useConnection({ api, createTransport, options });
  const [result, setResult] = useState("");
  async function submit(ev) {
    ev.preventDefault();
    const form = ev.currentTarget;
    const to = form.elements.recipient.value.trim();
    const body = form.elements.body.value.trim();
    if (!body) return;
    setResult(""); // the previous result must not read as this send's
    try {
      await send(to ? { to, body } : { broadcast: true, body });
      form.elements.body.value = "";
      setResult("sent");
    } catch (err) {
      setResult(`Not sent: ${err.code || ""} ${err.message}`);
    }
  }
  const via = sendsOverRest(lastSendVia) ? "REST" : label;
  return (
    <main id="chat-panel" data-user={me.id}>
      <RealtimeStatusBanner state={state} info={info} label={label} />
      <ul id="messages">
        {messages.map((m) => (
          <li key={m.id} data-id={m.id} data-source={m.source}>
            <span className="body">{m.body}</span>
          </li>
        ))}
      </ul>
      <form id="send-form" onSubmit={submit}>
        <input id="recipient" name="recipient" placeholder="recipient id (empty: the team)" />
        <input id="body" name="body" placeholder="message" />
        <button id="send-btn" type="submit">Send</button>
      </form>
      <p id="send-result">{result === "sent" ? `Sent via ${via}.` : result}</p>
    </main>
  );
}

function App(props) {
  const api = useMemo(() => new ApiClient(location.origin), []);
  const [me, setMe] = useState(null);
  return me ? <Messages api={api} me={me} {...props} /> : <SignIn api={api} onSignedIn={setMe} />;
}

export function mountReactDemo({ label, useConnection, createTransport = null, options = {} }) {
  const root = createRoot(document.getElementById("root"));
  const props = { label, useConnection, createTransport, options };
  root.render(
    <StrictMode>
      <App {...props} />
    </StrictMode>,
  );
}
