// The phone's outbox in Chromium against the real server: register and read while offline,
// come back online, and everything arrives once. Usage: node outbox.mjs SERVER_URL
import { browser, offlineReady, run, sleep, until } from "./lib.mjs";


run(async () => {
  const [url] = process.argv.slice(2);
  const b = await browser();
  try {
    const ctx = await b.newContext();
    const page = await ctx.newPage();
    const problems = [];
    page.on("pageerror", (e) => problems.push(String(e)));
    page.on("console", (m) => { if (/Content Security Policy|Refused to/i.test(m.text())) problems.push(m.text()); });
    await page.goto(url + "/");
    await offlineReady(page);

    await ctx.setOffline(true);
    await page.goto(url + "/dang-ky/");
    await page.fill("#r-card", "30000001");
    await page.fill("#r-name", "Phạm Thị Thu");
    await page.fill("#r-birth", "1968-09-02");
    await page.fill("#r-unit", "CB1");
    await page.click("form.register button");
    await page.waitForFunction(() => /lưu trên máy/.test(document.querySelector(".register-status").textContent));
    const registerStatus = await page.textContent(".register-status");

    const docs = ["/dieu-le/dieu-le-mau/", "/hoi-dap/khen-thuong/", "/huong-dan/hd-01-to-chuc-sinh-hoat-chi-bo/"];
    for (const d of docs) {
      await page.goto(url + d);
      await page.waitForFunction(() => window.SotayOutbox);
    }
    // Read the last one to the end.
    await sleep(3500);
    await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
    await until("read event queued", () => page.evaluate(async () => {
      const all = await new Promise((res) => { const r = indexedDB.open("sotay"); r.onsuccess = () => { const t = r.result.transaction("outbox").objectStore("outbox").getAll(); t.onsuccess = () => res(t.result); }; });
      return all.some((e) => e.type === "read");
    }));
    const queued = await page.evaluate(async () => {
      const all = await new Promise((res) => { const r = indexedDB.open("sotay"); r.onsuccess = () => { const t = r.result.transaction("outbox").objectStore("outbox").getAll(); t.onsuccess = () => res(t.result); }; });
      return all.map((e) => ({ id: e.id, type: e.type, doc: e.doc }));
    });
    const pendingOffline = await page.evaluate(() => window.SotayOutbox.count());

    await ctx.setOffline(false);
    await page.evaluate(() => window.dispatchEvent(new Event("online")));
    await until("outbox empty and registered", () => page.evaluate(async () => (await window.SotayOutbox.count()) === 0 && !!(await window.SotayOutbox.get("member"))));
    const member = await page.evaluate(() => window.SotayOutbox.get("member"));
    // Another flush (page load, the periodic timer, Background Sync) sends nothing again.
    await page.goto(url + "/");
    await page.evaluate(() => window.SotayApp.flush());
    const pendingAfter = await page.evaluate(() => window.SotayOutbox.count());
    const line = await page.textContent(".member-line");
    return { registerStatus, queued, pendingOffline, pendingAfter, member, line, problems };
  } finally {
    await b.close();
  }
});
