// The React 18 hook the story asks for (apps/web/src/hooks/useRealtimeConnection.ts), written
// over the same ResilientClient the demo page uses: state for the banner, the delivered
// messages (ordered, exactly once, live or caught up by polling) and a send that falls back to
// REST. One client per mounted hook; unmounting stops it, so StrictMode's double effect is safe.
import { useCallback, useEffect, useRef, useState } from "react";
import { ResilientClient, TransportError } from "../resilient.js";

/** Messages kept in React state; older ones stay in the server log (bounded memory). */
export const MAX_MESSAGES = 500;

function appendOnce(list, event, source) {
  if (list.some((m) => m.id === event.id)) return list;
  return [...list, { ...event, source }].slice(-MAX_MESSAGES);
}

/**
 * api: an ApiClient (login, token refresh, REST); createTransport(baseUrl, api) -> transport
 * or null for REST polling only; options: ResilientClient tuning (poll schedule, backoff).
 * Returns {state, info, messages, send, lastSendVia, client}.
 */
export function useRealtimeConnection({ api, createTransport, baseUrl = location.origin, options = {} }) {
  const [state, setState] = useState("connecting");
  const [info, setInfo] = useState({});
  const [messages, setMessages] = useState([]);
  const [lastSendVia, setLastSendVia] = useState(null);
  const clientRef = useRef(null);
  const optionsRef = useRef(options);

  useEffect(() => {
    const client = new ResilientClient({
      api,
      transport: createTransport ? createTransport(baseUrl, api) : null,
      onMessage: (event, meta) => setMessages((list) => appendOnce(list, event, meta.source)),
      onState: (next, detail) => {
        setState(next);
        setInfo(detail);
      },
      ...optionsRef.current,
    });
    clientRef.current = client;
    client.start();
    return () => {
      client.stop();
      if (clientRef.current === client) clientRef.current = null;
    };
  }, [api, createTransport, baseUrl]);

  const send = useCallback(async (message) => {
    const client = clientRef.current;
    if (!client) throw new TransportError("not started: sign in first");
    const event = await client.send(message);
    setLastSendVia(client.lastSendVia);
    setMessages((list) => appendOnce(list, event, "sent"));
    return event;
  }, []);

  return { state, info, messages, send, lastSendVia, client: clientRef.current };
}
