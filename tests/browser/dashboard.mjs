// The committee's dashboard in Chromium at 1280×800 and on a 360×740 phone: the login page
// says whom to ask for a token; after logging in, the key figures and the first data row are
// inside the first screen; at most 8 columns until "Thêm cột"; sorting; chart labels never cut,
// a y-axis and dd/mm dates, chart text at least 14 px, each chart's data as a table; the phone
// shows one card per unit with no horizontal scroll; axe-core finds no serious or critical
// violation; drill-down to a cell's members; CSV export. Screenshots go to ARTIFACT_DIR.
// Usage: node dashboard.mjs SERVER_URL ADMIN_TOKEN ARTIFACT_DIR
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { browser, phone, run } from "./lib.mjs";

const require = createRequire(import.meta.url);
const AXE = fs.readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

async function axe(page) {
  await page.evaluate(AXE);
  return page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ["violations"] });
    return r.violations.filter((v) => v.impact === "serious" || v.impact === "critical")
      .map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 5).map((n) => n.target.join(" ")) }));
  });
}

/** What the first screen shows and how the charts are drawn. */
async function measure(page, width) {
  return page.evaluate((width) => {
    const vis = (e) => e && e.getClientRects().length > 0 && getComputedStyle(e).display !== "none";
    const bottom = (s) => { const e = document.querySelector(s); return vis(e) ? Math.round(e.getBoundingClientRect().bottom) : null; };
    const th = [...document.querySelectorAll("table.report thead th")].filter(vis);
    // Chart labels: HTML labels that fit their box, SVG text inside the SVG.
    const labels = [...document.querySelectorAll(".chart-reg .hbar-label")].map((e) => ({
      text: e.textContent, cut: e.scrollWidth > e.clientWidth + 1 || e.scrollHeight > e.clientHeight + 1 || /…$/.test(e.textContent),
      px: parseFloat(getComputedStyle(e).fontSize),
    }));
    const svg = document.querySelector(".chart-trend svg");
    const box = svg.getBoundingClientRect();
    const texts = [...svg.querySelectorAll("text")].map((t) => {
      const r = t.getBoundingClientRect();
      return { text: t.textContent, px: parseFloat(getComputedStyle(t).fontSize) * box.width / svg.viewBox.baseVal.width,
        inside: r.left >= box.left - 0.5 && r.right <= box.right + 0.5 && r.top >= box.top - 0.5 && r.bottom <= box.bottom + 0.5, left: r.left, right: r.right, top: r.top };
    });
    // Labels of one row must not overlap.
    const row = texts.filter((t) => /^\d\d\/\d\d$/.test(t.text)).sort((a, b) => a.left - b.left);
    const overlap = row.some((t, i) => i && t.left < row[i - 1].right);
    return {
      viewport: { w: innerWidth, h: innerHeight },
      scrollWidth: document.documentElement.scrollWidth,
      header: document.querySelector(".site-header") !== null,
      kpisBottom: bottom(".kpis"),
      kpis: [...document.querySelectorAll(".kpi")].map((k) => k.textContent),
      firstRowBottom: bottom("table.report tbody tr"),
      firstCardBottom: bottom(".unit-cards li"),
      columns: th.map((t) => t.textContent),
      rows: [...document.querySelectorAll("table.report tbody tr")].map((r) => [...r.cells].filter(vis).map((c) => c.textContent)),
      total: [...document.querySelectorAll("table.report tfoot td")].map((c) => c.textContent),
      cards: [...document.querySelectorAll(".unit-cards li")].filter(vis).map((c) => c.textContent),
      stickyHead: th.length ? getComputedStyle(th[0]).position : null,
      labels,
      texts,
      overlap,
      trendPoints: svg.querySelectorAll("circle").length,
      dataTables: [...document.querySelectorAll(".chart table")].map((t) => t.tBodies[0].rows.length),
      legend: document.querySelector(".report-legend").textContent,
      // What sticks out to the right, if anything (to say why a page scrolls sideways).
      wider: [...document.querySelectorAll("body *")].filter((e) => e.getBoundingClientRect().right > width + 1 && !e.closest(".table-wrap, .visually-hidden"))
        .slice(0, 5).map((e) => e.tagName + "." + e.className + " " + Math.round(e.getBoundingClientRect().right)),
    };
  }, width);
}

