// Shared helpers for the browser tests: a static file server for a built site, and Debian's
// Chromium started headless through playwright-core. Tests are run by `cargo test`
// (tests/browser_*.rs), which builds the site and reads what these scripts print as JSON.
import http from "node:http";
import fs from "node:fs";
import path from "node:path";
import { chromium } from "playwright-core";

const TYPES = {
  ".html": "text/html; charset=utf-8", ".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8",
  ".json": "application/json", ".xml": "application/xml", ".bin": "application/octet-stream",
  ".webmanifest": "application/manifest+json", ".png": "image/png", ".svg": "image/svg+xml",
  ".pdf": "application/pdf", ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
};

/** The precache list a build wrote into `out` (webapp.rs): its root, named in sw.js, and the
 *  parts the root names. Returns the entries (URL -> hash), the parts' URLs and the version. */
export function precacheList(out) {
  const sw = fs.readFileSync(path.join(out, "sw.js"), "utf8");
  const name = sw.match(/const MANIFEST = "\/?([^"]+)"/)[1];
  const root = JSON.parse(fs.readFileSync(path.join(out, name), "utf8"));
  const parts = root.parts.map(([h]) => `/precache/${h}.json`);
  const list = parts.flatMap((p) => JSON.parse(fs.readFileSync(path.join(out, p), "utf8")));
  return { entries: new Map(list.map((e) => [e[0], e[1]])), parts, version: root.version };
}

/** The service worker's own files (its script, what it imports, the precache list's root and
 *  parts): the browser fetches them to start and update it, apart from the precache. */
export const swOwn = (p) => p === "/sw.js" || p.startsWith("/precache") || /^\/static\/outbox\.[0-9a-f]+\.js$/.test(p);

/** A new page of browser `b` on the search page of the site `srv` serves: resolves to the page,
 *  the list its errors are collected in, and the URL of the search index's root. */
export async function searchPage(b, srv) {
  const page = await b.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(srv.url + "/tim-kiem/");
  const indexUrl = await page.getAttribute("form.search-page", "data-index");
  return { page, errors, indexUrl };
}

/** Serves `root` on a free loopback port; resolves to { url, close, requests }. */
export function serve(root) {
  const requests = [];
  const state = { down: false };
  const server = http.createServer((req, res) => {
    if (state.down) { req.socket.destroy(); return; }
    const u = new URL(req.url, "http://x");
    requests.push(u.pathname);
    let p = path.join(root, decodeURIComponent(u.pathname));
    if (!p.startsWith(root)) { res.writeHead(403); return res.end(); }
    if (fs.existsSync(p) && fs.statSync(p).isDirectory()) p = path.join(p, "index.html");
    if (!fs.existsSync(p)) {
      res.writeHead(404, { "content-type": TYPES[".html"] });
      return res.end(fs.existsSync(path.join(root, "404.html")) ? fs.readFileSync(path.join(root, "404.html")) : "not found");
    }
    res.writeHead(200, { "content-type": TYPES[path.extname(p)] || "application/octet-stream", "cache-control": "no-cache" });
    res.end(fs.readFileSync(p));
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      resolve({ url: `http://127.0.0.1:${server.address().port}`, close: () => server.close(), requests, state });
    });
  });
}

function chromiumOptions(extra = []) {
  const exe = process.env.CHROMIUM || "/usr/bin/chromium";
  if (!fs.existsSync(exe)) throw new Error(`Chromium not found at ${exe}: install Debian's chromium package (.ci/run does)`);
  return {
    executablePath: exe,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", ...extra],
  };
}

/** Chromium from Debian, headless, with a fresh profile and `extra` flags. Fails loudly if it
 * is missing. */
export async function browser(extra = []) {
  return chromium.launch(chromiumOptions(extra));
}

/** Chromium from Debian, headless, with its profile kept in `dir`: closing the context is
 *  closing the browser (a phone switched off), and starting it again with the same `dir` finds
 *  what it had saved. */
export async function persistent(dir, options = {}) {
  return chromium.launchPersistentContext(dir, { ...chromiumOptions(), ...options });
}

/** Runs `main` and prints its result as JSON; any failure exits 1 with the error. */
export async function run(main) {
  try {
    const result = await main();
    // On a pipe, stdout is written asynchronously: exit once it is all out (over 64 KB it
    // was cut off).
    process.stdout.write(JSON.stringify(result) + "\n", () => process.exit(0));
  } catch (e) {
    process.stderr.write(String(e && e.stack || e) + "\n");
    process.exit(1);
  }
}

/** A context like a cheap Android phone in Vietnam: 360×740 CSS pixels, deviceScaleFactor 2,
 *  touch, Vietnamese locale and time zone. */
export function phone(b, options = {}) {
  return b.newContext({
    viewport: { width: 360, height: 740 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true,
    locale: "vi-VN", timezoneId: "Asia/Ho_Chi_Minh", ...options,
  });
}

/** Where screenshots go: tests/artifacts/ (ignored by git), kept after the test for people to
 *  look at. */
export const ARTIFACTS = path.join(path.dirname(new URL(import.meta.url).pathname), "..", "artifacts");

/** Saves a screenshot of what the page shows as tests/artifacts/NAME.png; `full` for the whole
 *  page. Returns the file's path. */
export async function shot(page, name, full = false) {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, name + ".png");
  await page.screenshot({ path: file, fullPage: full });
  return file;
}

/** English words that must never reach a member: any of them on a page is a message that was
 *  not translated. */
export const ENGLISH = /\b(the|and|does|not|match|roster|required|retry|error|invalid|please|details|must|saved|failed|unknown|code|network)\b/i;

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Asks `fn` every 150 ms until it gives something truthy, and returns that. A check that throws
 *  (a page reloading under it) is asked again. After `ms` it fails, naming `what` and the last
 *  answer or error. */
export async function until(what, fn, ms = 30000) {
  const end = Date.now() + ms;
  let last;
  while (Date.now() < end) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      last = String(e && e.message || e);
    }
    await sleep(150);
  }
  throw new Error(`timed out after ${ms / 1000} s waiting for ${what} (last: ${JSON.stringify(last)})`);
}

/** Waits until the page's service worker is active and has saved the whole handbook (its state
 *  file is in the version's cache), then reloads so that the service worker controls the page.
 *  Only then does a test cut the network: before, an offline reload has nothing to answer it. */
export async function offlineReady(page, what = "the handbook saved for offline use", ms = 60000) {
  await until(what, () => page.evaluate(async () => {
    const r = await navigator.serviceWorker.getRegistration();
    if (!r || !r.active) return false;
    const state = new URL("__sotay/state.json", r.scope).pathname;
    for (const n of await caches.keys()) if (n.startsWith("sotay-v-") && await (await caches.open(n)).match(state)) return true;
    return false;
  }), ms);
  await page.reload();
  await until("the service worker in control", () => page.evaluate(() => !!navigator.serviceWorker.controller), ms);
}
