// The test's own proxy between Chromium and the server, for the bad-network tests
// (tests/browser_network.rs): it adds delay, and on command stalls every connection, cuts
// them all, or loses the answers of chosen requests after the server has handled them.
// Packet loss and the rate limit are the kernel's (nftables and tc, set by the Rust test on the
// proxy's port). It reads the HTTP/1.1 it carries, to account for every answer: its URL,
// status and body bytes.
import net from "node:net";

/** One direction of one connection: chunks leave in order, each `oneWay` ms after it came
 *  (and not before `notBefore`), and not at all while the link is stalled. */
class Lane {
  constructor(link, to, notBefore) {
    this.link = link;
    this.to = to;
    this.notBefore = notBefore;
    this.queue = [];
    this.timer = null;
  }
  push(item) {
    item.at = Math.max(Date.now() + this.link.oneWay, this.notBefore);
    this.queue.push(item);
    this.pump();
  }
  pump() {
    if (this.timer) return;
    while (this.queue.length && !this.link.stalled && !this.to.destroyed) {
      const wait = this.queue[0].at - Date.now();
      if (wait > 0) {
        this.timer = setTimeout(() => { this.timer = null; this.pump(); }, wait);
        return;
      }
      const item = this.queue.shift();
      if (item.end) this.to.end();
      else if (item.then) item.then();
      else this.to.write(item.buf);
    }
  }
  clear() { clearTimeout(this.timer); this.timer = null; this.queue = []; }
}

/** Splits an HTTP/1.1 byte stream into messages. `onHead(head)` returns the message record
 *  for each head (with `left`: body bytes, -1 for "until the connection closes", and
 *  `chunked`); `feed` returns the pieces of a chunk, each with its message, the body bytes it
 *  holds and whether it ends the message. */
class Parser {
  constructor(isResponse, onHead) {
    this.isResponse = isResponse;
    this.onHead = onHead;
    this.rest = Buffer.alloc(0);
    this.msg = null;
    this.state = "head"; // head | body | size | data | crlf | trailer
  }
  feed(data) {
    const out = [];
    let b = this.rest.length ? Buffer.concat([this.rest, data]) : data;
    this.rest = Buffer.alloc(0);
    const line = () => {
      const nl = b.indexOf("\r\n");
      if (nl < 0) return null;
      const text = b.subarray(0, nl).toString("latin1");
      out.push({ msg: this.msg, buf: b.subarray(0, nl + 2), body: 0 });
      b = b.subarray(nl + 2);
      return text;
    };
    const done = () => { out[out.length - 1].end = true; this.msg = null; this.state = "head"; };
    while (b.length) {
      if (this.state === "head") {
        const end = b.indexOf("\r\n\r\n");
        if (end < 0) break;
        this.msg = this.onHead(parseHead(b.subarray(0, end).toString("latin1"), this.isResponse));
        out.push({ msg: this.msg, buf: b.subarray(0, end + 4), body: 0, head: true });
        b = b.subarray(end + 4);
        if (this.msg.chunked) this.state = "size";
        else if (this.msg.left === 0) done();
        else this.state = "body";
      } else if (this.state === "body") {
        const n = this.msg.left < 0 ? b.length : Math.min(this.msg.left, b.length);
        out.push({ msg: this.msg, buf: b.subarray(0, n), body: n });
        b = b.subarray(n);
        if (this.msg.left > 0) {
          this.msg.left -= n;
          if (this.msg.left === 0) done();
        }
      } else if (this.state === "size") {
        const l = line();
        if (l === null) break;
        const size = parseInt(l, 16);
        if (size === 0) this.state = "trailer";
        else { this.msg.chunkLeft = size; this.state = "data"; }
      } else if (this.state === "data") {
        const n = Math.min(this.msg.chunkLeft, b.length);
        out.push({ msg: this.msg, buf: b.subarray(0, n), body: n });
        b = b.subarray(n);
        this.msg.chunkLeft -= n;
        if (this.msg.chunkLeft === 0) this.state = "crlf";
      } else if (this.state === "crlf") {
        if (line() === null) break;
        this.state = "size";
      } else {
        const l = line();
        if (l === null) break;
        if (l === "") done();
      }
    }
    this.rest = Buffer.from(b);
    return out;
  }
}

