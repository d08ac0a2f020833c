// The committee's dashboard in Chromium, on a phone-sized screen: log in with an admin token,
// see the table and targets, drill down to a cell and its members, export CSV, and keep a
// screenshot. Usage: node dashboard.mjs SERVER_URL ADMIN_TOKEN ARTIFACT_DIR
import fs from "node:fs";
import path from "node:path";
import { browser, run } from "./lib.mjs";

run(async () => {
  const [url, token, artifacts] = process.argv.slice(2);
  const b = await browser();
  try {
    const ctx = await b.newContext({ viewport: { width: 412, height: 915 }, deviceScaleFactor: 1, acceptDownloads: true });
    const page = await ctx.newPage();
    const problems = [];
    page.on("pageerror", (e) => problems.push(String(e)));
    page.on("console", (m) => { if (/Content Security Policy|Refused to/i.test(m.text())) problems.push(m.text()); });
    await page.goto(url + "/quan-tri/");
    await page.fill("#a-token", token);
    await page.click(".admin-login button");
    await page.waitForSelector("table.report tbody tr");
    const top = {
      crumbs: await page.textContent(".admin-crumbs"),
      rows: await page.locator("table.report tbody tr").count(),
      targets: await page.textContent(".admin-targets"),
      bars: await page.locator(".chart-reg rect").count(),
      trendPoints: await page.locator(".chart-trend circle").count(),
      total: await page.locator("table.report tfoot td").allTextContents(),
    };
    fs.mkdirSync(artifacts, { recursive: true });
    await page.screenshot({ path: path.join(artifacts, "dashboard.png"), fullPage: true });

    await page.click("table.report tbody tr:first-child .link-button");
    await page.waitForFunction(() => document.querySelector(".admin-crumbs").textContent.includes("›"));
    const level2 = { crumbs: await page.textContent(".admin-crumbs"), rows: await page.locator("table.report tbody tr").count() };
    // Down the tree until a cell: its members are listed.
    for (let depth = 0; depth < 5 && !(await page.locator(".admin-members:not([hidden]) tbody tr").count()); depth++) {
      const before = await page.textContent(".admin-crumbs");
      await page.click("table.report tbody tr:first-child .link-button");
      await page.waitForFunction((b) => document.querySelector(".admin-crumbs").textContent !== b, before);
      await page.waitForTimeout(300);
    }
    await page.waitForSelector(".admin-members:not([hidden]) tbody tr");
    const cell = {
      crumbs: await page.textContent(".admin-crumbs"),
      members: await page.locator(".admin-members tbody tr").allTextContents(),
    };
    await page.screenshot({ path: path.join(artifacts, "dashboard-cell.png"), fullPage: true });
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("[data-export=csv]")]);
    const file = path.join(artifacts, download.suggestedFilename());
    await download.saveAs(file);
    const csv = fs.readFileSync(file, "utf8");
    return { top, level2, cell, csv, problems };
  } finally {
    await b.close();
  }
});
