// sotay service worker. Made by `sotay build` from themes/default/sw.js.
//
// - Install downloads the whole handbook (the precache manifest lists every file with its
//   content hash), reporting progress to the open pages. Files whose hash did not change are
//   copied from the previous version instead of downloaded again.
// - The new version is used only once it is complete: until then the old one keeps serving.
// - Pages come from the network with a short timeout, then from the cache, then the offline
//   page: a slow connection never leaves a blank screen. Offline, a page that is not in the
//   saved handbook at all gets the saved "not found" page (404), not "no network".
// - When storage runs out, installing keeps what fits (the most useful files come first) and
//   says how much is missing; pages the member read and sections they chose stay saved.
// - Background Sync flushes the outbox of reading events (outbox.js).
// - Web Push: a committee's new notice shows a notification that opens it (see the end).
"use strict";
const VERSION = "__SOTAY_VERSION__";
const MANIFEST = "__SOTAY_MANIFEST__";
const BASE = "__SOTAY_BASE__";
const CACHE = "sotay-v-" + VERSION;
const RUNTIME = "sotay-runtime";
const PINNED = "sotay-pinned";
const STATE = BASE + "__sotay/state.json";
const OFFLINE = BASE + "ngoai-tuyen/";
const NOT_FOUND = BASE + "404.html";
const NAV_TIMEOUT_MS = 3000;
const RUNTIME_MAX = 300;
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
    return { cache, hashes };
  }
  return null;
}

function isQuota(e) {
  return e && (e.name === "QuotaExceededError" || e.code === 22 || /quota/i.test(String(e.message || e)));
}

async function precache() {
  const res = await fetch(MANIFEST, { cache: "no-cache" });
  if (!res.ok) throw new Error("manifest " + res.status);
  const manifest = await res.json();
  const entries = manifest.entries;
  const cache = await caches.open(CACHE);
  const old = await previous();
  const total = entries.length;
  let done = 0, downloaded = 0, copied = 0, full = false;
  const missing = [];
  let next = 0;
  async function worker() {
    while (next < entries.length) {
      const [url, hash] = entries[next++];
      if (full) { missing.push(url); continue; }
      try {
        if (await cache.match(url)) { done++; continue; } // resumed install
        let response = null;
        if (old && old.hashes.get(url) === hash) {
          response = await old.cache.match(url);
          if (response) copied++;
        }
        if (!response) {
          response = await fetch(url, { cache: "no-cache" });
          if (!response.ok) throw new Error(url + ": HTTP " + response.status);
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
      if (done % 10 === 0 || done === total) notify({ type: "progress", done, total, version: VERSION });
    }
  }
  await Promise.all([worker(), worker(), worker(), worker()]);
  const state = { version: VERSION, entries, missing, downloaded, copied, total };
  try {
    await cache.put(STATE, new Response(JSON.stringify(state), { headers: { "content-type": "application/json" } }));
  } catch (e) {
    if (!isQuota(e)) throw e;
  }
  notify({ type: "installed", version: VERSION, total, saved: total - missing.length, missing: missing.length, downloaded, copied });
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

async function lookup(request) {
  for (const name of [CACHE, PINNED, RUNTIME]) {
    const cache = await caches.open(name);
    const hit = await cache.match(request, { ignoreSearch: true });
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
    if (!url.pathname.endsWith("/") && pages.has(url.pathname + "/")) {
      const page = await lookup(url.origin + url.pathname + "/");
      if (page) return page;
    }
    const nf = await lookup(NOT_FOUND);
    if (nf) return new Response(nf.body, { status: 404, statusText: "Not Found", headers: nf.headers });
  }
  return (await lookup(OFFLINE)) ||
    new Response("<!doctype html><meta charset=utf-8><title>Không có mạng</title><p>Không có mạng và trang này chưa được lưu.", {
      status: 503, headers: { "content-type": "text/html; charset=utf-8" },
    });
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
  if (url.origin !== self.location.origin || url.pathname.startsWith(BASE + "api/")) return;
  if (req.mode === "navigate") event.respondWith(navigate(event));
  else event.respondWith(cacheFirst(req));
});

async function status() {
  const cache = await caches.open(CACHE);
  const st = await cache.match(STATE);
  const state = st ? await st.json() : null;
  const pinned = (await (await caches.open(PINNED)).keys()).length;
  return { type: "status", version: VERSION, complete: !!state, total: state ? state.total : 0, missing: state ? state.missing.length : 0, pinned };
}

async function pin(urls) {
  const cache = await caches.open(PINNED);
  let saved = 0, failed = 0;
  for (const url of urls) {
    try {
      const hit = await lookup(url);
      await cache.put(url, hit || await fetch(url, { cache: "no-cache" }));
      saved++;
    } catch (e) { failed++; }
  }
  return { type: "pinned", saved, failed };
}

self.addEventListener("message", (event) => {
  const msg = event.data || {};
  const reply = (m) => event.source && event.source.postMessage(m);
  if (msg.type === "skipWaiting") self.skipWaiting();
  else if (msg.type === "status") event.waitUntil(status().then(reply));
  else if (msg.type === "pin") event.waitUntil(pin(msg.urls || []).then(reply));
  else if (msg.type === "flush") event.waitUntil(self.SotayOutbox.flush().catch(() => null));
});

self.addEventListener("sync", (event) => {
  // Once what waited is sent, the committees' notices are asked for (conditionally).
  if (event.tag === "sotay-outbox") {
    event.waitUntil(self.SotayOutbox.flush().then((r) => self.SotayOutbox.refreshNotices().catch(() => null).then(() => r)));
  }
});

// Web Push (a committee's new notice, sent by the server to a phone that subscribed on the
// notices page): shows a notification, and keeps the phone's list of notices up to date so that
// the notice opens offline too. The message is JSON {notice, title, unit}; anything else shows
// a generic notification (the notices page says the rest).
function noticeUrl(id) {
  return self.registration.scope + "thong-bao/" + (id ? "?id=" + encodeURIComponent(id) : "");
}

self.addEventListener("push", (event) => {
  let msg = {};
  try { msg = event.data ? event.data.json() : {}; } catch (e) { msg = {}; }
  const id = typeof msg.notice === "string" ? msg.notice : "";
  const title = typeof msg.title === "string" && msg.title ? msg.title : "Thông báo mới của cấp ủy";
  const body = typeof msg.unit === "string" && msg.unit ? msg.unit : "Mở sổ tay để xem thông báo.";
  event.waitUntil(Promise.all([
    self.registration.showNotification(title, {
      body,
      tag: "sotay-notice-" + id,
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
