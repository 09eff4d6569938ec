// The baseline bundle's stand-in for the realtime hook: the same return shape, REST sends only,
// no realtime client. Bytes of a transport bundle minus this one = the realtime layer.
import { useCallback, useState } from "react";
import { uuid7 } from "../cursor.js";

export function useRestOnly({ api }) {
  const [messages, setMessages] = useState([]);
  const send = useCallback(
    async (message) => {
      const event = await api.postMessage({ ...message, client_msg_id: uuid7() });
      setMessages((list) => [...list, { ...event, source: "sent" }]);
      return event;
    },
    [api],
  );
  return { state: "disconnected", info: { message: "no realtime transport in this bundle" }, messages, send, lastSendVia: "rest", client: null };
}
