// The phone's outbox: registration, reading events and a few requests (a cell meeting's
// record and schedule) are written to IndexedDB first and sent when the network allows, from
// the page or from the service worker (Background Sync).
// An event leaves the outbox only when the server has answered for it; the server ignores
// an event it already has (same id), so a batch sent twice is never counted twice.
// It also keeps the committees' notices for offline reading (`notices`): asked for with the
// ETag of the copy kept, so that the server sends nothing when nothing changed.
(() => {
  "use strict";
  const DB = "sotay";
  const VERSION = 2;
  const MAX_BATCH = 500;
  // A request that gets no whole answer within this long (plus 1 s per 5 KB sent, for a slow
  // upload) is given up: it is tried again later, and never hangs the outbox.
  const WAIT_MS = 20000;

  /** Sending failed and should be tried later; `kind` is "timeout", "network" or "server". */
  class Retry extends Error {
    constructor(message, kind) {
      super(message);
      this.kind = kind || "server";
    }
  }

  /** The site's base path, in the page and in the service worker. */
  function base() {
    if (self.registration && self.registration.scope) return new URL(self.registration.scope).pathname;
    const b = self.document && self.document.body && self.document.body.getAttribute("data-base");
    return b || "/";
  }

  let dbPromise = null;
  function db() {
    if (!dbPromise) {
      dbPromise = new Promise((resolve, reject) => {
        const r = indexedDB.open(DB, VERSION);
        r.onupgradeneeded = () => {
          const d = r.result;
          if (!d.objectStoreNames.contains("outbox")) d.createObjectStore("outbox", { keyPath: "id" });
          if (!d.objectStoreNames.contains("kv")) d.createObjectStore("kv");
          // Requests to send, one per "METHOD path": a newer one replaces a waiting one.
          if (!d.objectStoreNames.contains("requests")) d.createObjectStore("requests", { keyPath: "key" });
        };
        r.onsuccess = () => {
          // A newer page (a new version of this file) upgrading the database: let it.
          r.result.onversionchange = () => {
            r.result.close();
            dbPromise = null;
          };
          resolve(r.result);
        };
        r.onerror = () => {
          dbPromise = null;
          reject(r.error);
        };
      });
    }
    return dbPromise;
  }

  /** Runs `fn(objectStore)` in one transaction; resolves, once it is complete, to the result
   *  of the request `fn` returns (if any). */
  async function run(store, mode, fn) {
    const d = await db();
    return new Promise((resolve, reject) => {
      const t = d.transaction(store, mode);
      let result;
      const req = fn(t.objectStore(store));
      if (req) req.onsuccess = () => { result = req.result; };
      t.oncomplete = () => resolve(result);
      t.onerror = t.onabort = () => reject(t.error);
    });
  }

  const get = (key) => run("kv", "readonly", (s) => s.get(key));
  const set = (key, value) => run("kv", "readwrite", (s) => s.put(value, key));
  const del = (key) => run("kv", "readwrite", (s) => s.delete(key));
  const count = () => run("outbox", "readonly", (s) => s.count());
  const pending = (limit) => run("outbox", "readonly", (s) => s.getAll(null, limit));

  // UUIDv7 (RFC 9562): the first 48 bits are the time in ms, the rest random. Ids of events made
  // close together sort together, so the server's events table (keyed by id) grows at its end
  // instead of taking each insert at a random page; a wrong phone clock costs only that.
  function uuid() {
    const b = self.crypto.getRandomValues(new Uint8Array(16));
    let t = Date.now();
    for (let i = 5; i >= 0; i--) {
      b[i] = t % 256;
      t = Math.floor(t / 256);
    }
    b[6] = (b[6] & 0x0f) | 0x70;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => (x + 256).toString(16).slice(1)).join("");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  /** Queues an event ({type, doc, version, ms, text, attendees}); resolves to its id. */
  async function add(ev) {
    ev.id = ev.id || uuid();
    ev.at = ev.at || new Date().toISOString();
    await run("outbox", "readwrite", (s) => s.put(ev));
    return ev.id;
  }

  /** Keeps a request (`PUT api/v1/meetings/2026-12` and its JSON body) to send; one that was
   *  waiting for the same method and path is replaced. `flush` sends it; the server's answer
   *  is kept as "answer:METHOD path" ({meeting: ...} or {error: {code, message}}). */
  async function request(method, path, body) {
    const key = `${method} ${path}`;
    await run("requests", "readwrite", (s) => s.put({ key, method, path, body, at: new Date().toISOString() }));
    return key;
  }
  /** The request waiting for "METHOD path", if any. */
  const pendingRequest = (key) => run("requests", "readonly", (s) => s.get(key));

  /** This phone's id: sent with the registration, so that sending it twice counts one phone. */
  async function device() {
    const known = await get("device");
    if (known) return known;
    const d = uuid();
    await set("device", d);
    return d;
  }

  /** Keeps a registration to send; `flush` sends it. */
  async function register(form) {
    form.device_id = await device();
    await set("registration", form);
    await del("registration_error");
  }

  /** fetch, with the answer read in full within `ms`: resolves to the answer (its body is
   *  dropped for a 304), or rejects with Retry naming `what` when the network failed or
   *  nothing whole came in time. */
  async function fetchWhole(url, opts, ms, what) {
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(), ms);
    try {
      const res = await fetch(url, { ...opts, credentials: "same-origin", cache: "no-store", signal: ctl.signal });
      const text = await res.text();
      // A status without a body (204, 205, 304) cannot be given one, even empty: Response throws.
      const bodyless = [204, 205, 304].includes(res.status);
      return new Response(bodyless ? null : text, { status: res.status, headers: res.headers });
    } catch (e) {
      const aborted = ctl.signal.aborted;
      throw new Retry(`${what}: ${aborted ? "no answer" : "network error"}`, aborted ? "timeout" : "network");
    } finally {
      clearTimeout(timer);
    }
  }

  /** Sends `body` (POST, or `method`); resolves to the answer, read in full, or rejects with
   *  Retry. */
  function post(path, body, token, method) {
    const headers = { "content-type": "application/json" };
    if (token) headers.authorization = `Bearer ${token}`;
    const text = JSON.stringify(body);
    const opts = { method: method || "POST", headers, body: text };
    return fetchWhole(base() + path, opts, WAIT_MS + text.length / 5, path);
  }

  /** Sends the waiting requests, oldest first. An answer the server gave (2xx, or a refusal
   *  it will give again: 400, 403, 404, 413) ends a request and is kept; anything else is
   *  tried again later. Resolves false when the server no longer knows this phone. */
  async function sendRequests(token) {
    const all = await run("requests", "readonly", (s) => s.getAll());
    all.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
    for (const r of all) {
      const res = await post(r.path, r.body, token, r.method);
      if (res.status === 401) return false;
      if (!res.ok && ![400, 403, 404, 413].includes(res.status)) throw new Retry(`${r.key} ${res.status}`);
      // An answer without a body (204) or one that is not JSON is kept as an empty answer when
      // the server took the request, as an error when it refused it.
      const unknown = { error: { code: "unknown", message: `Lỗi ${res.status}` } };
      await set(`answer:${r.key}`, await res.json().catch(() => (res.ok ? {} : unknown)));
      // A newer request for the same path may have come in meanwhile: keep it.
      await run("requests", "readwrite", (s) => {
        const q = s.get(r.key);
        q.onsuccess = () => {
          if (q.result && q.result.at === r.at) s.delete(r.key);
        };
      });
    }
    return true;
  }

  // The server answered a registration and it is not one: details that do not match (401),
  // malformed (400), too large (413), too many attempts (429). Sending it again would get the
  // same answer, so it leaves the outbox; the answer is kept for the registration page (which
  // words it for the member) with what was typed, so that only the wrong part is typed again.
  const REFUSED = [400, 401, 413, 429];
  async function refused(res, reg) {
    const retry = parseInt(res.headers.get("retry-after") || "", 10);
    const v = await res.json().catch(() => ({}));
    const e = (v && v.error) || {};
    const { card_number, full_name, birth_date, unit_code } = reg;
    await set("registration_error", {
      status: res.status,
      code: String(e.code || ""),
      message: String(e.message || ""),
      retry_at: retry > 0 ? Date.now() + retry * 1000 : null,
      form: { card_number, full_name, birth_date, unit_code },
    });
    await del("registration");
  }

  /** Sends the registration waiting in the outbox: a token, a refusal kept for the page, or
   *  Retry. */
  async function sendRegistration(reg) {
    const res = await post("api/v1/register", reg);
    if (res.status === 201) {
      const v = await res.json();
      await set("token", v.token);
      await set("member", v.member);
      await del("registration");
    } else if (REFUSED.includes(res.status)) {
      await refused(res, reg);
    } else {
      throw new Retry(`register ${res.status}`);
    }
  }

  /** The server no longer knows this phone: it registers again (events stay queued). */
  async function forget() {
    await del("token");
    await del("member");
  }

  /** Asks the server for this member's notices, conditionally: kept in "notices" as
   *  {etag, list, checked} (a 304 only updates `checked`). Resolves to what is kept; rejects
   *  when the network or the server failed (what was kept stays). */
  async function refreshNotices() {
    const [token, kept] = await Promise.all([get("token"), get("notices")]);
    if (!token) return kept || null;
    const headers = { authorization: `Bearer ${token}` };
    if (kept && kept.etag) headers["if-none-match"] = kept.etag;
    // On a stalled network it gives up after WAIT_MS (what was kept stays), never hangs.
    const res = await fetchWhole(`${base()}api/v1/notices`, { headers }, WAIT_MS, "notices");
    if (res.status === 304 && kept) {
      kept.checked = Date.now();
      await set("notices", kept);
      return kept;
    }
    if (!res.ok) throw new Retry(`notices ${res.status}`);
    const body = await res.json();
    const now = { etag: res.headers.get("etag") || "", list: body.notices || [], checked: Date.now() };
    await set("notices", now);
    return now;
  }

  const ANSWERED = ["stored", "duplicate", "rejected"];

  /** Sends one batch of events; resolves to how many the server stored (a rejected one leaves
   *  the outbox too), or null when the server no longer knows this phone. */
  async function sendEvents(batch, token) {
    const res = await post("api/v1/events", { events: batch }, token);
    if (res.status === 401) return null;
    if (!res.ok) throw new Retry(`events ${res.status}`);
    const v = await res.json();
    const ids = new Set(batch.map((e) => e.id));
    const answered = (v.results || []).filter((r) => ids.has(r.id) && ANSWERED.includes(r.status));
    await run("outbox", "readwrite", (s) => {
      for (const r of answered) s.delete(r.id);
    });
    if (!answered.length) throw new Retry("no event was answered");
    return answered.filter((r) => r.status !== "rejected").length;
  }

  async function doFlush() {
    const reg = await get("registration");
    if (reg) await sendRegistration(reg);
    const token = await get("token");
    if (token && !(await sendRequests(token))) await forget();
    else if (token) {
      let sent = 0;
      for (;;) {
        const batch = await pending(MAX_BATCH);
        if (!batch.length) return { sent, pending: 0 };
        const stored = await sendEvents(batch, token);
        if (stored === null) {
          await forget();
          return { sent, pending: await count(), unregistered: true };
        }
        sent += stored;
      }
    }
    return { sent: 0, pending: await count() };
  }

  let flushing = null;
  /** Sends what waits; resolves to {sent, pending}; rejects with Retry when it should be tried
   *  later. The page and the service worker may both flush: a Web Lock makes them take turns,
   *  so the second finds nothing left to send. */
  function flush() {
    if (!flushing) {
      const locks = self.navigator && self.navigator.locks;
      const locked = locks ? locks.request("sotay-outbox", doFlush) : doFlush();
      flushing = locked.finally(() => { flushing = null; });
    }
    return flushing;
  }

  self.SotayOutbox = {
    add, register, request, pendingRequest, flush, refreshNotices, get, set, del, count, uuid, Retry,
  };
})();
