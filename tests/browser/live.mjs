// Live reload in Chromium against `sotay serve`: edit a file, the open page reloads with the
// change at the same scroll position, while another open page that does not show the change
// stays as it is; an error shows an overlay; fixing it removes it.
// Usage: node live.mjs SERVER_URL DOC_PATH_ON_DISK DOC_URL OTHER_URL
import fs from "node:fs";
import { browser, run } from "./lib.mjs";

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

run(async () => {
  const [url, file, docUrl, otherUrl] = process.argv.slice(2);
  const b = await browser();
  try {
    const other = await b.newPage({ viewport: { width: 412, height: 700 } });
    await other.goto(url + otherUrl);
    await other.waitForFunction(() => !!document.querySelector("script[src='/__sotay/live.js']"));
    await other.evaluate(() => { window.__notReloaded = true; });
    const page = await b.newPage({ viewport: { width: 412, height: 700 } });
    await page.goto(url + docUrl);
    await page.waitForFunction(() => !!document.querySelector("script[src='/__sotay/live.js']"));
    await sleep(500);
    await page.evaluate(() => window.scrollTo(0, 400));
    await sleep(200);
    const before = await page.evaluate(() => window.scrollY);
    const original = fs.readFileSync(file, "utf8");
    const t0 = Date.now();
    const nav = page.waitForEvent("load", { timeout: 15000 });
    fs.writeFileSync(file, original + "\nĐoạn mới sửa trong lúc xem.\n");
    await nav;
    await page.waitForFunction(() => document.body.textContent.includes("Đoạn mới sửa trong lúc xem."), null, { timeout: 15000 });
    const reloadMs = Date.now() - t0;
    await sleep(300);
    const after = await page.evaluate(() => window.scrollY);
    await sleep(1000); // the rest of the rebuild ("built") has arrived by now
    const otherKept = await other.evaluate(() => window.__notReloaded === true);

    fs.writeFileSync(file, original.replace("title:", "titel:"));
    await page.waitForSelector(".sotay-error-overlay", { timeout: 15000 });
    const overlay = await page.textContent(".sotay-error-overlay");
    const stillThere = await page.evaluate(() => document.body.textContent.includes("Đoạn mới sửa trong lúc xem."));

    const nav2 = page.waitForEvent("load", { timeout: 15000 });
    fs.writeFileSync(file, original);
    await nav2;
    await sleep(300);
    const overlayGone = (await page.locator(".sotay-error-overlay").count()) === 0;
    const reverted = await page.evaluate(() => !document.body.textContent.includes("Đoạn mới sửa trong lúc xem."));
    return { before, after, reloadMs, otherKept, overlay, stillThere, overlayGone, reverted };
  } finally {
    await b.close();
  }
});
