// Registration as a member types it, in Chromium at 360×740 against the real server: card
// numbers with dots and spaces, the cell code as Android capitalises it, names without
// diacritics or in capitals, dates as dd/mm/yyyy; a mismatch, a malformed code and a rate
// limit each answered in Vietnamese with what to do. Usage: node register.mjs SERVER_URL
import { browser, offlineReady, phone, run, shot, ENGLISH } from "./lib.mjs";


async function fill(page, card, name, birth, unit) {
  for (const [sel, v] of [["#r-card", card], ["#r-name", name], ["#r-birth", birth], ["#r-unit", unit]]) {
    await page.fill(sel, "");
    await page.type(sel, v);
  }
}

/** What the page says once the answer is in: the status line, or the "registered" panel. */
async function answer(page) {
  await page.waitForFunction(() => {
    const s = document.querySelector(".register-status").textContent;
    return !document.querySelector(".register-done").hidden || (s && s !== "Đang gửi…");
  }, null, { timeout: 15000 });
  return page.evaluate(() => ({
    done: !document.querySelector(".register-done").hidden,
    formShown: !document.querySelector(".register-form").hidden && !!document.querySelector("form.register").offsetParent,
    who: document.querySelector(".register-who").textContent,
    status: document.querySelector(".register-status").textContent,
    errors: [...document.querySelectorAll(".field-error:not([hidden])")].map((e) => e.textContent),
    invalid: [...document.querySelectorAll("[aria-invalid=true]")].map((e) => e.id),
    text: document.body.innerText,
  }));
}

run(async () => {
  const [url] = process.argv.slice(2);
  const b = await browser();
  const result = { accepted: [], refused: {} };
  const problems = [];
  // While the phone is offline on purpose, a request the page tries (the schedule asked of
  // the server before the saved copy is shown) fails at the network: the browser logs that,
  // and it is not a script error.
  let offline = false;
  async function fresh() {
    const ctx = await phone(b);
    const page = await ctx.newPage();
    page.on("pageerror", (e) => problems.push(String(e)));
    page.on("console", (m) => {
      if (m.type() !== "error" || /status of 4(01|29)/.test(m.text())) return;
      if (offline && /net::ERR_INTERNET_DISCONNECTED/.test(m.text())) return;
      problems.push(`${m.text()} (${m.location().url || "?"})`);
    });
    await page.goto(url + "/dang-ky/");
    await page.waitForFunction(() => window.SotayOutbox);
    return { ctx, page };
  }
  try {
    // Accepted: what phones type.
    const variants = [
      ["20.000.001", "Nguyen Van Duc", "02/09/1961", "Tu.01.01.01"],
      ["2000 0002", "TRẦN THỊ HẰNG", "25.12.1970", "tu.01.01.01 "],
      ["20000003", "lê  quang   vinh", "08031985", "TU.01.01.01"],
    ];
    for (const [i, v] of variants.entries()) {
      const { ctx, page } = await fresh();
      if (i === 0) await shot(page, "register-form");
      await fill(page, ...v);
      await page.tap("form.register button[type=submit]");
      const a = await answer(page);
      if (i === 0) {
        await shot(page, "register-done");
        // The secretary plans this month's meeting (PUT .../schedule, as meeting.js does); the
        // home page's card (filled by meeting.js) then shows it, also offline.
        const token = await page.evaluate(() => window.SotayOutbox.get("token"));
        const vn = new Date(Date.now() + 7 * 3600 * 1000);
        const month = vn.toISOString().slice(0, 7);
        const put = await fetch(url + "/api/v1/meetings/" + month + "/schedule", {
          method: "PUT", headers: { "content-type": "application/json", authorization: "Bearer " + token },
          body: JSON.stringify({ starts_at: month + "-20T19:30", place: "Nhà văn hóa thôn Đông" }),
        });
        result.schedulePut = put.status;
        await page.goto(url + "/");
        const planned = () => /19:30/.test((document.querySelector("[data-meeting-schedule] .meeting-schedule") || {}).textContent || "");
        await page.waitForFunction(planned, null, { timeout: 10000 });
        result.schedule = await page.textContent("[data-meeting-schedule] .meeting-schedule");
        await shot(page, "register-home-schedule");
        // Offline only once the handbook is saved and the service worker answers this page.
        await offlineReady(page);
        await page.waitForFunction(planned, null, { timeout: 10000 });
        offline = true;
        await ctx.setOffline(true);
        await page.reload();
        await page.waitForFunction(planned, null, { timeout: 10000 });
        result.scheduleOffline = await page.textContent("[data-meeting-schedule] .meeting-schedule");
        await ctx.setOffline(false);
        offline = false;
      }
      // A new page: the menu says who is registered, and the form stays gone.
      await page.goto(url + "/dang-ky/");
      await page.waitForFunction(() => !document.querySelector(".register-done").hidden, null, { timeout: 5000 }).catch(() => null);
      const again = await page.evaluate(() => ({ done: !document.querySelector(".register-done").hidden, formHidden: document.querySelector(".register-form").hidden }));
      result.accepted.push({ typed: v, ...a, text: undefined, english: ENGLISH.test(a.text) && a.text.match(ENGLISH)[0], again,
        member: await page.evaluate(() => window.SotayOutbox.get("member")) });
      await ctx.close();
    }

    // Refused, each in Vietnamese.
    const { ctx, page } = await fresh();
    const record = async (name) => {
      const a = await answer(page);
      await shot(page, "register-" + name);
      result.refused[name] = { ...a, text: undefined, english: ENGLISH.test(a.text) ? a.text.match(ENGLISH)[0] : null };
      return a;
    };
    // A date that does not exist, a malformed cell code: said by the form, next to the field.
    await fill(page, "20000004", "Phạm Thị Thu", "31/02/1968", "TU 01.01.01");
    await page.tap("form.register button[type=submit]");
    await page.waitForSelector(".field-error:not([hidden])");
    await record("malformed");
    // The server's one answer for details that do not match (here the birth date).
    await fill(page, "20000004", "Phạm Thị Thu", "03/09/1968", "TU.01.01.01");
    await page.tap("form.register button[type=submit]");
    await page.waitForFunction(() => /không khớp|chưa khớp/.test(document.querySelector(".register-status").textContent), null, { timeout: 15000 });
    const mismatch = await record("mismatch");
    result.refused.mismatch.kept = await page.evaluate(() => [...document.querySelectorAll("form.register input")].map((i) => i.value));
    // Four more wrong tries, then the card is locked for a while: the page says until when.
    for (let i = 0; i < 5; i++) {
      await page.evaluate(() => { document.querySelector(".register-status").textContent = ""; });
      await page.fill("#r-birth", "0" + (4 + i) + "/09/1968");
      await page.tap("form.register button[type=submit]");
      await page.waitForFunction(() => document.querySelector(".register-status").textContent.length > 10 && document.querySelector(".register-status").textContent !== "Đang gửi…", null, { timeout: 15000 });
    }
    await record("rate-limited");
    result.refused["rate-limited"].pending = await page.evaluate(() => window.SotayOutbox.get("registration"));
    result.refused["rate-limited"].stored = await page.evaluate(() => window.SotayOutbox.get("registration_error"));
    result.mismatchStatus = mismatch.status;
    await ctx.close();
  } finally {
    await b.close();
  }
  result.problems = problems;
  return result;
});
