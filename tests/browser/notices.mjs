// Notices from committees on a phone, in Chromium against the real server: a member's phone
// is open on the home page; a notice is posted (with `sotay notice post`); opening the handbook
// again shows it with an unread badge (and asking again gets 304: nothing re-sent); the phone
// goes offline and the notice still opens from what was kept, its body shown as text; reading
// it offline is queued and reaches the server once the phone is back online (counted once,
// however often it is opened); the member's reply reaches the committee; a withdrawn notice
// leaves the phone. Another cell's member never gets the cell's notice. The committee's page
// (/quan-tri/thong-bao/) shows the notice's reach per unit and the reply, refuses a bad notice
// in Vietnamese, sends one from its form and withdraws the first.
// Usage: node notices.mjs SERVER_URL SOTAY_BIN DB_URL ADMIN_TOKEN OUT_DIR
import fs from "node:fs";
import path from "node:path";
import { execFileSync } from "node:child_process";
import { browser, offlineReady, run, until, ENGLISH } from "./lib.mjs";


const PEOPLE = {
  thu: { card_number: "30000001", full_name: "Phạm Thị Thu", birth_date: "1968-09-02", unit_code: "CB1" },
  minh: { card_number: "30000004", full_name: "Trần Văn Minh", birth_date: "1985-07-20", unit_code: "CB2" },
};

