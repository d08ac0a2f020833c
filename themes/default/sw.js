// sotay service worker. Made by `sotay build` from themes/default/sw.js.
//
// - Install downloads the whole handbook (the precache manifest lists every file with its
//   content hash, in parts), reporting progress to the open pages. Files (and parts of the
//   list) whose hash did not change are taken from the previous version instead of
//   downloaded again.
// - The new version is used only once it is complete: until then the old one keeps serving.
// - Pages come from the network with a short timeout, then from the cache, then the offline
//   page: a slow connection never leaves a blank screen. Offline, a page that is not in the
//   saved handbook at all gets the saved "not found" page (404), not "no network".
// - When storage runs out, installing keeps what fits (the most useful files come first) and
//   says how much is missing; pages the member read and sections they chose stay saved.
// - On a bad network a download that stalls is given up and tried again, and a lost
//   connection is waited out (the pages say so); a file is saved only once it arrived whole,
//   and an install that stopped resumes where it was, never downloading a saved file again.
// - Background Sync flushes the outbox of reading events (outbox.js).
// - Web Push: a committee's new notice shows a notification that opens it (see the end).
"use strict";
const VERSION = "__SOTAY_VERSION__";
const MANIFEST = "__SOTAY_MANIFEST__";
const BASE = "__SOTAY_BASE__";
const CACHE = `sotay-v-${VERSION}`;
const RUNTIME = "sotay-runtime";
const PINNED = "sotay-pinned";
const STATE = `${BASE}__sotay/state.json`;
const OFFLINE = `${BASE}ngoai-tuyen/`;
const NOT_FOUND = `${BASE}404.html`;
const NAV_TIMEOUT_MS = 3000;
const RUNTIME_MAX = 300;
// A download that receives nothing for this long is given up and tried again.
const STALL_MS = 15000;
// Waits between tries of a failed download: 1 s, doubling up to this.
const RETRY_MAX_MS = 15000;
// Chromium ends an install event after 5 minutes: an install still waiting for the network
// after this long stops; the page starts it again later, and it resumes (nothing saved is lost).
const INSTALL_BUDGET_MS = 4 * 60 * 1000;
const ICON = "__SOTAY_ICON__";
importScripts("__SOTAY_OUTBOX__");

async function notify(msg) {
  const all = await self.clients.matchAll({ includeUncontrolled: true, type: "window" });
  all.forEach((c) => c.postMessage(msg));
}

async function previous() {
  // The version that serves now: its cache and the hashes of what it holds.
  const names = (await caches.keys()).filter((n) => n.startsWith("sotay-v-") && n !== CACHE);
  for (const name of names) {
    const cache = await caches.open(name);
    const st = await cache.match(STATE);
    if (!st) continue;
    const state = await st.json();
    const hashes = new Map(state.entries.map((e) => [e[0], e[1]]));
    // Its precache list's parts, by hash: [hash, number of entries] in the list's order.
    const parts = new Map();
    let at = 0;
    for (const [hash, count] of state.parts || []) {
      parts.set(hash, state.entries.slice(at, at + count));
      at += count;
    }
    return { cache, hashes, parts };
  }
  return null;
}

function isQuota(e) {
  return e && (e.name === "QuotaExceededError" || e.code === 22 || /quota/i.test(String(e.message || e)));
}

