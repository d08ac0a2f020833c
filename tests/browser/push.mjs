// Web Push for notices on the phone's side, in Chromium against the real server started with
// --push-contact: the notices page offers to turn notifications on (the server publishes its
// VAPID key); a push message for a new notice, delivered to the service worker through the
// DevTools protocol (no push service is reachable from the test machines), shows a
// notification with the notice's title and committee and keeps the notice on the phone; the
// phone goes offline and tapping the notification opens the notice from what was kept. A push
// that is not JSON still shows a (generic) notification.
// Usage: node push.mjs SERVER_URL SOTAY_BIN DB_URL OUT_DIR
import fs from "node:fs";
import path from "node:path";
import { execFileSync } from "node:child_process";
import { browser, offlineReady, run, until, ENGLISH } from "./lib.mjs";


const THU = { card_number: "30000001", full_name: "Phạm Thị Thu", birth_date: "1968-09-02", unit_code: "CB1" };

run(async () => {
  const [url, sotay, db, out] = process.argv.slice(2);
  const b = await browser();
  const problems = [];
  const result = { problems };
  try {
    const ctx = await b.newContext({ viewport: { width: 360, height: 740 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: "vi-VN" });
    await ctx.grantPermissions(["notifications"], { origin: url });
    const page = await ctx.newPage();
    page.on("pageerror", (e) => problems.push(String(e)));
    page.on("console", (m) => { if (/Content Security Policy|Refused to/i.test(m.text())) problems.push(m.text()); });
    const puts = [];
    ctx.on("request", (r) => { if (new URL(r.url()).pathname === "/api/v1/push/subscription") puts.push(r.method()); });
    await page.goto(url + "/");
    await offlineReady(page);
    await page.evaluate((p) => window.SotayOutbox.register(p).then(() => window.SotayApp.flush()), THU);
    await until("registered", () => page.evaluate(() => window.SotayOutbox.get("member")));

    // The notices page offers notifications: the server has push on, the phone can.
    await page.goto(url + "/thong-bao/");
    const box = await until("the push box", () => page.evaluate(() => {
      const b = document.querySelector("[data-push]");
      return b && !b.hidden && b.getAttribute("data-state") !== "asking"
        ? { state: b.getAttribute("data-state"), text: b.innerText.replace(/\s+/g, " ").trim() } : null;
    }));
    result.offer = box;
    await page.screenshot({ path: path.join(out, "push-offer-360.png") });
    // Turning them on: Chromium subscribes through its push service (Google's, unreachable
    // here, so the subscription fails) — the page must say so in Vietnamese, not break.
    await page.click("[data-push] button");
    result.afterClick = await until("the answer to the click", () => page.evaluate(() => {
      const b = document.querySelector("[data-push]");
      const t = b.querySelector(".notice-push-status");
      return t && /Đã bật|Chưa bật/.test(t.textContent)
        ? { state: b.getAttribute("data-state"), text: t.textContent, error: b.getAttribute("data-error") } : null;
    }), 60000);
    result.puts = puts.slice();
    // A request the phone queued that the server answers 204 (no body) is answered, not sent
    // again and again: stopping notifications for an endpoint the server does not know.
    result.noContent = await page.evaluate(async () => {
      const key = await window.SotayOutbox.request("DELETE", "api/v1/push/subscription",
        { endpoint: "https://push.example.invalid/khong-co" });
      await window.SotayOutbox.flush();
      return { answer: await window.SotayOutbox.get(`answer:${key}`), waiting: (await window.SotayOutbox.pendingRequest(key)) || null };
    });

    // A committee posts a notice; its push arrives while the phone is on the home page.
    const bodyFile = path.join(out, "push-notice.txt");
    fs.writeFileSync(bodyFile, "Chi bộ sinh hoạt bất thường lúc 19:30 thứ Năm tại Nhà văn hóa.");
    const posted = JSON.parse(execFileSync(sotay, ["notice", "post", "--unit", "CB1", "--title", "Họp chi bộ bất thường", "--body-file", bodyFile, "--db", db], { encoding: "utf8" }));
    await page.goto(url + "/");
    await page.waitForSelector("[data-notices]");
    const cdp = await ctx.newCDPSession(page);
    const regs = [];
    cdp.on("ServiceWorker.workerRegistrationUpdated", (e) => regs.push(...e.registrations));
    await cdp.send("ServiceWorker.enable");
    const reg = await until("the registration id", () => regs.find((r) => r.scopeURL === url + "/" && !r.isDeleted));
    // The home page asked when it opened (before the push, the notice already there): forget
    // what the phone kept so that only the push can bring the notice back.
    await page.evaluate(() => window.SotayOutbox.del("notices"));
    const message = { notice: posted.id, title: posted.title, unit: posted.unit.name };
    const notifications = () => page.evaluate(async () => {
      const r = await navigator.serviceWorker.getRegistration();
      const ns = await r.getNotifications();
      return ns.length ? ns.map((n) => ({ title: n.title, body: n.body, url: n.data && n.data.url, tag: n.tag, icon: n.icon })) : null;
    });
    // A push service delivers again what was not acknowledged; DevTools' delivery to a worker
    // that is still starting (or was stopped while idle) can be dropped on a saturated machine: a
    // second delivery (the same message, the same tag: one notification) stands for that. Every
    // push of this test goes through here.
    result.deliveries = 0;
    const push = async (label, data) => {
      for (const wait of [15000, 30000]) {
        result.deliveries += 1;
        await cdp.send("ServiceWorker.deliverPushMessage", { origin: url, registrationId: reg.registrationId, data });
        const got = await until(label, notifications, wait).catch(() => null);
        if (got) return got;
      }
      throw new Error(`no ${label} after two push deliveries`);
    };
    const shown = await push("notification", JSON.stringify(message));
    result.shown = shown;
    // The service worker kept the notice: it is on the phone without the page asking.
    result.kept = await until("the notice kept by the service worker", () => page.evaluate((id) =>
      window.SotayOutbox.get("notices").then((k) => k && (k.list || []).some((n) => n.id === id) ? k.list.map((n) => n.title) : null), posted.id));
    result.badge = await until("the badge", () => page.evaluate(() => {
      const c = document.querySelector("[data-notices] .notice-count");
      return c && !c.hidden ? c.textContent : null;
    }));

    // Offline, the member taps the notification: the notice opens from what was kept.
    await ctx.setOffline(true);
    const sw = ctx.serviceWorkers()[0];
    if (!sw) throw new Error("no service worker to tap the notification in");
    await sw.evaluate(async () => {
      // No notification UI in headless Chromium: the tap is the event the browser would send,
      // with the notification the worker showed.
      const [n] = await self.registration.getNotifications();
      self.dispatchEvent(new NotificationEvent("notificationclick", { notification: n }));
    });
    await page.waitForURL((u) => u.pathname === "/thong-bao/" && u.searchParams.get("id") === posted.id, { timeout: 30000 });
    await page.waitForSelector(".notice-body p");
    result.opened = await page.evaluate(() => ({
      url: location.pathname + location.search,
      title: document.querySelector(".notice-title").textContent,
      text: document.querySelector(".notice-body").innerText,
    }));
    result.closed = await page.evaluate(async () => (await (await navigator.serviceWorker.getRegistration()).getNotifications()).length);
    await page.screenshot({ path: path.join(out, "push-opened-offline-360.png") });
    await ctx.setOffline(false);

    // A push that is not JSON: a generic notification, nothing breaks.
    result.generic = (await push("generic notification", "không phải JSON")).map((n) => ({ title: n.title, body: n.body }));
    // JSON that is not an object (`null`): the same generic notification.
    await page.evaluate(async () => {
      for (const n of await (await navigator.serviceWorker.getRegistration()).getNotifications()) n.close();
    });
    result.genericNull = (await push("notification of a null push", "null")).map((n) => ({ title: n.title, body: n.body }));
    const texts = [box.text, result.afterClick.text, ...shown.map((n) => n.title + " " + n.body), ...result.generic.map((n) => n.title + " " + n.body)].join(" ");
    result.english = (texts.match(ENGLISH) || [null])[0];
    result.posted = posted;
  } finally {
    await b.close();
  }
  return result;
});
