// Offline search in Chromium. Usage: node search.mjs SITE_DIR QUERIES_JSON
// Prints {"results": {query: {total, hits}}, "ms": {query: time}, "ui": {...}}.
import fs from "node:fs";
import { serve, browser, run } from "./lib.mjs";

run(async () => {
  const [site, queriesFile] = process.argv.slice(2);
  const queries = JSON.parse(fs.readFileSync(queriesFile, "utf8"));
  const srv = await serve(site);
  const b = await browser();
  try {
    const page = await b.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    await page.goto(srv.url + "/tim-kiem/");
    const indexUrl = await page.getAttribute("form.search-page", "data-index");
    const out = await page.evaluate(async ({ indexUrl, queries }) => {
      const idx = await window.SotaySearch.load(indexUrl);
      const results = {}, ms = {};
      for (const q of queries) {
        idx.search(q, {}, 0, 10); // warm up
        const t0 = performance.now();
        const reps = 5;
        for (let i = 0; i < reps; i++) results[q] = idx.search(q, {}, 0, 10);
        ms[q] = (performance.now() - t0) / reps;
      }
      return { results, ms };
    }, { indexUrl, queries });

    // The page itself: type a query, results appear as you type.
    await page.fill("#q2", queries[0]);
    await page.waitForSelector(".results li", { timeout: 5000 });
    const ui = {
      count: await page.locator(".results li").count(),
      first: await page.locator(".results li a").first().getAttribute("href"),
      status: await page.textContent(".search-status"),
      marks: await page.locator(".results mark").count(),
      xss: await page.evaluate(() => window.__xss === true),
      errors,
    };
    return { ...out, ui };
  } finally {
    await b.close();
    srv.close();
  }
});
