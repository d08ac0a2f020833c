// Offline reading in Chromium: first visit online, the whole handbook saved by the service
// worker; then with the network cut every kind of page opens, search and bookmarks work;
// a rebuild that changes one document downloads only the changed entries; a removed
// document disappears. Usage: node offline.mjs SITE_ROOT OUT_DIR SOTAY_BINARY
import fs from "node:fs";
import path from "node:path";
import { execFileSync } from "node:child_process";
import { serve, browser, precacheList, run, swOwn as own } from "./lib.mjs";

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function state(page) {
  return page.evaluate(async () => {
    const names = (await caches.keys()).filter((n) => n.startsWith("sotay-v-"));
    const reg = await navigator.serviceWorker.getRegistration();
    const out = { caches: names, active: !!(reg && reg.active), waiting: !!(reg && reg.waiting), controlled: !!navigator.serviceWorker.controller };
    for (const n of names) {
      const c = await caches.open(n);
      const st = await c.match("/__sotay/state.json");
      if (st) out[n] = await st.json().then((s) => ({ total: s.total, missing: s.missing.length, downloaded: s.downloaded, copied: s.copied }));
    }
    return out;
  });
}

async function until(what, fn, ms = 30000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    // A reload in the middle of a check (the update switches pages over) is not a failure.
    const v = await fn().catch(() => null);
    if (v) return v;
    await sleep(100);
  }
  throw new Error("timed out waiting for " + what);
}

