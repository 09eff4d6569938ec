// Ids and the resume cursor, byte-compatible with transports.core.ids and
// transports.core.cursor (the server decodes what the browser encodes).

export function uuid7(now = Date.now()) {
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  let ms = now;
  for (let i = 5; i >= 0; i--) {
    b[i] = ms % 256;
    ms = Math.floor(ms / 256);
  }
  b[6] = (b[6] & 0x0f) | 0x70;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function b64url(text) {
  let bin = "";
  for (const byte of new TextEncoder().encode(text)) bin += String.fromCharCode(byte);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function unb64url(body) {
  const bin = atob(body.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (body.length % 4)) % 4));
  return new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
}

/** Same opaque format as transports.core.cursor.Cursor: "c1" + base64url("epoch|s=q|..."). */
export class Cursor {
  constructor(epoch = "", positions = {}) {
    this.epoch = epoch;
    this.positions = { ...positions };
  }

  after(stream, epoch) {
    return this.epoch === epoch ? this.positions[stream] || 0 : 0;
  }

  advance(stream, seq, epoch) {
    if (this.epoch !== epoch) {
      this.epoch = epoch;
      this.positions = {};
    }
    if (seq > (this.positions[stream] || 0)) this.positions[stream] = seq;
  }

  isEmpty() {
    return this.epoch === "" && Object.keys(this.positions).length === 0;
  }

  encode() {
    const pairs = Object.keys(this.positions)
      .sort()
      .map((s) => `${s}=${this.positions[s]}`);
    return "c1" + b64url([this.epoch, ...pairs].join("|"));
  }

  static decode(raw) {
    if (!raw) return new Cursor();
    if (!raw.startsWith("c1")) throw new Error("cursor is malformed");
    const [epoch, ...pairs] = unb64url(raw.slice(2)).split("|");
    const positions = {};
    for (const pair of pairs) {
      const at = pair.lastIndexOf("=");
      positions[pair.slice(0, at)] = Number(pair.slice(at + 1));
    }
    return new Cursor(epoch, positions);
  }
}
