// First view of a page in Debian's headless Chromium (fresh profile, service workers allowed),
// for bench/offline.sh: what the page itself downloads, compressed as the server sent it.
//
//   node bench/offline-firstview.mjs URL OUT_JSON
//
// Every request of the page (document, stylesheet, script, image, manifest, fetch ...) is
// recorded with Playwright's request.sizes() (Chromium's encoded body and header sizes). The
// service worker's own requests (its precache download) are not the page's and are counted
// apart, as is the service worker script itself (fetched by the browser to register it). The
// page is loaded until its `load` event and one more second, so deferred scripts are in.
import fs from "node:fs";
import { browser, run } from "../tests/browser/lib.mjs";

run(async () => {
  const [url, outFile] = process.argv.slice(2);
  const b = await browser();
  const result = { url, page: [], worker: { requests: 0, body: 0 }, other: [] };
  try {
    const ctx = await b.newContext();
    const page = await ctx.newPage();
    const pending = [];
    page.on("requestfinished", (req) => {
      pending.push((async () => {
        const s = await req.sizes();
        const resp = await req.response();
        const h = resp ? await resp.allHeaders() : {};
        let decoded = null;
        try { decoded = resp ? (await resp.body()).length : null; } catch { /* redirects have no body */ }
        result.page.push({
          url: req.url().replace(/^https?:\/\/[^/]+/, ""), type: req.resourceType(), status: resp && resp.status(),
          encoding: h["content-encoding"] || "identity", body: s.responseBodySize, headers: s.responseHeadersSize, decoded,
          fromWorker: resp ? resp.fromServiceWorker() : false,
        });
      })());
    });
    page.on("requestfailed", (req) => result.other.push({ url: req.url(), failed: req.failure() && req.failure().errorText }));
    // Requests that are not the page's: the service worker script and its precache downloads.
    ctx.on("requestfinished", (req) => {
      if (req.serviceWorker()) {
        pending.push(req.sizes().then((s) => { result.worker.requests++; result.worker.body += s.responseBodySize; }));
      }
    });
    const t0 = Date.now();
    await page.goto(url, { waitUntil: "load" });
    result.load_ms = Date.now() - t0;
    await page.waitForTimeout(1000);
    await Promise.all(pending);
    result.page.sort((a, b) => a.url.localeCompare(b.url));
    await ctx.close();
  } finally {
    await b.close();
  }
  const sum = (f) => result.page.filter(f).reduce((a, r) => a + r.body, 0);
  const code = (r) => ["document", "stylesheet", "script"].includes(r.type);
  result.totals = {
    html_css_js_body: sum(code), html_css_js_headers: result.page.filter(code).reduce((a, r) => a + r.headers, 0),
    html_css_js_decoded: result.page.filter(code).reduce((a, r) => a + (r.decoded || 0), 0),
    html: sum((r) => r.type === "document"), css: sum((r) => r.type === "stylesheet"), js: sum((r) => r.type === "script"),
    other_body: sum((r) => !code(r)), requests: result.page.length,
  };
  fs.writeFileSync(outFile, JSON.stringify(result, null, 1));
  return result.totals;
});