run(async () => {
  const [root, out, sotay] = process.argv.slice(2);
  const srv = await serve(out);
  const b = await browser();
  const result = {};
  try {
    const ctx = await b.newContext();
    const page = await ctx.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
    await page.goto(srv.url + "/");
    const firstList = precacheList(out);
    const first = firstList.entries;
    const installed = await until("precache", async () => {
      const s = await state(page);
      const v = s.caches.map((n) => s[n]).find(Boolean);
      return s.active && v ? { ...v, state: s } : null;
    });
    result.first = { total: installed.total, missing: installed.missing, downloaded: installed.downloaded, manifest: first.size };
    result.statusText = await page.evaluate(() => document.querySelector(".app-status") && document.querySelector(".app-status").textContent);
    await page.reload();
    result.controlled = await page.evaluate(() => !!navigator.serviceWorker.controller);

    // Network cut: every kind of page, search, bookmarks.
    srv.state.down = true;
    await ctx.setOffline(true);
    const doc = [...first.keys()].find((u) => u.startsWith("/hoi-dap/") && u.endsWith("/") && u !== "/hoi-dap/");
    const pages = ["/", "/nghi-quyet/", doc, "/dieu-le/dieu-le-mau/", "/loai/nghi-quyet/", "/chu-de/", "/co-quan/", "/nam/", "/moi-cap-nhat/", "/tim-kiem/", "/doc-sau/", "/dang-ky/", "/huong-dan-cai-dat/"];
    result.offline = {};
    for (const p of pages) {
      const r = await page.goto(srv.url + p);
      result.offline[p] = { status: r && r.status(), h1: await page.textContent("h1").catch(() => null) };
    }
    await page.goto(srv.url + "/tim-kiem/?q=dang+vien+du+bi");
    await page.waitForSelector(".results li", { timeout: 10000 });
    result.search = { first: await page.getAttribute(".results li a", "href"), count: await page.locator(".results li").count() };
    // Offline too: a typo gets the same suggestion as online, and a hit lands on its passage.
    await page.goto(srv.url + "/tim-kiem/?q=dang+vien+du+bj");
    await page.waitForSelector(".search-suggest", { timeout: 10000 });
    result.search.suggest = await page.textContent(".search-suggest");
    await page.goto(srv.url + "/tim-kiem/?q=quyen+cua+dang+vien");
    await page.waitForSelector(".results li[data-passage]", { timeout: 10000 });
    result.search.passage = await page.getAttribute(".results li[data-passage]", "data-passage");
    await page.goto(srv.url + doc);
    const docTitle = await page.textContent("h1");
    await page.click("[data-action=bookmark]");
    await page.waitForFunction(() => document.querySelector("[data-action=bookmark]").getAttribute("aria-pressed") === "true");
    await page.goto(srv.url + "/doc-sau/");
    await page.waitForSelector(".bookmark-list li a");
    result.bookmarks = { title: await page.textContent(".bookmark-list li a"), expected: docTitle };
    const r404 = await page.goto(srv.url + "/khong-co-trang-nay/");
    result.unsaved = { status: r404 && r404.status(), h1: await page.textContent("h1") };

    // A rebuild that changes one document: only changed entries are downloaded.
    await ctx.setOffline(false);
    srv.state.down = false;
    const changed = path.join(root, "content/hoi-dap/mien-sinh-hoat-dang.md");
    fs.appendFileSync(changed, "\nĐoạn bổ sung sau khi sửa văn bản.\n");
    execFileSync(sotay, ["build", "--root", root, "--out", out], { stdio: "ignore" });
    const secondList = precacheList(out);
    const second = secondList.entries;
    const expected = [...second.keys()].filter((u) => first.get(u) !== second.get(u)).sort();
    // Counted from before the page is opened: opening it may itself start the update (the page
    // checks for one), and the update's first requests must not be lost. The page's own
    // navigation request is not an update's.
    // The first install read the precache list whole, in one download (not part by part).
    result.firstList = { fetched: srv.requests.filter((u) => u.startsWith("/precache/")), whole: `/precache/${firstList.version}.json` };
    srv.requests.length = 0;
    await page.goto(srv.url + "/");
    const navigation = srv.requests.indexOf("/");
    if (navigation >= 0) srv.requests.splice(navigation, 1);
    await page.evaluate(() => navigator.serviceWorker.getRegistration().then((r) => r.update()));
    await until("update installed", async () => (await state(page)).waiting);
    await page.waitForSelector(".update-banner:not([hidden])", { timeout: 10000 });
    // The new service worker's own files (sw.js, its precache list's root and parts, and the
    // script it imports) are not precache entries; everything else fetched must be an entry
    // that changed. Of the list, only the parts that changed are fetched.
    const fetched = srv.requests.filter((u) => !own(u)).sort();
    const parts = {
      all: secondList.parts.length,
      changed: secondList.parts.filter((p) => !firstList.parts.includes(p)).sort(),
      fetched: srv.requests.filter((u) => u.startsWith("/precache/")).sort(),
    };
    result.update = { expected, fetched, other: srv.requests.filter(own).sort(), parts, banner: await page.textContent(".update-banner") };
    // Where it is seen: fixed at the top of the screen, also when the page is scrolled.
    await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
    result.update.bannerPlace = await page.evaluate(() => {
      const b = document.querySelector(".update-banner"), r = b.getBoundingClientRect();
      return { position: getComputedStyle(b).position, top: Math.round(r.top), count: document.querySelectorAll(".update-banner").length };
    });
    const nav = page.waitForEvent("framenavigated", { timeout: 10000 }).catch(() => null);
    await page.click(".update-banner [data-update=now]");
    await nav;
    await until("new version active", async () => { const s = await state(page); return s.caches.length === 1 && !s.waiting; });
    const after = await state(page);
    result.update.cachesAfter = after.caches.length;
    result.update.version = after[after.caches[0]];

    // A removed document disappears from the phone.
    const removed = "/hoi-dap/mien-sinh-hoat-dang/";
    fs.rmSync(changed);
    execFileSync(sotay, ["build", "--root", root, "--out", out], { stdio: "ignore" });
    await page.evaluate(() => navigator.serviceWorker.getRegistration().then((r) => r.update()));
    await until("removal installed", async () => (await state(page)).waiting);
    // Once: "Để sau" puts the banner away for the visit, also across pages.
    await page.waitForSelector(".update-banner:not([hidden])", { timeout: 10000 });
    await page.click(".update-banner [data-update=later]");
    result.later = { hidden: await page.evaluate(() => document.querySelector(".update-banner").hidden) };
    await page.goto(srv.url + "/nghi-quyet/");
    await sleep(1000);
    result.later.afterNavigation = await page.evaluate(() => document.querySelector(".update-banner").hidden);
    result.later.stillWaiting = (await state(page)).waiting;
    await page.evaluate(() => navigator.serviceWorker.getRegistration().then((r) => r.waiting.postMessage({ type: "skipWaiting" })));
    await until("removal active", async () => { const s = await state(page); return s.caches.length === 1 && !s.waiting; });
    result.removedCached = await page.evaluate(async (u) => {
      for (const n of await caches.keys()) if (await (await caches.open(n)).match(u)) return n;
      return null;
    }, removed);
    srv.state.down = true;
    await ctx.setOffline(true);
    await page.goto(srv.url + removed);
    result.removedOffline = await page.textContent("h1");
    // A page of the handbook that this phone could not save (storage full, say) is "no
    // network", not "not found".
    const lost = "/hoi-dap/ket-nap-lai/";
    await page.evaluate(async (u) => { for (const n of await caches.keys()) await (await caches.open(n)).delete(u); }, lost);
    const rLost = await page.goto(srv.url + lost);
    result.unsavedPage = { status: rLost && rLost.status(), h1: await page.textContent("h1") };
    result.errors = errors.filter((e) => !/net::ERR_|Failed to fetch|ERR_INTERNET_DISCONNECTED|status of 404/.test(e));
    return result;
  } finally {
    await b.close();
    srv.close();
  }
});
