// Browser half of the known-item benchmark (bench/known-item.sh): the queries of
// bench/known_item.py, asked of sotay's offline search (search.js, in Debian's headless
// Chromium, the site served from loopback) and of Pagefind on the same site.
//
//   node bench/known-item.mjs SITE_DIR KNOWN_JSON OUT_DIR [--pagefind] [--saved]
//
// Writes OUT_DIR/browser.json and OUT_DIR/pagefind.json ({system, results: [[url x3]], ms})
// and prints a summary: sotay's index load, the JS heap (collected) after loading, after one
// search and after all the queries, latency.
// Service workers are blocked (the worker would save the whole site behind the timings):
// pages come from the server. With --saved, sotay runs again once the service worker has saved
// the handbook, as on a member's phone (OUT_DIR/browser-saved.json).
import fs from "node:fs";
import path from "node:path";
import { serve, browser, offlineReady, run } from "../tests/browser/lib.mjs";

const args = process.argv.slice(2);
const [site, knownFile, outDir] = args.filter((a) => !a.startsWith("--"));
const queries = JSON.parse(fs.readFileSync(knownFile, "utf8")).queries.map((q) => q.q);

/** sotay's search.js on the queries, in a new context; `saved`: once the service worker has
 *  saved the handbook (else it is blocked, and the pages come from the server). Writes
 *  OUT_DIR/NAME.json and NAME-warm.json. */
async function sotay(b, url, name, saved) {
  const ctx = await b.newContext({ serviceWorkers: saved ? "allow" : "block" });
  const page = await ctx.newPage();
  await page.goto(url + "/tim-kiem/");
  let savedSeconds = null;
  if (saved) {
    const t0 = Date.now();
    await offlineReady(page, "the handbook saved", 15 * 60 * 1000);
    savedSeconds = (Date.now() - t0) / 1000;
  }
  const indexUrl = await page.getAttribute("form.search-page", "data-index");
  // The JS heap that stays once the collector has run (DevTools' own count, not
  // performance.memory, which is rounded and late): after loading the index, after one search,
  // and after all the queries.
  const cdp = await ctx.newCDPSession(page);
  const heap = async () => {
    await cdp.send("HeapProfiler.collectGarbage");
    return (await cdp.send("Runtime.getHeapUsage")).usedSize / 1e6;
  };
  const loadMs = await page.evaluate(async (indexUrl) => {
    const t0 = performance.now();
    window.__idx = await window.SotaySearch.load(indexUrl);
    return performance.now() - t0;
  }, indexUrl);
  const heapLoaded = await heap();
  const first = await page.evaluate(async (q) => {
    const t = performance.now();
    const r = await window.__idx.search(q, {}, 0, 3);
    return { ms: performance.now() - t, urls: r.hits.map((h) => h.url) };
  }, queries[0]);
  const heapOne = await heap();
  const rest = await page.evaluate(async (queries) => {
    const idx = window.__idx;
    const results = [], ms = [];
    for (const q of queries.slice(1)) {
      const t = performance.now();
      const r = await idx.search(q, {}, 0, 3);
      ms.push(performance.now() - t);
      results.push(r.hits.map((h) => h.url));
    }
    // Again, now that every group these queries need is in memory: the time of the ranking
    // itself, without the first fetch of each group from the cache.
    const warm = [];
    for (const q of queries) {
      const t = performance.now();
      await idx.search(q, {}, 0, 3);
      warm.push(performance.now() - t);
    }
    return { results, ms, warm, groups: idx.groups.size };
  }, queries);
  const heapAfter = await heap();
  const out = {
    loadMs, results: [first.urls, ...rest.results], ms: [first.ms, ...rest.ms],
    warm: rest.warm, groups: rest.groups,
  };
  const system = saved ? "sotay (browser, handbook saved)" : "sotay (browser)";
  fs.writeFileSync(path.join(outDir, name + ".json"), JSON.stringify({ system, results: out.results, ms: out.ms }));
  fs.writeFileSync(path.join(outDir, name + "-warm.json"),
    JSON.stringify({ system: system.replace(")", ", groups in memory)"), results: out.results, ms: out.warm }));
  await ctx.close();
  return { load_ms: out.loadMs, heap_loaded_mb: heapLoaded, heap_after_one_search_mb: heapOne,
    heap_after_all_mb: heapAfter, groups_loaded: out.groups, saved_in_s: savedSeconds };
}

run(async () => {
  const srv = await serve(path.resolve(site));
  const b = await browser();
  const summary = {};
  try {
    summary.sotay = await sotay(b, srv.url, "browser", false);
    // As a member's phone has it: the service worker has saved the whole handbook, and the
    // pages the runs check reads come from its caches.
    if (args.includes("--saved")) summary.sotay_saved = await sotay(b, srv.url, "browser-saved", true);
    if (args.includes("--pagefind") && fs.existsSync(path.join(site, "pagefind"))) {
      const ctx = await b.newContext({ serviceWorkers: "block" });
      const page = await ctx.newPage();
      await page.goto(srv.url + "/pagefind/pagefind-entry.json");
      const out = await page.evaluate(async (queries) => {
        const pf = await import("/pagefind/pagefind.js");
        await pf.init();
        const results = [], ms = [];
        for (const q of queries) {
          const t = performance.now();
          const s = await pf.search(q);
          const data = await Promise.all(s.results.slice(0, 3).map((r) => r.data()));
          ms.push(performance.now() - t);
          results.push(data.map((d) => new URL(d.url, location.href).pathname));
        }
        return { results, ms };
      }, queries);
      fs.writeFileSync(path.join(outDir, "pagefind.json"), JSON.stringify({ system: "Pagefind", ...out }));
      summary.pagefind = { queries: out.results.length };
      await ctx.close();
    }
  } finally {
    await b.close();
    srv.close();
  }
  return summary;
});