run(async () => {
  const [url, token, artifacts] = process.argv.slice(2);
  fs.mkdirSync(artifacts, { recursive: true });
  const b = await browser();
  try {
    const problems = [];
    const watch = (page) => {
      page.on("pageerror", (e) => problems.push(String(e)));
      page.on("console", (m) => { if (/Content Security Policy|Refused to/i.test(m.text())) problems.push(m.text()); });
    };
    // ---- 1280×800 -------------------------------------------------------------------------
    const ctx = await b.newContext({ viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1, acceptDownloads: true, locale: "vi-VN", timezoneId: "Asia/Ho_Chi_Minh" });
    const page = await ctx.newPage();
    watch(page);
    await page.goto(url + "/quan-tri/");
    const loginPage = { text: await page.textContent("main"), header: await page.locator(".site-header").count(), axe: await axe(page) };
    await page.screenshot({ path: path.join(artifacts, "dashboard-login.png") });
    await page.fill("#a-token", token);
    await page.click(".admin-login button");
    await page.waitForSelector("table.report tbody tr");
    await page.waitForSelector(".chart-trend svg");
    const wide = await measure(page, 1280);
    wide.crumbs = await page.textContent(".admin-crumbs");
    wide.title = await page.textContent(".admin-title");
    wide.axe = await axe(page);
    await page.screenshot({ path: path.join(artifacts, "dashboard-1280.png") });
    await page.screenshot({ path: path.join(artifacts, "dashboard-1280-full.png"), fullPage: true });
    // "Thêm cột" shows the rest; sorting by the registration rate orders the rows.
    await page.click(".more-cols");
    wide.allColumns = await page.evaluate(() => [...document.querySelectorAll("table.report thead th")].filter((t) => getComputedStyle(t).display !== "none").length);
    await page.click(".more-cols");
    await page.click("table.report thead th:nth-child(4) .sort");
    wide.sortedAsc = await page.evaluate(() => ({
      aria: document.querySelector("table.report thead th:nth-child(4)").getAttribute("aria-sort"),
      values: [...document.querySelectorAll("table.report tbody tr td:nth-child(4)")].map((c) => parseFloat(c.textContent.replace(",", "."))),
    }));
    await page.click("table.report thead th:nth-child(4) .sort");
    wide.sortedDesc = await page.evaluate(() => ({
      aria: document.querySelector("table.report thead th:nth-child(4)").getAttribute("aria-sort"),
      values: [...document.querySelectorAll("table.report tbody tr td:nth-child(4)")].map((c) => parseFloat(c.textContent.replace(",", "."))),
    }));
    // The quarter and the year are periods too.
    await page.selectOption(".admin-period select[name=kind]", "year");
    await page.click(".admin-period button");
    await page.waitForFunction(() => document.querySelector(".admin-title").textContent.includes("năm"));
    wide.yearTitle = await page.textContent(".admin-title");
    await page.selectOption(".admin-period select[name=kind]", "quarter");
    await page.click(".admin-period button");
    await page.waitForFunction(() => document.querySelector(".admin-title").textContent.includes("quý"));
    wide.quarterTitle = await page.textContent(".admin-title");

    // Tokens from the dashboard: one for a child unit, shown once, working at once; revoked,
    // refused at once; both in the log.
    await page.click(".admin-tokens > summary");
    await page.waitForSelector("table.tokens tbody tr");
    const options = await page.$$eval(".token-form select option", (o) => o.map((x) => x.value));
    await page.selectOption(".token-form select", options[1] || options[0]);
    await page.fill(".token-form input[name=holder]", "Nguyễn Văn Thử");
    await page.click(".token-form button");
    await page.waitForSelector(".token-new:not([hidden])");
    const created = (await page.textContent(".token-value")).trim();
    await page.waitForFunction(() => [...document.querySelectorAll("table.tokens tbody tr")].some((tr) => tr.textContent.includes("Nguyễn Văn Thử")));
    const tokensAxe = await axe(page);
    await page.screenshot({ path: path.join(artifacts, "dashboard-tokens.png"), fullPage: true });
    const meWith = (t) => page.evaluate(async (t) => (await fetch("/api/v1/reports/me", { headers: { authorization: "Bearer " + t } })).status, t);
    const before = await meWith(created);
    page.once("dialog", (d) => d.accept());
    await page.click("table.tokens tbody tr:has-text('Nguyễn Văn Thử') button");
    await page.waitForFunction(() => [...document.querySelectorAll("table.tokens tbody tr")].some((tr) => tr.textContent.includes("Nguyễn Văn Thử") && tr.textContent.includes("Đã thu hồi")));
    const after = await meWith(created);
    wide.tokens = { options, created, before, after, axe: tokensAxe, log: await page.textContent(".token-log"),
      rows: await page.locator("table.tokens tbody tr").allTextContents() };
    await ctx.close();

    // ---- a 360×740 phone ----------------------------------------------------------------------
    const pctx = await phone(b, { acceptDownloads: true });
    const pp = await pctx.newPage();
    watch(pp);
    await pp.goto(url + "/quan-tri/");
    await pp.fill("#a-token", token);
    await pp.click(".admin-login button");
    await pp.waitForSelector(".unit-cards li");
    await pp.waitForSelector(".chart-trend svg");
    const narrow = await measure(pp, 360);
    narrow.axe = await axe(pp);
    await pp.screenshot({ path: path.join(artifacts, "dashboard-360.png") });
    await pp.screenshot({ path: path.join(artifacts, "dashboard-360-full.png"), fullPage: true });

    // Down the tree until a cell: its members are listed.
    const before0 = await pp.textContent(".admin-crumbs");
    await pp.click(".unit-cards li:first-child .link-button");
    await pp.waitForFunction((b) => document.querySelector(".admin-crumbs").textContent !== b, before0);
    const level2 = { crumbs: await pp.textContent(".admin-crumbs"), cards: await pp.locator(".unit-cards li").count() };
    for (let depth = 0; depth < 5 && !(await pp.locator(".admin-members:not([hidden]) tbody tr").count()); depth++) {
      const before = await pp.textContent(".admin-crumbs");
      if (!(await pp.locator(".unit-cards li:first-child .link-button").count())) break;
      await pp.click(".unit-cards li:first-child .link-button");
      await pp.waitForFunction((b) => document.querySelector(".admin-crumbs").textContent !== b, before);
      await pp.waitForTimeout(300);
    }
    await pp.waitForSelector(".admin-members:not([hidden]) tbody tr");
    const cell = {
      crumbs: await pp.textContent(".admin-crumbs"),
      members: await pp.locator(".admin-members tbody tr").allTextContents(),
      scrollWidth: await pp.evaluate(() => document.documentElement.scrollWidth),
    };
    await pp.screenshot({ path: path.join(artifacts, "dashboard-cell.png"), fullPage: true });
    const [download] = await Promise.all([pp.waitForEvent("download"), pp.click("[data-export=csv]")]);
    const file = path.join(artifacts, download.suggestedFilename());
    await download.saveAs(file);
    const csv = fs.readFileSync(file, "utf8");
    return { loginPage, wide, narrow, level2, cell, csv, problems };
  } finally {
    await b.close();
  }
});
