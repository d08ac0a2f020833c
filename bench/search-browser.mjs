// Browser half of bench/search.sh: sotay's offline search (search.js) and Pagefind, in Debian's
// headless Chromium driven by playwright-core (tests/browser/lib.mjs; its node_modules).
//
//   node bench/search-browser.mjs SITE_DIR QUERIES_JSON OUT_JSON [--reps N] [--pagefind]
//
// The site is served as static files from loopback by lib.mjs (no compression, no-cache).
// Service workers are blocked in every context, so sotay's worker never starts precaching the
// whole site behind the measurements.
//
// sotay: open /tim-kiem/, time `SotaySearch.load(url)` (the index's root and its filter table),
// then every latency query once (each fetches the groups of its terms: "first") and REPS
// interleaved rounds of `await idx.search(q, {}, 0, 10)` (the page itself asks for 50); the JS
// heap after loading and after all the queries; the index files fetched.
//
// Pagefind (with --pagefind; SITE_DIR/pagefind/ must exist): bytes are counted on the server
// side, as the sizes of the files under /pagefind/ that were requested (the static server sends
// files as they are on disk; Pagefind's own files are gzip inside).
// - init: `import("/pagefind/pagefind.js")` and `init()` in a fresh context, until Pagefind's
//   worker has its entry file, metadata and WebAssembly module;
// - cold: per query, a fresh context, init (not counted), then `search(q)` and `data()` of the
//   first 10 results: the bytes a member pays for one search on a fresh visit;
// - warm: all queries one after the other in one page (chunks already fetched are reused).
// - recall: the ids (fragment hashes) of every result of each recall query, typed with and
//   without diacritics; bench/search_report.py maps them to URLs from the fragment files.
//
// Writes everything to OUT_JSON and prints a one-line summary.
import fs from "node:fs";
import path from "node:path";
import { serve, browser, run } from "../tests/browser/lib.mjs";

const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const [site, queriesFile, outFile] = args.filter((a, i) => !a.startsWith("--") && !(i > 0 && args[i - 1] === "--reps"));
const reps = Number(opt("--reps", "20"));
const spec = JSON.parse(fs.readFileSync(queriesFile, "utf8"));
const queries = spec.latency;
const recallPairs = spec.recall;

function stats(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const at = (p) => s[Math.min(s.length, Math.max(1, Math.ceil((p / 100) * s.length))) - 1];
  return { n: s.length, p50: at(50), p90: at(90), p99: at(99), max: s[s.length - 1], mean: s.reduce((a, b) => a + b, 0) / s.length };
}

