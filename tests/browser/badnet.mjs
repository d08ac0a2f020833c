// Phones on a bad network, in Chromium against the real server (tests/browser_network.rs runs
// this inside a network namespace whose loopback loses packets and is rate-limited; netlink.mjs
// adds delay, stalls, cuts and lost answers). Usage: node badnet.mjs precache|requests JSON
//
// precache: the first view renders; the whole handbook is saved although the link is cut for
//   a while mid-way, resuming without downloading again what was saved; an update cut
//   mid-way leaves the old version whole, then switches at once.
// requests: registration, search and the dashboard give up on a stalled link with a message
//   and "Thử lại", and work when it is tried again; the outbox delivers every event although
//   answers are lost.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { execFileSync } from "node:child_process";
import { browser, persistent, precacheList, run, swOwn as own } from "./lib.mjs";
import { link } from "./netlink.mjs";

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** What was found so far, on stderr: shown by the Rust test if a later step fails. */
const note = (what, v) => process.stderr.write(`${what}: ${JSON.stringify(v)}\n`);

async function until(what, fn, ms) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const v = await fn().catch(() => null);
    if (v) return v;
    await sleep(200);
  }
  throw new Error(`timed out after ${ms / 1000} s waiting for ${what}`);
}

/** What the browser downloaded: every request that finished, with its body size on the wire. */
function recorder(ctx) {
  // `session`: which run of the browser (it is closed and started again, a phone switched off).
  const log = { finished: [], failed: [], session: 1 };
  log.onFinished = async (req) => {
    const at = Date.now();
    try {
      const res = await req.response();
      const sizes = await req.sizes();
      const t = req.timing();
      log.finished.push({
        path: new URL(req.url()).pathname, status: res ? res.status() : 0, body: sizes.responseBodySize,
        fromSW: res ? res.fromServiceWorker() : false, bySW: !!req.serviceWorker(), at,
        start: t.startTime, end: t.responseEnd >= 0 ? t.startTime + t.responseEnd : at, session: log.session,
      });
    } catch (e) { /* the page went away */ }
  };
  log.onFailed = (req) => log.failed.push({ path: new URL(req.url()).pathname, error: req.failure() && req.failure().errorText, at: Date.now() });
  // Every request as it starts, and whether the service worker made it.
  log.requested = [];
  log.onRequest = (req) => log.requested.push({ path: new URL(req.url()).pathname, bySW: !!req.serviceWorker(), at: Date.now() });
  log.watch = (c) => {
    c.on("request", log.onRequest);
    c.on("requestfinished", log.onFinished);
    c.on("requestfailed", log.onFailed);
  };
  log.watch(ctx);
  return log;
}

/** Bytes the service worker downloaded again that the browser already had whole: each of its
 *  downloads of a path that began after an earlier download of it had finished, by the
 *  service worker, or by the page in the same run of the browser (what the page alone had got
 *  lives in the HTTP cache, which a browser closed abruptly may lose: that is the browser's,
 *  not the precache's). Two downloads of a file at once (the page's icon and the precache's
 *  copy of it) are not "again". `page` counts the same for the page's own downloads: switched
 *  on again, a page not yet controlled by the service worker loads its scripts from the HTTP
 *  cache, or from the network where the browser lost them. */
function twice(finished, skip) {
  const before = new Map(); // path -> its downloads so far
  let bytes = 0, page = 0;
  const paths = [], details = [], pagePaths = [];
  const real = finished.filter((f) => !f.fromSW && f.status === 200 && f.body > 0 && !skip(f.path));
  for (const f of real.sort((x, y) => x.start - y.start)) {
    const earlier = before.get(f.path) || [];
    const had = earlier.find((g) => g.end <= f.start && (g.bySW || g.session === f.session));
    if (had && f.bySW) { bytes += f.body; paths.push(f.path); details.push(had, f); }
    if (!f.bySW && earlier.some((g) => g.end <= f.start)) { page += f.body; pagePaths.push(f.path); }
    before.set(f.path, earlier.concat(f));
  }
  return { bytes, paths, details, page, pagePaths };
}