function parseHead(text, isResponse) {
  const lines = text.split("\r\n");
  const first = lines[0].split(" ");
  const headers = {};
  for (const l of lines.slice(1)) {
    const i = l.indexOf(":");
    if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  return isResponse ? { status: parseInt(first[1], 10), headers } : { method: first[0], path: first[1], headers };
}

function framing(headers, noBody, isResponse) {
  if (noBody) return { left: 0, chunked: false };
  if (/chunked/i.test(headers["transfer-encoding"] || "")) return { left: 0, chunked: true };
  if (headers["content-length"] !== undefined) return { left: parseInt(headers["content-length"], 10), chunked: false };
  return { left: isResponse ? -1 : 0, chunked: false };
}

/**
 * Starts the proxy on 127.0.0.1:`port` in front of `upstream` ("HOST:PORT"); `delayMs` is added
 * to every round trip (half each way) and to each new connection. Resolves when listening.
 */
export async function link({ port, upstream, delayMs }) {
  const [uhost, uport] = upstream.split(":");
  const conns = new Set();
  const self = {
    oneWay: delayMs / 2,
    stalled: false,
    cutUntil: 0,
    /** Every answer the server gave: { method, path, status, bytes (body), lost, at, body }. */
    answers: [],
    /** Connections refused while the link was cut. */
    refused: 0,
    loseRules: [],
    /** Called with each request as its head passes ({ method, path }). */
    onRequest: null,
  };

  function drop(conn, reset) {
    if (!conns.has(conn)) return;
    conns.delete(conn);
    conn.toClient.clear();
    conn.toServer.clear();
    if (reset) conn.client.resetAndDestroy();
    else conn.client.destroy();
    conn.up.destroy();
  }

  const server = net.createServer({ allowHalfOpen: true }, (client) => {
    if (Date.now() < self.cutUntil) {
      self.refused++;
      client.resetAndDestroy();
      return;
    }
    const up = net.connect({ port: Number(uport), host: uhost, allowHalfOpen: true });
    // A new connection costs a round trip before its first bytes pass.
    const opened = Date.now() + 2 * self.oneWay;
    const conn = { client, up, pending: [] };
    conn.toServer = new Lane(self, up, opened);
    conn.toClient = new Lane(self, client, 0);
    conns.add(conn);
    client.setNoDelay(true);
    up.setNoDelay(true);
    const requests = new Parser(false, (h) => {
      const r = { method: h.method, path: h.path, ...framing(h.headers, false, false) };
      const rule = self.loseRules.find((x) => x.count > 0 && x.method === h.method && x.path === h.path);
      if (rule) rule.count--;
      r.lose = rule ? rule.how : null;
      conn.pending.push(r);
      if (self.onRequest) self.onRequest(r);
      return r;
    });
    const answers = new Parser(true, (h) => {
      const req = conn.pending.shift() || { method: "?", path: "?" };
      const noBody = req.method === "HEAD" || h.status === 204 || h.status === 304 || h.status < 200;
      const a = { method: req.method, path: req.path, status: h.status, bytes: 0, lost: req.lose || false, at: Date.now(), parts: [], json: /json/.test(h.headers["content-type"] || "") };
      self.answers.push(Object.assign(a, framing(h.headers, noBody, true)));
      return a;
    });
    client.on("data", (d) => {
      requests.feed(d);
      conn.toServer.push({ buf: d });
    });
    up.on("data", (d) => {
      for (const p of answers.feed(d)) {
        const a = p.msg;
        a.bytes += p.body;
        if (a.json && p.body) a.parts.push(Buffer.from(p.buf));
        if (p.end) a.body = Buffer.concat(a.parts).toString("utf8");
        // A lost answer: the server sent all of it; the client gets nothing of it ("whole"), or
        // only its head ("body"), then its connection is reset.
        if (a.lost) {
          if (a.lost === "body" && p.head) conn.toClient.push({ buf: p.buf });
          if (p.end) conn.toClient.push({ then: () => drop(conn, true) });
          continue;
        }
        conn.toClient.push({ buf: p.buf });
      }
    });
    client.on("end", () => conn.toServer.push({ end: true }));
    up.on("end", () => conn.toClient.push({ end: true }));
    const gone = () => drop(conn, false);
    client.on("error", gone);
    up.on("error", gone);
    client.on("close", gone);
    up.on("close", () => { if (!conn.toClient.queue.length) gone(); });
  });

  /** Every connection reset at once; new ones refused for `ms`. */
  self.cut = (ms) => {
    self.cutUntil = Date.now() + ms;
    for (const c of [...conns]) drop(c, true);
  };
  /** Nothing passes, either way, on any connection (new ones too) until `release`. */
  self.stall = () => { self.stalled = true; };
  self.release = () => {
    self.stalled = false;
    for (const c of conns) { c.toClient.pump(); c.toServer.pump(); }
  };
  /** The next `count` answers to `method path` are lost: the server handles the request, and
   *  the client's connection is reset instead of receiving the answer (`how` "whole"), or
   *  after its head only (`how` "body"). Chromium sends a request again by itself when a
   *  kept-alive connection fails before any answer; not once the head has come. */
  self.loseAnswers = (method, path, count, how = "whole") => self.loseRules.push({ method, path, count, how });
  self.close = () => { for (const c of [...conns]) drop(c, false); server.close(); };
  await new Promise((resolve, reject) => {
    server.on("error", reject);
    server.listen(port, "127.0.0.1", resolve);
  });
  return self;
}