class HttpError extends Error {
  constructor(url, status) {
    super(`${url}: HTTP ${status}`);
    this.status = status;
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// One file, read to its end: aborted when nothing arrives for STALL_MS. A truncated body makes
// the read fail, so what is returned is always the whole file.
async function download(url) {
  const ctl = new AbortController();
  let timer = null;
  const arm = () => { clearTimeout(timer); timer = setTimeout(() => ctl.abort(), STALL_MS); };
  arm();
  try {
    const res = await fetch(url, { cache: "no-cache", signal: ctl.signal });
    if (!res.ok) throw new HttpError(url, res.status);
    const reader = res.body.getReader();
    const parts = [];
    for (;;) {
      arm();
      const { done, value } = await reader.read();
      if (done) break;
      parts.push(value);
    }
    // The body is decoded: the headers that described it on the wire no longer apply.
    const headers = new Headers(res.headers);
    for (const h of ["content-encoding", "content-length", "transfer-encoding"]) headers.delete(h);
    const body = new Blob(parts, { type: headers.get("content-type") || "" });
    return new Response(body, { status: res.status, statusText: res.statusText, headers });
  } finally {
    clearTimeout(timer);
  }
}

// Whether a failed download is worth trying again: the network, or the server busy.
function transient(e) {
  return !(e instanceof HttpError) || e.status >= 500 || e.status === 408 || e.status === 429;
}

async function precache() {
  const started = Date.now();
  let waiting = false;
  let old = null;
  let total = 0;
  let done = 0;
  const progress = () => notify({
    type: waiting ? "stalled" : "progress", done, total, version: VERSION, update: !!old,
  });
  // Retries `get` until it succeeds, the error is not the network's, or the budget is spent;
  // the pages are told when the connection is lost and when it is back.
  async function patiently(get) {
    for (let attempt = 0; ; attempt++) {
      try {
        const r = await get();
        if (waiting) { waiting = false; progress(); }
        return r;
      } catch (e) {
        if (!transient(e) || Date.now() - started > INSTALL_BUDGET_MS) throw e;
        if (!waiting) { waiting = true; progress(); }
        await sleep(Math.min(1000 * 2 ** attempt, RETRY_MAX_MS) * (0.75 + Math.random() / 2));
      }
    }
  }
  // The precache list comes in parts (webapp.rs `parts`) that the root names by hash, with
  // their lengths. A part the previous version had is taken from its saved state; the others
  // are downloaded, each on its own: after an edit only the parts that changed. When most are
  // new (a first install), the whole list is downloaded at once and cut by those lengths.
  // (Kept in the state, not as files in the cache: a file put in Cache Storage costs more than
  // a part is worth.)
  async function listed(root) {
    const known = (hash) => (old ? old.parts.get(hash) : undefined);
    const lists = root.parts.map(([hash]) => known(hash));
    if (2 * lists.filter((l) => !l).length > lists.length) {
      const whole = await patiently(async () => (await download(`${BASE}precache/${root.version}.json`)).json());
      let at = 0;
      return root.parts.map(([, count]) => whole.slice(at, (at += count)));
    }
    let i = 0;
    async function reader() {
      while (i < lists.length) {
        const k = i++;
        if (lists[k]) continue;
        const url = `${BASE}precache/${root.parts[k][0]}.json`;
        lists[k] = await patiently(async () => (await download(url)).json());
      }
    }
    await Promise.all([reader(), reader(), reader(), reader()]);
    return lists;
  }
  old = await previous();
  const root = await patiently(async () => (await download(MANIFEST)).json());
  const cache = await caches.open(CACHE);
  const lists = await listed(root);
  const entries = lists.flat();
  const parts = root.parts.map(([hash], i) => [hash, lists[i].length]);
  total = entries.length;
  let downloaded = 0;
  let copied = 0;
  let full = false;
  const missing = [];
  let next = 0;
  async function worker() {
    while (next < entries.length) {
      const [url, hash] = entries[next++];
      if (full) { missing.push(url); continue; }
      try {
        if (await cache.match(url)) { done++; progress(); continue; } // resumed install
        let response = null;
        if (old && old.hashes.get(url) === hash) {
          response = await old.cache.match(url);
          if (response) copied++;
        }
        if (!response) {
          response = await patiently(() => download(url));
          downloaded++;
        }
        await cache.put(url, response);
      } catch (e) {
        if (!isQuota(e)) throw e;
        full = true;
        missing.push(url);
        continue;
      }
      done++;
      progress();
    }
  }
  await Promise.all([worker(), worker(), worker(), worker()]);
  const state = { version: VERSION, entries, parts, missing, downloaded, copied, total };
  try {
    const json = { headers: { "content-type": "application/json" } };
    await cache.put(STATE, new Response(JSON.stringify(state), json));
  } catch (e) {
    if (!isQuota(e)) throw e;
  }
  notify({
    type: "installed", version: VERSION, total, saved: total - missing.length, missing: missing.length,
    downloaded, copied,
  });
}

self.addEventListener("install", (event) => {
  event.waitUntil(precache());
});

async function prune(cacheName, keep) {
  const cache = await caches.open(cacheName);
  for (const req of await cache.keys()) {
    const path = new URL(req.url).pathname;
    if (!keep.has(path)) await cache.delete(req);
  }
}

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith("sotay-v-") && name !== CACHE) await caches.delete(name);
    }
    // Documents removed from the handbook disappear from every cache.
    const cache = await caches.open(CACHE);
    const st = await cache.match(STATE);
    if (st) {
      const keep = new Set((await st.json()).entries.map((e) => e[0]));
      await prune(RUNTIME, keep);
      await prune(PINNED, keep);
    }
    await self.clients.claim();
    notify({ type: "activated", version: VERSION });
  })());
});