run(async () => {
  const root = path.resolve(site);
  const srv = await serve(root);
  const b = await browser();
  const sizeOf = (p) => {
    try { return fs.statSync(path.join(root, decodeURIComponent(p))).size; } catch { return 0; }
  };
  const pfBytes = () => {
    const reqs = srv.requests.filter((p) => p.startsWith("/pagefind/"));
    return { bytes: reqs.reduce((a, p) => a + sizeOf(p), 0), requests: reqs.length };
  };
  const result = { site: root, reps };
  try {
    // --- sotay ---------------------------------------------------------------------------------
    {
      const ctx = await b.newContext({ serviceWorkers: "block" });
      const page = await ctx.newPage();
      const errors = [];
      page.on("pageerror", (e) => errors.push(String(e)));
      await page.goto(srv.url + "/tim-kiem/");
      const indexUrl = await page.getAttribute("form.search-page", "data-index");
      const out = await page.evaluate(async ({ indexUrl, queries, reps }) => {
        const t0 = performance.now();
        const idx = await window.SotaySearch.load(indexUrl);
        const loadMs = performance.now() - t0;
        const heapLoaded = performance.memory ? performance.memory.usedJSHeapSize / 1e6 : null;
        const per = queries.map(() => []);
        const totals = [], first = [], top = [];
        for (const q of queries) {
          // The first search of a query fetches the groups of its terms (from the cache).
          const t = performance.now();
          const r = await idx.search(q, {}, 0, 10);
          first.push(performance.now() - t);
          totals.push(r.total);
          top.push(r.hits.slice(0, 3).map((h) => h.id));
        }
        const start = performance.now();
        let rounds = 0;
        // At least 3 rounds; stop early after 5 minutes (100,000 documents).
        while (rounds < reps && (rounds < 3 || performance.now() - start < 300000)) {
          for (const [i, q] of queries.entries()) {
            const t = performance.now();
            await idx.search(q, {}, 0, 10);
            per[i].push(performance.now() - t);
          }
          rounds++;
        }
        // Index files fetched: the root, the table, the groups the queries needed.
        const fetched = performance.getEntriesByType("resource").filter((e) => e.name.includes("/search/"));
        return { indexUrl, bytes: fetched.reduce((a, e) => a + (e.decodedBodySize || 0), 0), files: fetched.length,
                 loadMs, per, totals, first, top, rounds, groups: idx.groups.size, heapLoaded,
                 heapMB: performance.memory ? performance.memory.usedJSHeapSize / 1e6 : null };
      }, { indexUrl, queries, reps });
      result.sotay = {
        index_url: out.indexUrl, fetched_bytes: out.bytes, fetched_files: out.files, load_ms: out.loadMs,
        heap_loaded_mb: out.heapLoaded, heap_mb: out.heapMB, groups: out.groups, rounds: out.rounds,
        overall: stats(out.per.flat()), errors,
        queries: queries.map((q, i) => ({ q, total: out.totals[i], first: out.first[i], top: out.top[i], ...stats(out.per[i]) })),
      };
      await ctx.close();
    }

    // --- Pagefind ------------------------------------------------------------------------------
    if (flag("--pagefind")) {
      const pf = { cold: [], warm: [] };
      const open = async () => {
        const ctx = await b.newContext({ serviceWorkers: "block" });
        const page = await ctx.newPage();
        // Any same-origin page will do; this one is small and loads no search code.
        await page.goto(srv.url + "/pagefind/pagefind-entry.json");
        srv.requests.length = 0;
        const t = await page.evaluate(async () => {
          const t0 = performance.now();
          window.pf = await import("/pagefind/pagefind.js");
          await window.pf.init();
          return performance.now() - t0;
        });
        // init() resolves before Pagefind's worker has fetched the entry file, the language's
        // metadata and the WebAssembly module; they belong to the initial load, not to a query.
        const end = Date.now() + 30000;
        const has = (re) => srv.requests.some((p) => re.test(p));
        while (!(has(/\.pf_meta$/) && has(/\/wasm\.[^/]*pagefind$/)) && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
        await new Promise((r) => setTimeout(r, 200));
        return { ctx, page, initMs: t };
      };
      const one = (page, q) => page.evaluate(async (q) => {
        const t0 = performance.now();
        const s = await window.pf.search(q);
        const data = await Promise.all(s.results.slice(0, 10).map((r) => r.data()));
        return { ms: performance.now() - t0, count: s.results.length, top: data.slice(0, 3).map((d) => d.url) };
      }, q);

      {
        const { ctx, initMs } = await open();
        pf.init = { ...pfBytes(), ms: initMs, files: srv.requests.filter((p) => p.startsWith("/pagefind/")) };
        await ctx.close();
      }
      for (const q of queries) {
        const { ctx, page } = await open();
        srv.requests.length = 0;
        const r = await one(page, q);
        pf.cold.push({ q, ...r, ...pfBytes() });
        await ctx.close();
      }
      {
        const { ctx, page } = await open();
        for (const q of queries) {
          srv.requests.length = 0;
          const r = await one(page, q);
          pf.warm.push({ q, ...r, ...pfBytes() });
        }
        pf.recall = [];
        for (const [w, wo] of recallPairs) {
          const ids = (q) => page.evaluate(async (q) => (await window.pf.search(q)).results.map((r) => r.id), q);
          pf.recall.push({ with: w, without: wo, with_ids: await ids(w), without_ids: await ids(wo) });
        }
        await ctx.close();
      }
      result.pagefind = pf;
    }
  } finally {
    await b.close();
    srv.close();
  }
  fs.writeFileSync(outFile, JSON.stringify(result));
  const s = result.sotay;
  return {
    sotay: { load_ms: Math.round(s.load_ms), p50: s.overall.p50, p99: s.overall.p99, max: s.overall.max },
    pagefind: result.pagefind ? { init_bytes: result.pagefind.init.bytes, cold_median_bytes: stats(result.pagefind.cold.map((c) => c.bytes)).p50 } : null,
  };
});