run(async () => {
  const [url, sotay, db, admin, out] = process.argv.slice(2);
  const b = await browser();
  const problems = [];
  const shots = [];
  const api = (method, p, body) => fetch(url + p, {
    method, headers: { authorization: "Bearer " + admin, "content-type": "application/json" }, body: body ? JSON.stringify(body) : undefined,
  }).then(async (r) => ({ status: r.status, json: r.status === 204 ? null : await r.json() }));
  async function phone(who) {
    const ctx = await b.newContext({ viewport: { width: 360, height: 740 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: "vi-VN" });
    const page = await ctx.newPage();
    const asked = [];
    page.on("pageerror", (e) => problems.push(who + ": " + String(e)));
    page.on("console", (m) => { if (/Content Security Policy|Refused to/i.test(m.text())) problems.push(who + ": " + m.text()); });
    ctx.on("response", (r) => { if (new URL(r.url()).pathname === "/api/v1/notices") asked.push(r.status()); });
    await page.goto(url + "/");
    await offlineReady(page, who + "'s handbook saved");
    await page.evaluate((p) => window.SotayOutbox.register(p).then(() => window.SotayApp.flush()), PEOPLE[who]);
    await until(who + " registered", () => page.evaluate(() => window.SotayOutbox.get("member")));
    return { ctx, page, asked };
  }
  async function shot(page, name) {
    const file = path.join(out, name + ".png");
    await page.screenshot({ path: file });
    shots.push(file);
  }
  const badge = (page) => page.evaluate(() => {
    const a = document.querySelector("[data-notices]");
    const c = a && a.querySelector(".notice-count");
    return { shown: !!a && !a.hidden, count: c && !c.hidden ? c.textContent : "", label: a ? a.getAttribute("aria-label") : "" };
  });

  try {
    const thu = await phone("thu");
    const minh = await phone("minh");
    await thu.page.goto(url + "/");
    const before = await until("the badge, empty", async () => { const x = await badge(thu.page); return x.shown ? x : null; });

    // What the phones ask in the background (the service worker's refresh after registering)
    // is over before the post: what comes after it is counted from here.
    let seen = -1;
    await until("the phone's questions answered", async () => {
      const settled = thu.asked.length === seen;
      seen = thu.asked.length;
      await new Promise((r) => setTimeout(r, 700));
      return settled;
    });
    const asked0 = thu.asked.length;
    // The committee posts while the phone is online (the command line, as a script would).
    const bodyFile = path.join(out, "notice.txt");
    const body = "Kính gửi các đồng chí đảng viên Chi bộ thôn Đông,\n\nChi bộ sinh hoạt bất thường lúc 19:30 thứ Năm tại <b>Nhà văn hóa</b> <script>alert(1)</script>.\nĐọc trước Điều lệ Đảng: /dieu-le/ và http://evil.example/x.";
    fs.writeFileSync(bodyFile, body);
    const posted = JSON.parse(execFileSync(sotay, ["notice", "post", "--unit", "CB1", "--title", "Họp chi bộ bất thường", "--body-file", bodyFile, "--db", db], { encoding: "utf8" }));
    // One for the other cell, which Thu's phone must never get.
    const other = await api("POST", "/api/v1/notices", { title: "Chỉ cho thôn Tây", body: "Nội dung riêng", unit: "CB2" });

    // Opening the handbook online: the notice arrives, unread.
    await thu.page.reload();
    const online = await until("the unread badge", async () => { const x = await badge(thu.page); return x.count === "1" ? x : null; });
    await shot(thu.page, "notices-home-unread-360");
    // Asking again when nothing changed: 304, nothing re-sent.
    await thu.page.reload();
    await until("asked again", () => thu.asked.length >= asked0 + 2);
    await until("the badge again", async () => (await badge(thu.page)).count === "1");
    const statuses = thu.asked.slice(asked0);

    // Offline: the list and the notice open from what the phone kept.
    await thu.ctx.setOffline(true);
    await thu.page.goto(url + "/thong-bao/");
    await thu.page.waitForSelector(".notice-item a");
    const list = await thu.page.$$eval(".notice-item", (lis) => lis.map((li) => li.innerText.replace(/\s+/g, " ").trim()));
    await shot(thu.page, "notices-list-offline-360");
    await thu.page.click(".notice-item a");
    await thu.page.waitForSelector(".notice-body p");
    const view = await thu.page.evaluate(() => ({
      title: document.querySelector(".notice-title").textContent,
      meta: document.querySelector(".notice-view .meta").textContent,
      text: document.querySelector(".notice-body").innerText,
      lines: document.querySelectorAll(".notice-body p").length,
      elements: Array.from(document.querySelectorAll(".notice-body *")).map((e) => e.tagName.toLowerCase()),
      links: Array.from(document.querySelectorAll(".notice-body a")).map((a) => a.getAttribute("href")),
      url: location.pathname + location.search,
      page: document.querySelector("main").innerText,
    }));
    await shot(thu.page, "notices-open-offline-360");
    await until("the read queued", () => thu.page.evaluate(async () => (await window.SotayOutbox.count()) === 1));
    // Opened again (a reload, offline): not queued a second time.
    await thu.page.reload();
    await thu.page.waitForSelector(".notice-body p");
    const queuedOffline = await thu.page.evaluate(() => window.SotayOutbox.count());
    await thu.page.goto(url + "/");
    const offlineBadge = await until("the badge read", async () => { const x = await badge(thu.page); return x.shown && x.count === "" ? x : null; });
    const serverOffline = (await api("GET", "/api/v1/reports/notices?unit=CB1")).json.notices.find((n) => n.id === posted.id);

    // Back online: the read reaches the server, once.
    await thu.ctx.setOffline(false);
    await thu.page.evaluate(() => window.dispatchEvent(new Event("online")));
    await until("the outbox sent", () => thu.page.evaluate(async () => (await window.SotayApp.flush(), (await window.SotayOutbox.count()) === 0)));
    await thu.page.goto(url + "/thong-bao/?id=" + posted.id);
    await thu.page.waitForSelector(".notice-body p");
    await thu.page.evaluate(() => window.SotayApp.flush());
    const serverOnline = (await api("GET", "/api/v1/reports/notices?unit=CB1")).json.notices.find((n) => n.id === posted.id);

    // A reply ("góp ý"), beside the notice for the committee.
    await thu.page.fill(".notice-reply textarea", "Đề nghị chi bộ chuẩn bị thêm ghế.");
    await thu.page.click(".notice-reply button[type=submit]");
    await until("reply status", async () => /Đã gửi góp ý|Đã lưu góp ý/.test(await thu.page.textContent(".notice-reply-status")));
    await until("reply sent", () => thu.page.evaluate(async () => (await window.SotayApp.flush(), (await window.SotayOutbox.count()) === 0)));
    const replies = (await api("GET", "/api/v1/reports/feedback?notice=" + posted.id)).json.feedback;

    // The other cell's member: only their own cell's notice.
    await minh.page.goto(url + "/thong-bao/");
    const minhList = await until("Minh's list", async () => {
      const t = await minh.page.$$eval(".notice-item a", (as) => as.map((a) => a.textContent));
      return t.length ? t : null;
    });

    // The committee's page: the notice with its reach per unit and the reply beside it; a bad
    // notice refused in Vietnamese; a new one sent from the form; the first one withdrawn.
    const desk = await b.newContext({ viewport: { width: 1280, height: 800 }, locale: "vi-VN" });
    const admin1 = await desk.newPage();
    admin1.on("pageerror", (e) => problems.push("admin: " + String(e)));
    admin1.on("console", (m) => { if (/Content Security Policy|Refused to/i.test(m.text())) problems.push("admin: " + m.text()); });
    admin1.on("dialog", (d) => d.accept());
    await admin1.goto(url + "/quan-tri/");
    const fromDashboard = await admin1.getAttribute(".admin-notices-link a", "href");
    await admin1.goto(url + fromDashboard);
    await admin1.fill("#n-token", admin);
    await admin1.click(".notices-login button[type=submit]");
    const cardSel = `.notice-card[data-id="${posted.id}"]`;
    await admin1.waitForSelector(cardSel);
    const card = await admin1.$eval(cardSel, (c) => ({
      reach: c.querySelector(".notice-reach").textContent,
      rows: Array.from(c.querySelectorAll("tbody tr")).map((tr) => Array.from(tr.cells).map((td) => td.textContent)),
      text: c.querySelector(".notice-text").textContent,
      state: c.querySelector(".notice-state").textContent,
      html: c.querySelector(".notice-text").children.length,
    }));
    await admin1.click(cardSel + " .notice-show-replies");
    const replyShown = await until("the reply beside the notice", async () => {
      const t = await admin1.$eval(cardSel, (c) => { const u = c.querySelector(".notice-replies"); return u ? u.innerText : ""; });
      return t || null;
    });
    const units = await admin1.$$eval("select[name=unit] option", (os) => os.map((o) => o.value));
    await shot(admin1, "notices-dashboard-1280");
    await admin1.selectOption("select[name=unit]", "TU");
    await admin1.fill("#n-title", "   ");
    await admin1.fill("#n-body", "Nội dung");
    await admin1.click(".notice-form button[type=submit]");
    const refused = await until("the refusal", async () => {
      const t = await admin1.textContent(".notice-form-status");
      return /Cần tiêu đề/.test(t) ? t : null;
    });
    await admin1.fill("#n-title", "Lịch họp tháng");
    await admin1.fill("#n-body", "Các chi bộ sinh hoạt trước ngày 10.\nXem /sinh-hoat-chi-bo/");
    await admin1.click(".notice-form button[type=submit]");
    const sent = await until("sent from the form", async () => {
      const t = await admin1.textContent(".notice-form-status");
      return /Đã gửi thông báo/.test(t) ? t : null;
    });
    const titlesOnDesk = await until("the new notice listed", async () => {
      const t = await admin1.$$eval(".notice-card h3", (hs) => hs.map((h) => h.textContent));
      return t[0] === "Lịch họp tháng" ? t : null;
    });
    await admin1.click(cardSel + " .notice-withdraw");
    await until("withdrawn on the dashboard", async () => /Đã thu hồi/.test(await admin1.$eval(cardSel, (c) => c.querySelector(".notice-state").textContent)));
    // The same page on a phone's width.
    await admin1.setViewportSize({ width: 360, height: 740 });
    await shot(admin1, "notices-dashboard-360");
    const dashWide = await admin1.evaluate(() => document.documentElement.scrollWidth);
    const dashText = await admin1.evaluate(() => document.querySelector("main").innerText);

    // On the phone: the withdrawn one is gone, the new one arrived.
    await thu.page.goto(url + "/thong-bao/");
    const afterWithdraw = await until("the list after the withdrawal", async () => {
      const t = await thu.page.$$eval(".notice-item a", (as) => as.map((a) => a.textContent));
      return t.length === 1 && t[0] === "Lịch họp tháng" ? t : null;
    });

    return {
      problems, shots, posted, otherStatus: other.status, before, online, statuses, list, view, queuedOffline,
      offlineBadge, serverOffline, serverOnline, replies, minhList, afterWithdraw,
      card, replyShown, units, refused, sent, titlesOnDesk, dashWide,
      english: ENGLISH.test(view.page) ? view.page.match(ENGLISH)[0] : null,
      dashEnglish: ENGLISH.test(dashText) ? dashText.match(ENGLISH)[0] : null,
    };
  } finally {
    await b.close();
  }
});