// Entries are kept under their URL without a query: a request is looked up by that URL. (Not
// with `ignoreSearch`, which makes Chromium compare every entry of the cache: ~170 ms a file
// at 10,000 documents, where an exact look-up takes a few.)
async function lookup(request) {
  const url = new URL(typeof request === "string" ? request : request.url, self.location.href);
  const key = url.origin + url.pathname;
  for (const name of [CACHE, PINNED, RUNTIME]) {
    const cache = await caches.open(name);
    const hit = await cache.match(key);
    if (hit) return hit;
  }
  return null;
}

async function remember(url, response) {
  try {
    const cache = await caches.open(RUNTIME);
    await cache.put(url, response);
    const keys = await cache.keys();
    for (let i = 0; i + RUNTIME_MAX < keys.length; i++) await cache.delete(keys[i]);
  } catch (e) { /* storage full: the page was still shown */ }
}

async function navigate(event) {
  const req = event.request;
  const url = new URL(req.url);
  const key = url.origin + url.pathname;
  const network = fetch(req).then((res) => {
    if (res.ok && !url.search) event.waitUntil(remember(key, res.clone()));
    return res;
  });
  const timeout = new Promise((resolve) => setTimeout(resolve, NAV_TIMEOUT_MS, "timeout"));
  try {
    const first = await Promise.race([network, timeout]);
    if (first !== "timeout") return first;
    const cached = await lookup(key);
    if (cached) return cached;
    return await network;
  } catch (e) {
    return (await lookup(key)) || (await notSaved(url));
  }
}

// The pages of the saved version (its precache list), once the whole handbook is saved:
// null while it is not, since then a page may exist without being saved yet.
let savedPages = null;
async function saved() {
  if (savedPages) return savedPages;
  const st = await (await caches.open(CACHE)).match(STATE);
  if (!st) return null;
  savedPages = new Set((await st.json()).entries.map((e) => e[0]));
  return savedPages;
}

// Offline and not in the caches: the saved 404 page for a page the handbook does not have;
// the page itself for a folder asked for without its slash; else the offline page.
async function notSaved(url) {
  const pages = await saved();
  if (pages && !pages.has(url.pathname)) {
    if (!url.pathname.endsWith("/") && pages.has(`${url.pathname}/`)) {
      const page = await lookup(`${url.origin + url.pathname}/`);
      if (page) return page;
    }
    const nf = await lookup(NOT_FOUND);
    if (nf) return new Response(nf.body, { status: 404, statusText: "Not Found", headers: nf.headers });
  }
  const page = "<!doctype html><meta charset=utf-8><title>Không có mạng</title>"
    + "<p>Không có mạng và trang này chưa được lưu.";
  return (await lookup(OFFLINE)) ||
    new Response(page, { status: 503, headers: { "content-type": "text/html; charset=utf-8" } });
}

async function cacheFirst(request) {
  const hit = await lookup(request);
  if (hit) return hit;
  return fetch(request);
}

