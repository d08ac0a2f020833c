// A cell meeting end to end in Chromium against the real server: the secretary schedules it
// (and gets the .ics), a member marks the material read, the secretary goes offline, runs the
// meeting with the attendance list and records it; back online it reaches the server once; a
// member of the cell sees the schedule and then the record, a member of another cell neither.
// Then the printed packet is printed to PDF, and the committee's dashboard shows the meeting.
// Usage: node meeting.mjs SERVER_URL MONTH OUT_DIR ADMIN_TOKEN
import fs from "node:fs";
import path from "node:path";
import { browser, offlineReady, run, sleep, until } from "./lib.mjs";


const PEOPLE = {
  thu: { card_number: "30000001", full_name: "Phạm Thị Thu", birth_date: "1968-09-02", unit_code: "CB1" },
  hung: { card_number: "30000002", full_name: "Nguyễn Văn Hùng", birth_date: "1970-01-15", unit_code: "CB1" },
  minh: { card_number: "30000004", full_name: "Trần Văn Minh", birth_date: "1985-07-20", unit_code: "CB2" },
};

run(async () => {
  const [url, month, out, adminToken] = process.argv.slice(2);
  const b = await browser();
  const problems = [];
  const shots = [];
  async function phone(who, viewport) {
    const ctx = await b.newContext({ viewport: viewport || { width: 360, height: 740 }, acceptDownloads: true });
    const page = await ctx.newPage();
    page.on("pageerror", (e) => problems.push(who + ": " + String(e)));
    page.on("console", (m) => { if (/Content Security Policy|Refused to/i.test(m.text())) problems.push(who + ": " + m.text()); });
    await page.goto(url + "/");
    await offlineReady(page, who + "'s handbook saved");
    await page.evaluate((p) => window.SotayOutbox.register(p).then(() => window.SotayApp.flush()), PEOPLE[who]);
    await until(who + " registered", () => page.evaluate(() => window.SotayOutbox.get("member")));
    return { ctx, page };
  }
  // What a person sees: the screen, scrolled to the meeting's part of the page.
  async function shot(page, name, selector) {
    const file = path.join(out, name + ".png");
    await page.evaluate((sel) => { const e = document.querySelector(sel); if (e) e.scrollIntoView({ block: "start" }); }, selector || "[data-meeting-panel]:not([hidden])");
    await page.screenshot({ path: file });
    shots.push(file);
  }
  const panelText = (page) => page.evaluate(() => Array.from(document.querySelectorAll("[data-meeting-panel]")).map((p) => p.innerText).join("\n"));

  try {
    const catalog = await (await fetch(url + "/catalog.json")).json();
    const docs = catalog.documents.filter((d) => d.meeting === month);
    if (!docs.length) throw new Error("no material for " + month);
    const first = docs[0].url;
    const today = new Date(Date.now() + 7 * 3600 * 1000).toISOString().slice(0, 10);
    const viToday = today.slice(8, 10) + "/" + today.slice(5, 7) + "/" + today.slice(0, 4);

    // The secretary sets the time and place on the month's material.
    const sec = await phone("thu");
    await sec.page.goto(url + first);
    await sec.page.waitForSelector("[data-meeting-panel] [data-act=schedule]");
    await sec.page.click("[data-meeting-panel] [data-act=schedule]");
    await sec.page.fill("[data-meeting-panel] input[name=starts_at]", today + "T19:30");
    await sec.page.fill("[data-meeting-panel] input[name=place]", "Nhà văn hóa thôn Đông");
    await sec.page.click("[data-meeting-panel] form button[type=submit]");
    await until("the schedule shown", async () => /19:30, .*tại Nhà văn hóa thôn Đông/.test(await panelText(sec.page)));
    const scheduled = await panelText(sec.page);
    await shot(sec.page, "meeting-secretary-schedule-360");
    const [download] = await Promise.all([sec.page.waitForEvent("download"), sec.page.click("[data-meeting-panel] [data-act=ics]")]);
    const ics = fs.readFileSync(await download.path(), "utf8");
    const icsName = download.suggestedFilename();

    // A member of the cell sees it on the home page, and marks the material read.
    const hung = await phone("hung");
    await hung.page.goto(url + "/");
    const homeSchedule = await until("the schedule on the home page", async () => {
      const t = await hung.page.evaluate(() => { const e = document.querySelector("[data-meeting-schedule]"); return e && !e.hidden ? e.innerText : ""; });
      return /Nhà văn hóa thôn Đông/.test(t) ? t : null;
    });
    await shot(hung.page, "meeting-member-home-360");
    await hung.page.goto(url + first);
    await hung.page.waitForSelector("[data-meeting-panel] [data-act=read]");
    const memberButtons = await hung.page.$$eval("[data-meeting-panel] button", (bs) => bs.map((x) => x.textContent));
    await hung.page.click("[data-meeting-panel] [data-act=read]");
    await until("read marked", async () => /đã đánh dấu đọc/.test(await panelText(hung.page)));
    await until("read events sent", () => hung.page.evaluate(async () => (await window.SotayApp.flush(), (await window.SotayOutbox.count()) === 0)));

    // The secretary opens the material (the roster is fetched and kept), then loses the network.
    await sec.page.goto(url + first);
    await until("roster kept", () => sec.page.evaluate((m) => window.SotayOutbox.get("roster:" + m).then((r) => r && r.members && r.members.some((x) => x.read)), month));
    await sec.ctx.setOffline(true);
    await sec.page.reload();
    await sec.page.waitForSelector("[data-meeting-panel] [data-act=start]");
    await sec.page.click("[data-meeting-panel] [data-act=start]");
    await sec.page.waitForSelector(".attendance li");
    const offlineNote = await sec.page.textContent(".meeting-offline");
    const agenda = await sec.page.$$eval(".meeting-agenda a", (as) => as.map((a) => ({ title: a.textContent, href: a.getAttribute("href") })));
    const attendance = await sec.page.$$eval(".attendance li", (lis) => lis.map((li) => li.innerText.replace(/\s+/g, " ").trim()));
    // An agenda document opens with no network.
    const agendaPage = await sec.ctx.newPage();
    await agendaPage.goto(url + agenda[agenda.length - 1].href);
    const agendaTitle = await agendaPage.textContent("h1");
    await agendaPage.close();
    const choose = (card, v) => sec.page.check(`.attendance li[data-card="${card}"] input[value="${v}"]`);
    await choose("30000001", "p");
    await choose("30000002", "p");
    await choose("30000003", "e");
    const tally = await sec.page.textContent(".meeting-count");
    await shot(sec.page, "meeting-secretary-attendance-offline-360");
    // A reload mid-meeting keeps the choices (kept on the phone).
    await sec.page.reload();
    await sec.page.click("[data-meeting-panel] [data-act=start]");
    await sec.page.waitForSelector(".attendance li");
    const keptTally = await sec.page.textContent(".meeting-count");
    await sec.page.click("[data-act=finish]");
    const offlineDone = await until("recorded offline", async () => {
      const t = await panelText(sec.page);
      return /Chi bộ đã sinh hoạt ngày .*2\/3 đảng viên dự/.test(t) ? t : null;
    }).catch(async (e) => { throw new Error(e.message + "\npanel: " + await panelText(sec.page) + "\nproblems: " + problems.join("; ")); });
    const offlineStatus = await sec.page.textContent(".app-status");
    await shot(sec.page, "meeting-secretary-recorded-offline-360");
    // Meanwhile the server has nothing (the member asks it).
    const before = await hung.page.evaluate((m) => window.SotayOutbox.get("token").then((t) => fetch("/api/v1/meetings/" + m, { headers: { authorization: "Bearer " + t } }).then((r) => r.json())), month);

    // Back online: the record is sent, once.
    await sec.ctx.setOffline(false);
    await sec.page.evaluate(() => window.dispatchEvent(new Event("online")));
    await until("the record sent", () => sec.page.evaluate((m) => window.SotayOutbox.pendingRequest("PUT api/v1/meetings/" + m).then((p) => !p), month));
    const onlineDone = await until("the server's record shown", async () => {
      const t = await panelText(sec.page);
      return /Chi bộ đã sinh hoạt ngày .*2\/3 đảng viên dự\./.test(t) && !/sẽ gửi/.test(t) ? t : null;
    });
    await sec.page.evaluate(() => window.SotayApp.flush());
    await sec.page.reload();
    const afterReload = await until("record after reload", async () => { const t = await panelText(sec.page); return /đã sinh hoạt/.test(t) ? t : null; });
    const secButtons = await sec.page.$$eval("[data-meeting-panel] button", (bs) => bs.map((x) => x.textContent));

    // The member of the cell sees the record instead of the form; another cell sees nothing.
    await hung.page.goto(url + "/");
    const memberHome = await until("the record on the member's home page", async () => {
      const t = await panelText(hung.page);
      return /Chi bộ đã sinh hoạt ngày/.test(t) ? t : null;
    });
    const memberAfter = await hung.page.$$eval("[data-meeting-panel] button", (bs) => bs.map((x) => x.textContent));
    await shot(hung.page, "meeting-member-record-360");
    const minh = await phone("minh");
    await minh.page.goto(url + first);
    await minh.page.waitForSelector("[data-meeting-panel] .meeting-schedule");
    await sleep(500);
    const otherCell = await panelText(minh.page);

    // Wide screens.
    const wide = await phone("thu", { width: 1280, height: 800 });
    await wide.page.goto(url + first);
    await until("wide record", async () => /đã sinh hoạt/.test(await panelText(wide.page)));
    await shot(wide.page, "meeting-secretary-record-1280");
    await wide.page.click("[data-meeting-panel] [data-act=start]");
    await wide.page.waitForSelector(".attendance li");
    await shot(wide.page, "meeting-secretary-correction-1280");

    // The printed packet: the secretary's phone fills in the cell's names; printed to PDF.
    const printPage = await wide.ctx.newPage();
    await printPage.goto(url + "/ban-in/sinh-hoat-" + month + "/");
    await until("the attendance sheet filled", () => printPage.evaluate(() => document.querySelectorAll("[data-sheet] tr").length === 3 && /Phạm Thị Thu/.test(document.querySelector("[data-sheet]").textContent)));
    await shot(printPage, "meeting-print-1280");
    const pdf = path.join(out, "packet.pdf");
    await printPage.pdf({ path: pdf, format: "A4", printBackground: true });
    await printPage.emulateMedia({ media: "print" });
    await shot(printPage, "meeting-print-media-1280");

    // The committee's dashboard: the cell counted once, its attendance, the month in the year.
    const dashboard = {};
    for (const [w, h] of [[1280, 800], [360, 740]]) {
      const ctx = await b.newContext({ viewport: { width: w, height: h } });
      const page = await ctx.newPage();
      page.on("pageerror", (e) => problems.push("dashboard: " + String(e)));
      await page.goto(url + "/quan-tri/");
      await page.fill("#a-token", adminToken);
      await page.click(".admin-login button");
      await page.waitForSelector(".admin-meetings:not([hidden]) tbody tr");
      dashboard.head = await page.locator("table.report thead th").allTextContents();
      dashboard.rows = await page.$$eval("table.report tbody tr", (trs) => trs.map((tr) => Array.from(tr.cells).map((c) => c.textContent)));
      dashboard.year = await page.$$eval(".admin-meetings tbody tr", (trs) => trs.map((tr) => Array.from(tr.cells).map((c) => c.textContent)));
      await shot(page, "meeting-dashboard-" + w, ".kpis");
      await shot(page, "meeting-dashboard-year-" + w, ".admin-meetings");
      await ctx.close();
    }

    return {
      month, today, dashboard, viToday, scheduled, ics, icsName, homeSchedule, memberButtons, offlineNote, agenda, agendaTitle,
      docs: docs.map((d) => ({ id: d.id, title: d.title, url: d.url })), attendance, tally, keptTally, offlineDone, offlineStatus, before,
      onlineDone, afterReload, secButtons, memberHome, memberAfter, otherCell, pdf, shots, problems,
    };
  } finally {
    await b.close();
  }
});
