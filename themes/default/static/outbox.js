// The phone's outbox: registration, reading events and a few requests (a cell meeting's
// record and schedule) are written to IndexedDB first and sent when the network allows, from
// the page or from the service worker (Background Sync).
// An event leaves the outbox only when the server has answered for it; the server ignores
// an event it already has (same id), so a batch sent twice is never counted twice.
// It also keeps the committees' notices for offline reading (`notices`): asked for with the
// ETag of the copy kept, so that the server sends nothing when nothing changed.
(function (g) {
  "use strict";
  var DB = "sotay", VERSION = 2, MAX_BATCH = 500;

  function base() {
    if (g.registration && g.registration.scope) return new URL(g.registration.scope).pathname;
    var b = g.document && g.document.body && g.document.body.getAttribute("data-base");
    return b || "/";
  }

  var dbPromise = null;
  function db() {
    if (!dbPromise) {
      dbPromise = new Promise(function (resolve, reject) {
        var r = indexedDB.open(DB, VERSION);
        r.onupgradeneeded = function () {
          var d = r.result;
          if (!d.objectStoreNames.contains("outbox")) d.createObjectStore("outbox", { keyPath: "id" });
          if (!d.objectStoreNames.contains("kv")) d.createObjectStore("kv");
          // Requests to send, one per "METHOD path": a newer one replaces a waiting one.
          if (!d.objectStoreNames.contains("requests")) d.createObjectStore("requests", { keyPath: "key" });
        };
        r.onsuccess = function () {
          // A newer page (a new version of this file) upgrading the database: let it.
          r.result.onversionchange = function () { r.result.close(); dbPromise = null; };
          resolve(r.result);
        };
        r.onerror = function () { dbPromise = null; reject(r.error); };
      });
    }
    return dbPromise;
  }

  function run(store, mode, fn) {
    return db().then(function (d) {
      return new Promise(function (resolve, reject) {
        var t = d.transaction(store, mode), result;
        var req = fn(t.objectStore(store));
        if (req) req.onsuccess = function () { result = req.result; };
        t.oncomplete = function () { resolve(result); };
        t.onerror = t.onabort = function () { reject(t.error); };
      });
    });
  }

  function get(key) { return run("kv", "readonly", function (s) { return s.get(key); }); }
  function set(key, value) { return run("kv", "readwrite", function (s) { return s.put(value, key); }); }
  function del(key) { return run("kv", "readwrite", function (s) { return s.delete(key); }); }
  function count() { return run("outbox", "readonly", function (s) { return s.count(); }); }
  function pending(limit) { return run("outbox", "readonly", function (s) { return s.getAll(null, limit); }); }

  // UUIDv7 (RFC 9562): the first 48 bits are the time in ms, the rest random. Ids of events made
  // close together sort together, so the server's events table (keyed by id) grows at its end
  // instead of taking each insert at a random page; a wrong phone clock costs only that.
  function uuid() {
    var b = g.crypto.getRandomValues(new Uint8Array(16));
    var t = Date.now();
    for (var i = 5; i >= 0; i--) { b[i] = t % 256; t = Math.floor(t / 256); }
    b[6] = (b[6] & 0x0f) | 0x70;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  /** Queues an event ({type, doc, version, ms, text, attendees}); resolves to its id. */
  function add(ev) {
    ev.id = ev.id || uuid();
    ev.at = ev.at || new Date().toISOString();
    return run("outbox", "readwrite", function (s) { return s.put(ev); }).then(function () { return ev.id; });
  }

  /** Keeps a request (`PUT api/v1/meetings/2026-12` and its JSON body) to send; one that was
   *  waiting for the same method and path is replaced. `flush` sends it; the server's answer
   *  is kept as "answer:METHOD path" ({meeting: ...} or {error: {code, message}}). */
  function request(method, path, body) {
    var key = method + " " + path;
    return run("requests", "readwrite", function (s) { return s.put({ key: key, method: method, path: path, body: body, at: new Date().toISOString() }); })
      .then(function () { return key; });
  }
  /** The request waiting for "METHOD path", if any. */
  function pendingRequest(key) { return run("requests", "readonly", function (s) { return s.get(key); }); }

  /** This phone's id: sent with the registration, so that sending it twice counts one phone. */
  function device() {
    return get("device").then(function (d) {
      if (d) return d;
      d = uuid();
      return set("device", d).then(function () { return d; });
    });
  }

  /** Keeps a registration to send; `flush` sends it. */
  function register(form) {
    return device().then(function (d) {
      form.device_id = d;
      return set("registration", form);
    }).then(function () { return del("registration_error"); });
  }

  function post(path, body, token, method) {
    var headers = { "content-type": "application/json" };
    if (token) headers.authorization = "Bearer " + token;
    return fetch(base() + path, { method: method || "POST", headers: headers, body: JSON.stringify(body), credentials: "same-origin", cache: "no-store" });
  }

  /** Sends the waiting requests, oldest first. An answer the server gave (2xx, or a refusal
   *  it will give again: 400, 403, 404, 413) ends a request and is kept; anything else is
   *  tried again later. Resolves false when the server no longer knows this phone. */
  function sendRequests(token) {
    return run("requests", "readonly", function (s) { return s.getAll(); }).then(function (all) {
      all.sort(function (a, b) { return a.at < b.at ? -1 : a.at > b.at ? 1 : 0; });
      return all.reduce(function (chain, r) {
        return chain.then(function (known) {
          if (!known) return false;
          return post(r.path, r.body, token, r.method).then(function (res) {
            if (res.status === 401) return false;
            if (!res.ok && [400, 403, 404, 413].indexOf(res.status) < 0) throw new Retry(r.key + " " + res.status);
            return res.json().catch(function () { return { error: { code: "unknown", message: "Lỗi " + res.status } }; }).then(function (v) {
              return set("answer:" + r.key, v).then(function () {
                // A newer request for the same path may have come in meanwhile: keep it.
                return run("requests", "readwrite", function (s) {
                  var q = s.get(r.key);
                  q.onsuccess = function () { if (q.result && q.result.at === r.at) s.delete(r.key); };
                });
              }).then(function () { return true; });
            });
          });
        });
      }, Promise.resolve(true));
    });
  }

  function Retry(msg) { this.message = msg; }

  // The server answered a registration and it is not one: details that do not match (401),
  // malformed (400), too large (413), too many attempts (429). Sending it again would get the
  // same answer, so it leaves the outbox; the answer is kept for the registration page (which
  // words it for the member) with what was typed, so that only the wrong part is typed again.
  var REFUSED = { 400: true, 401: true, 413: true, 429: true };
  function refused(res, reg) {
    var retry = parseInt(res.headers.get("retry-after") || "", 10);
    return res.json().catch(function () { return {}; }).then(function (v) {
      var e = (v && v.error) || {};
      var answer = {
        status: res.status, code: String(e.code || ""), message: String(e.message || ""),
        retry_at: retry > 0 ? Date.now() + retry * 1000 : null,
        form: { card_number: reg.card_number, full_name: reg.full_name, birth_date: reg.birth_date, unit_code: reg.unit_code },
      };
      return set("registration_error", answer).then(function () { return del("registration"); });
    });
  }

  /** Asks the server for this member's notices, conditionally: kept in "notices" as
   *  {etag, list, checked} (a 304 only updates `checked`). Resolves to what is kept; rejects
   *  when the network or the server failed (what was kept stays). */
  function refreshNotices() {
    return Promise.all([get("token"), get("notices")]).then(function (v) {
      var token = v[0], kept = v[1];
      if (!token) return kept || null;
      var headers = { authorization: "Bearer " + token };
      if (kept && kept.etag) headers["if-none-match"] = kept.etag;
      return fetch(base() + "api/v1/notices", { headers: headers, cache: "no-store", credentials: "same-origin" }).then(function (res) {
        if (res.status === 304 && kept) {
          kept.checked = Date.now();
          return set("notices", kept).then(function () { return kept; });
        }
        if (!res.ok) throw new Retry("notices " + res.status);
        return res.json().then(function (body) {
          var now = { etag: res.headers.get("etag") || "", list: body.notices || [], checked: Date.now() };
          return set("notices", now).then(function () { return now; });
        });
      });
    });
  }

  var flushing = null;
  /** Sends what waits; resolves to {sent, pending}; rejects with Retry when it should be tried
   *  later. The page and the service worker may both flush: a Web Lock makes them take turns,
   *  so the second finds nothing left to send. */
  function flush() {
    if (!flushing) {
      var locked = g.navigator && g.navigator.locks
        ? g.navigator.locks.request("sotay-outbox", function () { return doFlush(); })
        : doFlush();
      flushing = locked.then(function (r) { flushing = null; return r; }, function (e) { flushing = null; throw e; });
    }
    return flushing;
  }

  function doFlush() {
    var sent = 0;
    return get("registration").then(function (reg) {
      if (!reg) return null;
      return post("api/v1/register", reg).then(function (res) {
        if (res.status === 201) {
          return res.json().then(function (v) {
            return set("token", v.token).then(function () { return set("member", v.member); }).then(function () { return del("registration"); });
          });
        }
        if (REFUSED[res.status]) return refused(res, reg);
        throw new Retry("register " + res.status);
      });
    }).then(function () {
      return get("token");
    }).then(function (token) {
      if (!token) return token;
      return sendRequests(token).then(function (known) {
        if (known) return token;
        return del("token").then(function () { return del("member"); }).then(function () { return null; });
      });
    }).then(function loop(token) {
      if (!token) return count().then(function (n) { return { sent: sent, pending: n }; });
      return pending(MAX_BATCH).then(function (batch) {
        if (!batch.length) return { sent: sent, pending: 0 };
        var byId = {};
        batch.forEach(function (e) { byId[e.id] = e; });
        return post("api/v1/events", { events: batch }, token).then(function (res) {
          if (res.status === 401) {
            // The server no longer knows this phone: register again; events stay queued.
            return del("token").then(function () { return del("member"); }).then(function () { return count(); })
              .then(function (n) { return { sent: sent, pending: n, unregistered: true }; });
          }
          if (!res.ok) throw new Retry("events " + res.status);
          return res.json().then(function (v) {
            var answered = (v.results || []).filter(function (r) {
              return byId[r.id] && (r.status === "stored" || r.status === "duplicate" || r.status === "rejected");
            });
            sent += answered.filter(function (r) { return r.status !== "rejected"; }).length;
            return run("outbox", "readwrite", function (s) {
              answered.forEach(function (r) { s.delete(r.id); });
            }).then(function () {
              if (!answered.length) throw new Retry("no event was answered");
              return loop(token);
            });
          });
        });
      });
    });
  }

  g.SotayOutbox = { add: add, register: register, request: request, pendingRequest: pendingRequest, flush: flush, refreshNotices: refreshNotices, get: get, set: set, del: del, count: count, uuid: uuid, Retry: Retry };
})(self);