/** The status line's texts, as they change (polled). */
function statusWatch(page, sel = ".app-status") {
  const seen = [];
  let on = true;
  (async () => {
    while (on) {
      const t = await page.evaluate((s) => { const e = document.querySelector(s); return e && !e.hidden ? e.textContent : ""; }, sel).catch(() => null);
      if (t && seen[seen.length - 1] !== t) seen.push(t);
      await sleep(150);
    }
  })();
  return { seen, stop: () => { on = false; } };
}

async function cacheState(page) {
  return page.evaluate(async () => {
    const names = (await caches.keys()).filter((n) => n.startsWith("sotay-v-"));
    const reg = await navigator.serviceWorker.getRegistration();
    const out = { caches: {}, active: !!(reg && reg.active), waiting: !!(reg && reg.waiting), installing: !!(reg && reg.installing), controlled: !!navigator.serviceWorker.controller };
    for (const n of names) {
      const c = await caches.open(n);
      const st = await c.match("/__sotay/state.json");
      const s = st ? await st.json() : null;
      out.caches[n] = { entries: (await c.keys()).length, complete: !!s, missing: s ? s.missing.length : null, total: s ? s.total : null, downloaded: s ? s.downloaded : null, copied: s ? s.copied : null };
    }
    return out;
  });
}

async function missingFrom(page, cacheName, urls) {
  return page.evaluate(async ([n, us]) => {
    const c = await caches.open(n);
    const out = [];
    for (const u of us) if (!(await c.match(u))) out.push(u);
    return out;
  }, [cacheName, urls]);
}

