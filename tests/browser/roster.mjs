// The member database page in Chromium: log in with an admin token, the data-quality table,
// drill down to the unit given, upload a file with an error (its problems at their cells),
// then the good file: preview, "Áp dụng", the change log; screenshots at 1280×800 and 360×740,
// and axe-core's serious and critical findings at both widths for each screen.
// Usage: node roster.mjs SERVER_URL ADMIN_TOKEN UNIT_PATH BAD_FILE GOOD_FILE ARTIFACT_DIR
// (UNIT_PATH: the codes from below the root down to the unit to update, comma-separated).
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { browser, run } from "./lib.mjs";

const require = createRequire(import.meta.url);
const AXE = fs.readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

/** axe-core's serious and critical violations on the page as it is now. */
async function axe(page) {
  await page.evaluate(AXE);
  return page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ["violations"] });
    return r.violations.filter((v) => v.impact === "serious" || v.impact === "critical")
      .map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 5).map((n) => n.target.join(" ")) }));
  });
}

run(async () => {
  const [url, token, unitPath, bad, good, artifacts] = process.argv.slice(2);
  fs.mkdirSync(artifacts, { recursive: true });
  const b = await browser();
  try {
    const ctx = await b.newContext({ viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1, acceptDownloads: true });
    const page = await ctx.newPage();
    const problems = [];
    page.on("pageerror", (e) => problems.push(String(e)));
    page.on("console", (m) => { if (/Content Security Policy|Refused to/i.test(m.text())) problems.push(m.text()); });
    const wide = {};
    const access = {};
    const shot = async (name) => {
      // The offline download's notice comes and goes over the page: not in the pictures.
      await page.waitForSelector(".app-status", { state: "hidden", timeout: 15000 }).catch(() => {});
      await page.screenshot({ path: path.join(artifacts, `${name}.png`), fullPage: true });
      access[name] = await axe(page);
      await page.setViewportSize({ width: 360, height: 740 });
      wide[name] = await page.evaluate(() => [...document.querySelectorAll("body *")].filter((e) => e.getBoundingClientRect().right > 362 && !e.closest(".table-wrap, .site-nav")).slice(0, 8).map((e) => e.tagName + "." + e.className + ":" + Math.round(e.getBoundingClientRect().right)));
      await page.screenshot({ path: path.join(artifacts, `${name}-360.png`), fullPage: true });
      access[`${name}-360`] = await axe(page);
      await page.setViewportSize({ width: 1280, height: 800 });
    };
    await page.goto(url + "/quan-tri/danh-sach/");
    await page.fill("#r-token", token);
    await page.click(".roster-login button");
    await page.waitForSelector("table.quality tbody tr");
    const top = {
      crumbs: await page.textContent(".roster-crumbs"),
      summary: await page.textContent(".roster-summary"),
      head: await page.locator("table.quality thead th").allTextContents(),
      rows: await page.locator("table.quality tbody tr").count(),
      total: await page.locator("table.quality tfoot td").allTextContents(),
    };
    await shot("roster-quality");

    // Down to the unit whose roster is uploaded (each table says which unit it shows).
    const codes = unitPath.split(",");
    for (const code of codes) {
      await page.click(`table.quality tbody tr[data-unit="${code}"] .link-button`);
      await page.waitForSelector(`table.quality[data-unit="${code}"] tbody tr`);
    }
    const unit = { crumbs: await page.textContent(".roster-crumbs"), rows: await page.locator("table.quality tbody tr").count() };
    // One more level: a cell and its members.
    const first = await page.locator("table.quality tbody tr .link-button").first();
    const cellName = await first.textContent();
    await first.click();
    await page.waitForSelector(".roster-cell:not([hidden]) table.cell-members tbody tr");
    const cell = {
      name: cellName,
      members: await page.locator("table.cell-members tbody tr").count(),
      text: await page.textContent("table.cell-members tbody"),
    };
    await shot("roster-cell");
    // Back up to the unit.
    const crumbButtons = page.locator(".roster-crumbs .link-button");
    await crumbButtons.nth((await crumbButtons.count()) - 1).click();
    await page.waitForSelector(`table.quality[data-unit="${codes[codes.length - 1]}"]`);
    await page.waitForSelector(".roster-cell", { state: "hidden" });

    await page.click("#tab-update");
    const updateUnit = await page.textContent(".update-unit");
    const noFile = await page.textContent(".file-name");
    // A file with errors: the problems at their cells, nothing to apply.
    await page.setInputFiles("#r-file", bad);
    const chosen = await page.textContent(".file-name");
    await page.click(".roster-upload button[type=submit]");
    await page.waitForSelector(".result-status.bad");
    const refused = {
      status: await page.textContent(".result-status"),
      places: await page.locator("table.problems-table td.place").allTextContents(),
      messages: await page.locator("table.problems-table tbody td:nth-child(3)").allTextContents(),
      previewHidden: await page.locator(".preview").isHidden(),
    };
    await shot("roster-refused");
    // The good file: preview, then "Áp dụng".
    await page.setInputFiles("#r-file", good);
    await page.click(".roster-upload button[type=submit]");
    await page.waitForSelector(".preview:not([hidden])");
    const counts = {};
    for (const li of await page.locator(".preview-counts li").all()) {
      counts[await li.getAttribute("data-count")] = Number(await li.locator("strong").textContent());
    }
    await page.click(".preview-lists details[data-list=moved] summary");
    const preview = {
      status: await page.textContent(".result-status"),
      counts,
      moved: await page.textContent(".preview-lists details[data-list=moved]"),
      lists: await page.locator(".preview-lists details").evaluateAll((ds) => ds.map((d) => d.getAttribute("data-list"))),
    };
    await shot("roster-preview");
    await page.click(".roster-apply");
    await page.waitForFunction(() => /Đã cập nhật danh sách/.test(document.querySelector(".result-status").textContent));
    const applied = { status: await page.textContent(".result-status"), applyHidden: await page.locator(".roster-apply").isHidden() };
    await page.click("#tab-history");
    await page.waitForSelector("table.history tbody tr td:nth-child(2)");
    const history = await page.locator("table.history tbody tr").first().locator("td").allTextContents();
    await shot("roster-history");
    const [download] = await Promise.all([page.waitForEvent("download"), page.locator("table.history tbody tr").first().locator(".link-button").click()]);
    const before = path.join(artifacts, download.suggestedFilename());
    await download.saveAs(before);
    return { top, unit, cell, updateUnit, noFile, chosen, refused, preview, applied, history, before, problems, wide, access };
  } finally {
    await b.close();
  }
});
