// A first visit over a slow mobile link (bench/slow3g/throttle.py in front of `sotay server`),
// in Debian's headless Chromium as a 360×740 phone with a fresh profile each run:
//
//   node bench/slow3g/firstview.mjs PROXY_URL RUNS OUT_JSON PATH...
//
// For each PATH and run: first contentful paint and largest contentful paint (the page's main
// text: "first readable content") from the browser's own paint timings, and the load event,
// all from the start of navigation; for the first PATH also the time until the service worker
// has saved the whole handbook (its precache state is in the cache: "full offline download").
import fs from "node:fs";
import { browser, phone, run } from "../../tests/browser/lib.mjs";

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function paints(page) {
  return page.evaluate(() => new Promise((resolve) => {
    const out = {};
    const nav = performance.getEntriesByType("navigation")[0];
    out.load = nav ? nav.loadEventEnd : null;
    out.dcl = nav ? nav.domContentLoadedEventEnd : null;
    const fcp = performance.getEntriesByName("first-contentful-paint")[0];
    out.fcp = fcp ? fcp.startTime : null;
    new PerformanceObserver((l) => {
      const e = l.getEntries();
      const last = e[e.length - 1];
      out.lcp = last.startTime;
      out.lcpElement = last.element ? last.element.tagName.toLowerCase() + (last.element.className ? "." + last.element.className : "") : null;
    }).observe({ type: "largest-contentful-paint", buffered: true });
    setTimeout(() => resolve(out), 200);
  }));
}

run(async () => {
  const [base, runsArg, outFile, ...paths] = process.argv.slice(2);
  const runs = parseInt(runsArg, 10) || 3;
  const b = await browser();
  const result = {};
  try {
    for (const [i, p] of paths.entries()) {
      result[p] = [];
      for (let r = 0; r < runs; r++) {
        const ctx = await phone(b);
        const page = await ctx.newPage();
        const t0 = Date.now();
        await page.goto(base + p, { waitUntil: "load", timeout: 120000 });
        await sleep(500);
        const m = await paints(page);
        if (i === 0) {
          // The service worker saves the handbook in the background: until its state is stored.
          const end = Date.now() + 600000;
          let saved = null;
          while (Date.now() < end && saved === null) {
            saved = await page.evaluate(async () => {
              for (const n of await caches.keys()) {
                if (!n.startsWith("sotay-v-")) continue;
                const st = await (await caches.open(n)).match("/__sotay/state.json");
                if (st) { const s = await st.json(); return { total: s.total, missing: s.missing.length }; }
              }
              return null;
            }).catch(() => null);
            if (saved === null) await sleep(100);
          }
          m.offline_ms = saved ? Date.now() - t0 : null;
          m.offline_entries = saved && saved.total;
          m.offline_missing = saved && saved.missing;
        }
        result[p].push(m);
        await ctx.close();
      }
    }
  } finally {
    await b.close();
  }
  fs.writeFileSync(outFile, JSON.stringify(result, null, 1));
  return result;
});