async function precache(a) {
  const lnk = await link({ port: a.port, upstream: a.server, delayMs: a.delayMs });
  const url = `http://127.0.0.1:${a.port}`;
  // The phone's browser keeps its profile here, so that it can be switched off and on again.
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "sotay-badnet-"));
  let ctx = null;
  const r = { level: a.level };
  try {
    ctx = await persistent(profile);
    const log = recorder(ctx);
    const errors = [];
    let page = ctx.pages()[0] || (await ctx.newPage());
    page.on("pageerror", (e) => errors.push(String(e)));
    const first = precacheList(a.out).entries;
    const total = first.size;

    // First view.
    const t0 = Date.now();
    await page.goto(url + "/", { waitUntil: "load", timeout: a.limitMs });
    r.firstView = await page.evaluate(() => {
      const nav = performance.getEntriesByType("navigation")[0];
      const fcp = performance.getEntriesByName("first-contentful-paint")[0];
      return {
        h1: document.querySelector("h1") && document.querySelector("h1").textContent,
        styled: [...document.styleSheets].some((s) => /\/static\/site\.[0-9a-f]+\.css$/.test(s.href || "") && s.cssRules.length > 0),
        fcpMs: fcp ? Math.round(fcp.startTime) : null,
        loadMs: Math.round(nav.loadEventEnd),
      };
    });
    r.firstView.wallMs = Date.now() - t0;

    // The phone is switched off once `offAt` files are saved: the link is stalled first, so
    // that what is saved when the browser closes is exactly what had arrived, then Chromium is
    // closed whole (the install with it) and started again with the same profile, later.
    const off = await until("the first files to be saved", async () => {
      const s = await cacheState(page);
      const name = Object.keys(s.caches)[0];
      return name && s.caches[name].entries >= a.offAt ? name : null;
    }, a.limitMs);
    lnk.stall();
    await sleep(1000);
    const saved = await page.evaluate(async (n) => (await (await caches.open(n)).keys()).map((q) => new URL(q.url).pathname), off);
    r.off = { at: saved.length, t: Date.now() - t0 };
    await ctx.close();
    ctx = null;
    lnk.cut(0); // connections Chromium left half-open are reset
    lnk.release();
    await sleep(a.offMs);
    const restart = log.requested.length;
    ctx = await persistent(profile);
    log.session++;
    log.watch(ctx);
    page = ctx.pages()[0] || (await ctx.newPage());
    page.on("pageerror", (e) => errors.push(String(e)));
    const t0b = Date.now();
    await page.goto(url + "/", { waitUntil: "load", timeout: a.limitMs });
    r.off.reopenedMs = Date.now() - t0b;

    // The whole handbook, with the link stalled (nothing passes) for a while once `stallAt`
    // entries are saved, and cut (every connection reset, new ones refused) once `cutAt` are.
    const status = statusWatch(page);
    let cut = null, stall = null;
    const done = await until("the precache to complete", async () => {
      const s = await cacheState(page);
      const name = Object.keys(s.caches)[0];
      const c = name && s.caches[name];
      if (!stall && c && c.entries >= a.stallAt) {
        stall = { at: c.entries, t: Date.now() - t0 };
        lnk.stall();
        await sleep(a.stallMs);
        stall.statusAtEnd = status.seen[status.seen.length - 1] || null;
        stall.savedAtEnd = (await cacheState(page)).caches[name].entries;
        lnk.release();
      }
      if (!cut && c && c.entries >= a.cutAt) {
        cut = { at: c.entries, t: Date.now() - t0, refusedBefore: lnk.refused };
        lnk.cut(a.cutMs);
        await sleep(a.cutMs / 2);
        cut.statusMidway = status.seen[status.seen.length - 1] || null;
        cut.savedMidway = (await cacheState(page)).caches[name].entries;
      }
      return c && c.complete && s.active ? { name, ...c } : null;
    }, a.limitMs);
    r.precacheMs = Date.now() - t0;
    // The page is told once the whole handbook is saved (a message that may come just after).
    await until("the page to say the handbook is saved", async () => status.seen.some((t) => t.startsWith("Đã lưu toàn bộ sổ tay")), 15000)
      .catch(() => null);
    status.stop();
    // After the phone was switched on again, no file it had saved was asked for again.
    const savedSet = new Set(saved);
    // (The service worker's own scripts, which the browser fetches to start it, are not the
    // precache's.)
    const afterRestart = log.requested.slice(restart).filter((x) => x.bySW && !own(x.path));
    r.off.swRequests = afterRestart.length;
    r.off.askedAgain = [...new Set(afterRestart.filter((x) => savedSet.has(x.path)).map((x) => x.path))];
    r.off.cacheName = off;
    r.cut = cut && { ...cut, refused: lnk.refused - cut.refusedBefore };
    r.stall = stall;
    r.precache = done;
    r.total = total;
    r.missingEntries = await missingFrom(page, done.name, [...first.keys()]);
    r.statuses = status.seen;
    r.twice = twice(log.finished, own);
    r.ownFiles = log.finished.filter((f) => !f.fromSW && own(f.path)).map((f) => `${f.path} ${f.status} ${f.body}`);
    r.failedDuringPrecache = log.failed.length;
    r.served = lnk.answers.filter((x) => x.status === 200).reduce((n, x) => n + x.bytes, 0);
    r.received = log.finished.filter((f) => !f.fromSW && f.body > 0).reduce((n, f) => n + f.body, 0);

    note("precache", r);

    // An update, cut as its downloads begin: the old version stays whole until the new one is.
    await page.reload({ timeout: a.limitMs });
    const changed = path.join(a.root, "content/hoi-dap/mien-sinh-hoat-dang.md");
    const changedUrl = "/hoi-dap/mien-sinh-hoat-dang/";
    const marker = "Đoạn bổ sung sau khi sửa văn bản.";
    fs.appendFileSync(changed, "\n" + marker + "\n");
    execFileSync(a.sotay, ["build", "--root", a.root, "--out", a.out], { stdio: "ignore" });
    const second = precacheList(a.out).entries;
    const expected = [...second.keys()].filter((u) => first.get(u) !== second.get(u)).sort();
    const mark = log.finished.length;
    const up = { expected: expected.length };
    let cutUpdate = null;
    lnk.onRequest = (req) => {
      if (!cutUpdate && expected.includes(req.path)) {
        cutUpdate = { path: req.path, at: Date.now() };
        lnk.cut(a.cutMs);
      }
    };
    const status2 = statusWatch(page);
    const t1 = Date.now();
    await page.evaluate(() => navigator.serviceWorker.getRegistration().then((reg) => reg.update()));
    await until("the update's downloads to begin", async () => cutUpdate, a.limitMs);
    await sleep(a.cutMs / 2);
    // Midway through the cut: nothing switched, the old version whole and serving.
    const mid = await cacheState(page);
    up.duringCut = {
      waiting: mid.waiting,
      oldComplete: mid.caches[done.name] && mid.caches[done.name].complete,
      oldMissing: (await missingFrom(page, done.name, [...first.keys()])).length,
      status: status2.seen[status2.seen.length - 1] || null,
    };
    await page.goto(url + changedUrl, { timeout: a.limitMs });
    up.duringCut.changedPageIsOld = !(await page.content()).includes(marker);
    up.duringCut.h1 = await page.textContent("h1");
    // After the cut: the update completes, waits for the member's word, then switches.
    await until("the update to be installed", async () => (await cacheState(page)).waiting, a.limitMs);
    up.installedMs = Date.now() - t1;
    await page.waitForSelector(".update-banner:not([hidden])", { timeout: 30000 });
    const nav = page.waitForEvent("framenavigated", { timeout: 30000 }).catch(() => null);
    await page.click(".update-banner [data-update=now]");
    await nav;
    const after = await until("the new version to be active", async () => {
      const s = await cacheState(page);
      return Object.keys(s.caches).length === 1 && !s.waiting && s.controlled ? s : null;
    }, 60000);
    status2.stop();
    const newName = Object.keys(after.caches)[0];
    up.switchedMs = Date.now() - t1;
    up.statuses = status2.seen;
    up.after = after.caches[newName];
    up.sameCacheAsBefore = newName === done.name;
    up.missingEntries = await missingFrom(page, newName, [...second.keys()]);
    await ctx.setOffline(true);
    await page.goto(url + changedUrl);
    up.changedPageOfflineIsNew = (await page.content()).includes(marker);
    await ctx.setOffline(false);
    const fetched = log.finished.slice(mark).filter((f) => !f.fromSW && f.status === 200 && f.body > 0 && !own(f.path));
    up.fetchedUnchanged = [...new Set(fetched.map((f) => f.path).filter((p) => !expected.includes(p) && p !== changedUrl))];
    up.cut = cutUpdate && { path: cutUpdate.path };
    r.update = up;
    r.errors = errors;
    return r;
  } finally {
    if (ctx) await ctx.close();
    lnk.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

async function requests(a) {
  const lnk = await link({ port: a.port, upstream: a.server, delayMs: a.delayMs });
  const url = `http://127.0.0.1:${a.port}`;
  const b = await browser();
  const r = { level: a.level };
  try {
    // No service worker: these are the requests a page makes itself, on a phone that has not
    // saved the handbook yet.
    const ctx = await b.newContext({ serviceWorkers: "block" });
    const errors = [];
    const open = async (p) => {
      const page = await ctx.newPage();
      page.on("pageerror", (e) => errors.push(String(e)));
      await page.goto(url + p, { timeout: a.limitMs });
      return page;
    };
    const [reg, search, admin] = [await open("/dang-ky/"), await open("/tim-kiem/"), await open("/quan-tri/")];

    // A stalled link: each request gives up with a message and a "Thử lại" button.
    lnk.stall();
    const t0 = Date.now();
    const gaveUp = async (page, sel, start) => {
      await start();
      await page.waitForSelector(`${sel} button.retry`, { timeout: a.limitMs });
      return { ms: Date.now() - t0, text: (await page.textContent(sel)).trim() };
    };
    const [g1, g2, g3] = await Promise.all([
      gaveUp(reg, ".register-status", async () => {
        await reg.fill("#r-card", a.member.card);
        await reg.fill("#r-name", a.member.name);
        await reg.fill("#r-birth", a.member.birth);
        await reg.fill("#r-unit", a.member.unit);
        await reg.click("form.register button");
      }),
      gaveUp(search, ".search-status", async () => { await search.fill("#q2", "đảng viên dự bị"); }),
      gaveUp(admin, ".admin-error", async () => {
        await admin.fill("#a-token", a.adminToken);
        await admin.click(".admin-login button");
      }),
    ]);
    r.gaveUp = { register: g1, search: g2, dashboard: g3 };
    note("gave up", r.gaveUp);
    lnk.release();
    r.stallMs = Date.now() - t0;

    // Tried again: each works. The first answer to the registration is lost on the way.
    lnk.loseAnswers("POST", "/api/v1/register", 1);
    const t1 = Date.now();
    let regTries = 0;
    const registered = await until("the registration", async () => {
      if (await reg.isVisible(".register-done")) return reg.textContent(".register-who");
      if (await reg.$(".register-status button.retry")) { regTries++; await reg.click(".register-status button.retry"); }
      return null;
    }, a.limitMs);
    r.retried = { register: { text: registered, tries: regTries, ms: Date.now() - t1 } };
    await search.click(".search-status button.retry");
    await search.waitForSelector(".results li", { timeout: a.limitMs });
    r.retried.search = { results: await search.locator(".results li").count(), ms: Date.now() - t1 };
    await admin.click(".admin-error button.retry");
    await admin.waitForSelector("table.report tbody tr", { timeout: a.limitMs });
    r.retried.dashboard = { rows: await admin.locator("table.report tbody tr").count(), ms: Date.now() - t1 };
    note("retried", r.retried);

    // The outbox, with the first answers to its batches lost after the server stored them.
    lnk.loseAnswers("POST", "/api/v1/events", a.lostWhole, "whole");
    lnk.loseAnswers("POST", "/api/v1/events", a.lostBody, "body");
    const t2 = Date.now();
    const queued = await reg.evaluate(async (docs) => {
      const ids = [];
      for (const d of docs) ids.push(await window.SotayApp.queue({ type: "view", doc: d, version: "v1" }));
      return ids;
    }, a.docs);
    await until("the outbox to be empty", async () => (await reg.evaluate(() => window.SotayOutbox.count())) === 0, a.limitMs);
    r.outbox = { queued, ms: Date.now() - t2 };
    const answers = lnk.answers.filter((x) => x.path === "/api/v1/events" && x.method === "POST");
    const acked = new Map();
    for (const x of answers.filter((x) => !x.lost && x.status === 200)) {
      for (const res of JSON.parse(x.body).results) acked.set(res.id, (acked.get(res.id) || []).concat(res.status));
    }
    r.outbox.posts = answers.length;
    r.outbox.lost = answers.filter((x) => x.lost).length;
    r.outbox.lostAfterHead = answers.filter((x) => x.lost === "body").length;
    r.outbox.timeline = answers.map((x) => `${((x.at - t2) / 1000).toFixed(1)} s ${x.status}${x.lost ? " lost (" + x.lost + ")" : ""}`);
    r.outbox.acked = [...acked.entries()].filter(([, s]) => s.some((x) => x === "stored" || x === "duplicate")).map(([id]) => id);
    r.outbox.statuses = [...acked.values()].flat().reduce((m, s) => ((m[s] = (m[s] || 0) + 1), m), {});
    r.registerAnswers = lnk.answers.filter((x) => x.path === "/api/v1/register").map((x) => ({ status: x.status, lost: x.lost }));
    r.errors = errors;
    return r;
  } finally {
    await b.close();
    lnk.close();
  }
}

run(async () => {
  const [mode, json] = process.argv.slice(2);
  const a = JSON.parse(json);
  if (mode === "precache") return precache(a);
  if (mode === "requests") return requests(a);
  throw new Error("mode: precache or requests");
});
