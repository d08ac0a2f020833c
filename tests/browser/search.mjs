// Offline search in Chromium. Usage: node search.mjs SITE_DIR QUERIES_JSON
// For each query: what search.js answers (total, suggestion, the top 10 with their scores,
// the top 3 with the passage found in their pages), then the page itself as a member uses it.
// Prints {"results": {query: {...}}, "ui": {...}}.
import fs from "node:fs";
import { serve, browser, run, searchPage } from "./lib.mjs";

run(async () => {
  const [site, queriesFile] = process.argv.slice(2);
  const queries = JSON.parse(fs.readFileSync(queriesFile, "utf8"));
  const srv = await serve(site);
  const b = await browser();
  try {
    const { page, errors, indexUrl } = await searchPage(b, srv);
    const results = await page.evaluate(async ({ indexUrl, queries }) => {
      const idx = await window.SotaySearch.load(indexUrl);
      const out = {};
      for (const q of queries) {
        const r = await idx.search(q, {}, 0, 10);
        const hits = [];
        for (const [i, h] of r.hits.entries()) {
          const hit = { id: h.id, url: h.url, score: h.score, kind: h.kind };
          if (i < 3) {
            const p = await idx.passage(h, r.seq, "");
            Object.assign(hit, { url: p.url, passage: p.passage, snippet: p.snippet });
          }
          hits.push(hit);
        }
        out[q] = { total: r.total, suggestion: r.suggestion, hits };
      }
      return out;
    }, { indexUrl, queries });

    // The page itself: type a query, results appear as you type, each links to its passage.
    await page.fill("#q2", queries[0]);
    await page.waitForSelector(".results li[data-passage]", { timeout: 5000 });
    const ui = {
      count: await page.locator(".results li").count(),
      first: await page.locator(".results li a").first().getAttribute("href"),
      status: await page.textContent(".search-status"),
      marks: await page.locator(".results mark").count(),
      xss: await page.evaluate(() => window.__xss === true),
    };
    // A typo: the suggestion, as a link, and its results; "Vẫn tìm" searches as typed.
    await page.fill("#q2", "dang vien du bj");
    await page.waitForSelector(".search-suggest", { timeout: 5000 });
    ui.suggest = await page.textContent(".search-suggest");
    ui.suggestFirst = await page.locator(".results li a").first().getAttribute("href");
    await page.click("a[data-action=as-typed]");
    await page.waitForFunction(() => !document.querySelector(".search-suggest"), null, { timeout: 5000 });
    ui.asTyped = await page.textContent(".search-status");
    // A question lands on the article that answers it.
    await page.fill("#q2", "đảng viên dự bị có quyền biểu quyết không");
    await page.waitForSelector(".results li[data-passage*='#']", { timeout: 5000 });
    ui.question = await page.locator(".results li[data-passage*='#']").first().getAttribute("data-passage");
    ui.errors = errors;
    return { results, ui };
  } finally {
    await b.close();
    srv.close();
  }
});