self.addEventListener("fetch", (event) => {
  const req = event.request;
  if (req.method !== "GET") return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin || url.pathname.startsWith(`${BASE}api/`)) return;
  if (req.mode === "navigate") event.respondWith(navigate(event));
  else event.respondWith(cacheFirst(req));
});

async function installStatus() {
  const cache = await caches.open(CACHE);
  const st = await cache.match(STATE);
  const state = st ? await st.json() : null;
  const pinned = (await (await caches.open(PINNED)).keys()).length;
  return {
    type: "status", version: VERSION, complete: !!state, total: state ? state.total : 0,
    missing: state ? state.missing.length : 0, pinned,
  };
}

async function pin(urls) {
  const cache = await caches.open(PINNED);
  let stored = 0;
  let failed = 0;
  for (const url of urls) {
    try {
      const hit = await lookup(url);
      const u = new URL(url, self.location.href);
      await cache.put(u.origin + u.pathname, hit || await fetch(url, { cache: "no-cache" }));
      stored++;
    } catch (e) {
      failed++;
    }
  }
  return { type: "pinned", saved: stored, failed };
}

self.addEventListener("message", (event) => {
  const msg = event.data || {};
  const reply = (m) => event.source && event.source.postMessage(m);
  if (msg.type === "skipWaiting") self.skipWaiting();
  else if (msg.type === "status") event.waitUntil(installStatus().then(reply));
  else if (msg.type === "pin") event.waitUntil(pin(msg.urls || []).then(reply));
  else if (msg.type === "flush") event.waitUntil(self.SotayOutbox.flush().catch(() => null));
});

self.addEventListener("sync", (event) => {
  // Once what waited is sent, the committees' notices are asked for (conditionally).
  if (event.tag === "sotay-outbox") {
    const outbox = self.SotayOutbox;
    event.waitUntil(outbox.flush().then((r) => outbox.refreshNotices().catch(() => null).then(() => r)));
  }
});

// Web Push (a committee's new notice, sent by the server to a phone that subscribed on the
// notices page): shows a notification, and keeps the phone's list of notices up to date so that
// the notice opens offline too. The message is JSON {notice, title, unit}; anything else shows
// a generic notification (the notices page says the rest).
function noticeUrl(id) {
  const query = id ? `?id=${encodeURIComponent(id)}` : "";
  return `${self.registration.scope}thong-bao/${query}`;
}

self.addEventListener("push", (event) => {
  let msg = {};
  try {
    msg = event.data ? event.data.json() : {};
  } catch (e) {
    // Not JSON: the generic notification.
  }
  // JSON that is not an object (null, a number, a list) says nothing either.
  if (!msg || typeof msg !== "object") msg = {};
  const id = typeof msg.notice === "string" ? msg.notice : "";
  const title = typeof msg.title === "string" && msg.title ? msg.title : "Thông báo mới của cấp ủy";
  const body = typeof msg.unit === "string" && msg.unit ? msg.unit : "Mở sổ tay để xem thông báo.";
  event.waitUntil(Promise.all([
    self.registration.showNotification(title, {
      body,
      tag: `sotay-notice-${id}`,
      lang: "vi",
      icon: ICON || undefined,
      data: { url: noticeUrl(id) },
    }),
    self.SotayOutbox.refreshNotices().then(() => notify({ type: "notices" })).catch(() => null),
  ]));
});

// Tapping the notification opens the notice: in a window of the handbook that is open, else in
// a new one.
self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const url = (event.notification.data && event.notification.data.url) || noticeUrl("");
  event.waitUntil((async () => {
    const all = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
    const mine = all.filter((c) => c.url.startsWith(self.registration.scope));
    for (const c of mine) {
      try {
        const opened = "navigate" in c ? await c.navigate(url) : null;
        if (opened) return opened.focus ? opened.focus().catch(() => opened) : opened;
      } catch (e) { /* not controlled by this worker: try the next, or a new window */ }
    }
    return self.clients.openWindow(url);
  })());
});
