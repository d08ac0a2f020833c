// A member's first minutes on a cheap phone, in Chromium at 360×740 (deviceScaleFactor 2,
// touch) on the built sample site: the home page's first screen (with the phone's clock set),
// the menu, tap target sizes, a long document's contents and back-to-top, read aloud with a
// fake Vietnamese voice and without any, bookmarks that can be removed, the offline mark, a
// cached 404, and axe-core on five kinds of page. Screenshots go to tests/artifacts/ui-*.png,
// also at 1280×800. Usage: node ui.mjs SITE_DIR
import fs from "node:fs";
import { createRequire } from "node:module";
import { serve, browser, offlineReady, phone, run, shot, sleep, until } from "./lib.mjs";

const require = createRequire(import.meta.url);
const AXE = fs.readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const CHARTER = "/dieu-le/dieu-le-mau/";


/** Interactive elements smaller than 44×44 CSS px, except links inside running text (WCAG's
 *  inline exception) and what is not shown. */
async function smallTargets(page) {
  return page.evaluate(() => {
    const out = [];
    for (const el of document.querySelectorAll("a[href], button, input, select, textarea, summary")) {
      if (el.closest("[hidden], .visually-hidden, .skip")) continue;
      const r = el.getBoundingClientRect();
      if (!r.width || !r.height) continue;
      const cs = getComputedStyle(el);
      if (cs.visibility === "hidden" || cs.display === "none") continue;
      if (el.tagName === "A" && cs.display === "inline") {
        const block = el.parentElement;
        const own = (el.textContent || "").trim();
        const all = (block.textContent || "").trim();
        if (all.length > own.length + 1) continue; // a link in a sentence
      }
      if (r.width < 44 || r.height < 44) {
        out.push({ tag: el.tagName.toLowerCase(), cls: el.className, text: (el.textContent || el.value || el.getAttribute("aria-label") || "").trim().slice(0, 40), w: Math.round(r.width), h: Math.round(r.height) });
      }
    }
    return out;
  });
}

async function axe(page) {
  await page.evaluate(AXE);
  return page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ["violations"] });
    return r.violations.filter((v) => v.impact === "serious" || v.impact === "critical")
      .map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 5).map((n) => n.target.join(" ")) }));
  });
}

/** A message at the foot of the screen ("the whole handbook is saved") and the reading tools
 *  fixed there (`sel`): the message must sit above them, not under or over them. */
async function overlap(page, sel) {
  return page.evaluate((sel) => {
    navigator.serviceWorker.dispatchEvent(new MessageEvent("message", { data: { type: "installed", total: 179, missing: 0 } }));
    const m = document.querySelector(".app-status").getBoundingClientRect();
    const t = document.querySelector(sel).getBoundingClientRect();
    return { shown: !document.querySelector(".app-status").hidden, messageBottom: Math.round(m.bottom), toolsTop: Math.round(t.top) };
  }, sel);
}

/** A fake Vietnamese voice: what is spoken is recorded; `__finish()` ends the utterance. */
function fakeVoice() {
  window.__spoken = [];
  class FakeUtterance { constructor(t) { this.text = t; this.onend = null; this.onerror = null; } }
  const synth = {
    speaking: false, current: null,
    getVoices() { return [{ name: "Giọng Việt (thử)", lang: "vi-VN", default: true, localService: true, voiceURI: "fake-vi" }]; },
    speak(u) { window.__spoken.push(u.text); this.speaking = true; this.current = u; },
    cancel() { this.speaking = false; this.current = null; },
    pause() {}, resume() {}, addEventListener() {}, removeEventListener() {},
  };
  window.__finish = () => { const u = synth.current; synth.current = null; synth.speaking = false; if (u && u.onend) u.onend({}); };
  Object.defineProperty(window, "speechSynthesis", { value: synth, configurable: true });
  window.SpeechSynthesisUtterance = FakeUtterance;
}

/** A phone with no voice at all. */
function noVoice() {
  const synth = { speaking: false, getVoices() { return []; }, speak() {}, cancel() {}, pause() {}, resume() {}, addEventListener() {}, removeEventListener() {} };
  Object.defineProperty(window, "speechSynthesis", { value: synth, configurable: true });
}

run(async () => {
  const [site] = process.argv.slice(2);
  const srv = await serve(site);
  const b = await browser();
  const R = { home: {}, months: {}, targets: {}, doc: {}, speech: {}, bookmarks: {}, offline: {}, axe: {} };
  const errors = [];
  const watch = (page) => {
    page.on("pageerror", (e) => errors.push(String(e)));
    page.on("console", (m) => { if (m.type() === "error" && !/net::ERR_|status of 404|Failed to fetch/.test(m.text())) errors.push(m.text()); });
  };
  try {
    // ---- home page: the first screen -------------------------------------------------------
    let ctx = await phone(b);
    let page = await ctx.newPage();
    watch(page);
    await page.clock.setFixedTime(new Date("2026-12-10T09:00:00+07:00"));
    // Read part of the charter first: the home page then offers to continue.
    await page.goto(srv.url + CHARTER);
    await page.evaluate(() => document.getElementById("dieu-5").scrollIntoView());
    await sleep(1200);
    await page.goto(srv.url + "/");
    await page.waitForSelector(".continue-reading:not([hidden])");
    await page.waitForSelector(".prompt-register:not([hidden])");
    const first = await page.evaluate(() => {
      const H = innerHeight, W = innerWidth;
      const box = (sel) => {
        const el = document.querySelector(sel);
        if (!el || el.closest("[hidden]")) return null;
        const r = el.getBoundingClientRect();
        return { top: Math.round(r.top), bottom: Math.round(r.bottom), left: Math.round(r.left), right: Math.round(r.right), text: el.textContent.trim().replace(/\s+/g, " ").slice(0, 120) };
      };
      const inFirst = (b) => !!b && b.top >= 0 && b.bottom <= H && b.left >= 0 && b.right <= W;
      const parts = { search: box(".search-box input"), meeting: box("#h-meeting"), meetingItems: box(".home-meeting .meeting-month:not([hidden]) .items"), continueReading: box(".continue-reading"), register: box(".prompt-register"), install: box(".prompt-install"), sample: box(".sample-banner"), header: box(".site-header") };
      const inside = {};
      for (const [k, v] of Object.entries(parts)) inside[k] = inFirst(v);
      const sample = document.querySelector(".sample-banner");
      return {
        parts, inside, H, W,
        scrollWidth: document.documentElement.scrollWidth,
        screens: document.documentElement.scrollHeight / H,
        meetingMonth: document.querySelector(".home-meeting").getAttribute("data-shown-month"),
        meetingTitle: document.querySelector("#h-meeting").textContent,
        recentHeadings: [...document.querySelectorAll("h2")].filter((h) => /Mới cập nhật/.test(h.textContent)).length,
        sampleOneLine: (() => {
          const range = document.createRange();
          range.selectNodeContents(sample);
          const lines = new Set([...range.getClientRects()].map((x) => Math.round(x.bottom))).size;
          return lines === 1 && sample.scrollWidth <= sample.clientWidth; // one line, nothing cut off
        })(),
      };
    });
    R.home.first = first;
    // While the handbook is being saved: one slim line at the foot, not a box over the card.
    R.home.progress = await page.evaluate(() => {
      navigator.serviceWorker.dispatchEvent(new MessageEvent("message", { data: { type: "progress", done: 40, total: 179 } }));
      const s = document.querySelector(".app-status"), r = s.getBoundingClientRect();
      return { text: s.textContent, shown: !s.hidden, h: Math.round(r.height), gap: Math.round(innerHeight - r.bottom), whole: s.scrollWidth <= s.clientWidth };
    });
    await shot(page, "ui-home-first-screen");
    await shot(page, "ui-home-full", true);
    // Every section without sideways scrolling: on the page, and in the menu.
    R.home.sectionsOnPage = await page.evaluate(() => [...document.querySelectorAll(".section-grid a")].map((a) => { const r = a.getBoundingClientRect(); return r.left >= 0 && r.right <= innerWidth; }));
    await page.tap(".menu-button");
    await page.waitForSelector(".menu[open] .site-nav a");
    R.home.menu = await page.evaluate(() => ({
      sections: [...document.querySelectorAll(".site-nav a")].map((a) => { const r = a.getBoundingClientRect(); return { text: a.textContent, inside: r.left >= 0 && r.right <= innerWidth, w: r.width, h: r.height }; }),
      scrollWidth: document.documentElement.scrollWidth,
      member: document.querySelector(".member-line").hidden,
    }));
    await shot(page, "ui-home-menu");
    await page.keyboard.press("Escape");
    R.home.menuClosedByEscape = await page.evaluate(() => !document.querySelector(".menu").open);
    // Registered and installed: the prompts go; the menu says who the member is.
    await page.evaluate(() => Promise.all([
      window.SotayOutbox.set("member", { card_number: "20000001", full_name: "Nguyễn Văn Đức", unit_code: "TU.01.01.01", unit_name: "Chi bộ thôn Đông", role: "bi-thu" }),
      localStorage.setItem("sotay.installed", "1"),
    ]));
    await page.reload();
    await sleep(500);
    R.home.done = await page.evaluate(() => ({
      register: !document.querySelector(".prompt-register").hidden,
      install: !document.querySelector(".prompt-install").hidden,
      member: document.querySelector(".member-line").textContent,
      menuRegister: !document.querySelector(".menu-register").hidden,
    }));
    R.targets.home = await smallTargets(page);
    R.axe.home = await axe(page);
    await ctx.close();

    // ---- "this month" is the phone's month, at view time ------------------------------------
    for (const [when, label] of [["2026-10-05T08:00:00+07:00", "oct"], ["2027-01-20T08:00:00+07:00", "jan"], ["2026-12-31T23:30:00+07:00", "dec"]]) {
      ctx = await phone(b);
      page = await ctx.newPage();
      await page.clock.setFixedTime(new Date(when));
      await page.goto(srv.url + "/");
      await page.waitForFunction(() => document.querySelector(".home-meeting").hasAttribute("data-shown-month"));
      R.months[label] = await page.evaluate(() => ({
        month: document.querySelector(".home-meeting").getAttribute("data-shown-month"),
        title: document.querySelector("#h-meeting").textContent,
        note: document.querySelector(".home-meeting .meeting-note").hidden ? null : document.querySelector(".home-meeting .meeting-note").textContent,
        visiblePanels: document.querySelectorAll(".home-meeting .meeting-month:not([hidden])").length,
      }));
      await page.goto(srv.url + "/sinh-hoat-chi-bo/");
      R.months[label].section = await page.evaluate(() => {
        const shown = [...document.querySelectorAll("[data-meeting-months] .meeting-card")].filter((c) => !c.hidden);
        return shown.map((c) => c.getAttribute("data-month"));
      });
      await ctx.close();
    }

    // ---- a long document -------------------------------------------------------------------
    ctx = await phone(b);
    await ctx.addInitScript(fakeVoice);
    page = await ctx.newPage();
    watch(page);
    await page.goto(srv.url + CHARTER);
    await page.waitForSelector(".doc-tools:not([hidden])");
    await shot(page, "ui-doc-top");
    R.doc.dockAtTop = await page.evaluate(() => !!document.querySelector(".dock-buttons") && !document.querySelector(".dock-buttons").hidden);
    R.doc.toc = await page.evaluate(() => [...document.querySelectorAll(".doc-body .toc li")].map((li) => {
      const a = li.querySelector(":scope > a"), r = a.getBoundingClientRect(), l = li.getBoundingClientRect();
      const range = document.createRange();
      range.selectNodeContents(a);
      const lines = new Set([...range.getClientRects()].map((x) => Math.round(x.top))).size;
      return { text: a.textContent, marker: getComputedStyle(li).listStyleType, top: Math.round(r.top - l.top), h: Math.round(r.height), lines };
    }));
    await page.evaluate(() => document.querySelector(".doc-body .toc").scrollIntoView());
    await shot(page, "ui-doc-toc-wrap");
    await page.evaluate(() => window.scrollTo(0, 0));
    R.targets.doc = await smallTargets(page);
    R.axe.doc = await axe(page);
    // Deep in the text: the contents button is at hand, and marks where the member is.
    await page.evaluate(() => document.getElementById("dieu-12").scrollIntoView());
    await page.waitForSelector(".dock-buttons:not([hidden]) [data-dock=contents]");
    R.doc.dock = await page.evaluate(() => {
      const r = document.querySelector("[data-dock=contents]").getBoundingClientRect();
      return { fixed: getComputedStyle(document.querySelector(".doc-dock")).position, bottom: Math.round(innerHeight - r.bottom), w: r.width, h: r.height };
    });
    R.doc.message = await overlap(page, ".dock-buttons");
    await shot(page, "ui-doc-deep");
    await page.tap("[data-dock=contents]");
    await page.waitForSelector("dialog.contents-dialog[open]");
    R.doc.contents = await page.evaluate(() => ({
      entries: document.querySelectorAll(".contents-list a").length,
      current: (document.querySelector(".contents-list a[aria-current]") || {}).textContent || null,
      focused: document.activeElement && document.activeElement.textContent,
    }));
    await shot(page, "ui-doc-contents");
    R.axe.contents = await axe(page);
    await page.tap(".contents-list a[href='#dieu-20']");
    await sleep(400);
    R.doc.jumped = await page.evaluate(() => ({ open: document.querySelector("dialog.contents-dialog").open, top: Math.round(document.getElementById("dieu-20").getBoundingClientRect().top), hash: location.hash }));
    await page.tap("[data-dock=top]");
    await until("back at the top", () => page.evaluate(() => scrollY < 5));
    R.doc.backToTop = true;

    // ---- read aloud from the article on the screen ------------------------------------------
    await page.evaluate(() => { const h = document.getElementById("dieu-5"); window.scrollTo(0, h.getBoundingClientRect().top + scrollY - 60); });
    await sleep(200);
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.tap("[data-action=speak]"); // starts at the top: the first heading on screen
    await until("speaking", () => page.evaluate(() => window.__spoken.length > 0));
    R.speech.fromTop = await page.evaluate(() => window.__spoken[0]);
    await page.tap("[data-speech=stop]");
    await page.evaluate(() => { window.__spoken.length = 0; const h = document.getElementById("dieu-5"); window.scrollTo(0, h.getBoundingClientRect().top + scrollY - 80); });
    await sleep(200);
    await page.evaluate(() => document.querySelector("[data-action=speak]").click());
    await until("speaking Điều 5", () => page.evaluate(() => window.__spoken.length > 0));
    R.speech.first = await page.evaluate(() => window.__spoken[0]);
    await page.evaluate(() => window.__finish());
    await until("second block", () => page.evaluate(() => window.__spoken.length > 1));
    R.speech.second = await page.evaluate(() => window.__spoken[1]);
    await shot(page, "ui-speech");
    R.speech.label = await page.textContent(".speech-label");
    R.speech.message = await overlap(page, ".speech-bar");
    await page.tap("[data-speech=next]");
    await until("next article", () => page.evaluate(() => window.__spoken.length > 2));
    R.speech.next = await page.evaluate(() => window.__spoken[2]);
    await page.tap("[data-speech=prev]");
    await until("previous article", () => page.evaluate(() => window.__spoken.length > 3));
    R.speech.prev = await page.evaluate(() => window.__spoken[3]);
    await page.tap("[data-speech=pause]");
    R.speech.paused = await page.evaluate(() => ({ speaking: window.speechSynthesis.speaking, count: window.__spoken.length, button: document.querySelector("[data-speech=pause]").textContent }));
    await page.tap("[data-speech=pause]");
    await until("resumed", () => page.evaluate(() => window.__spoken.length > 4));
    R.speech.resumed = await page.evaluate(() => window.__spoken[4]);
    R.targets.speech = await smallTargets(page);
    R.axe.speech = await axe(page);
    await page.tap("[data-speech=stop]");
    R.speech.stopped = await page.evaluate(() => document.querySelector(".speech-bar").hidden && !window.speechSynthesis.speaking);
    R.speech.headings = await page.evaluate(() => ["dieu-5", "dieu-6"].map((id) => document.getElementById(id).textContent.trim()));
    R.speech.firstParagraph = await page.evaluate(() => { let e = document.getElementById("dieu-5").nextElementSibling; while (e && !e.textContent.trim()) e = e.nextElementSibling; return (e.matches("ol, ul") ? e.querySelector("li") : e).textContent.trim(); });
    await ctx.close();

    ctx = await phone(b);
    await ctx.addInitScript(noVoice);
    page = await ctx.newPage();
    watch(page);
    await page.goto(srv.url + CHARTER);
    await page.tap("[data-action=speak]");
    await page.waitForSelector(".speech-note:not([hidden])", { timeout: 5000 });
    R.speech.noVoice = await page.evaluate(() => ({ text: document.querySelector(".speech-note").textContent, href: document.querySelector(".speech-note a").getAttribute("href") }));
    await shot(page, "ui-speech-no-voice");
    await page.click(".speech-note a");
    await page.waitForLoadState();
    R.speech.guide = await page.evaluate(() => { const s = document.getElementById("giong-doc"); return s ? s.querySelector("h2").textContent : null; });
    await ctx.close();

    // ---- search results --------------------------------------------------------------------
    ctx = await phone(b);
    page = await ctx.newPage();
    watch(page);
    await page.goto(srv.url + "/tim-kiem/?q=dang+vien+du+bi");
    await page.waitForSelector(".results li", { timeout: 15000 });
    await shot(page, "ui-search");
    R.targets.search = await smallTargets(page);
    R.axe.search = await axe(page);
    await page.goto(srv.url + "/dang-ky/");
    await page.waitForFunction(() => window.SotayOutbox);
    R.axe.register = await axe(page);
    R.targets.register = await smallTargets(page);

    // ---- bookmarks that can be removed -------------------------------------------------------
    const docs = ["/hoi-dap/dang-vien-du-bi/", "/hoi-dap/khen-thuong/"];
    for (const d of docs) {
      await page.goto(srv.url + d);
      await page.tap("[data-action=bookmark]");
      await page.waitForFunction(() => document.querySelector("[data-action=bookmark]").getAttribute("aria-pressed") === "true");
    }
    await page.goto(srv.url + "/doc-sau/");
    await page.waitForSelector(".bookmark-list li");
    R.bookmarks.before = await page.$$eval(".bookmark-list li a", (as) => as.map((a) => a.getAttribute("href")));
    await shot(page, "ui-bookmarks");
    R.axe.bookmarks = await axe(page);
    R.targets.bookmarks = await smallTargets(page);
    await page.tap(".bookmark-list li:first-child .bookmark-remove");
    await page.waitForFunction((n) => document.querySelectorAll(".bookmark-list li").length === n - 1, R.bookmarks.before.length);
    await page.reload();
    await page.waitForFunction(() => window.SotayOutbox);
    await sleep(300);
    R.bookmarks.after = await page.$$eval(".bookmark-list li a", (as) => as.map((a) => a.getAttribute("href")));
    await page.tap(".bookmark-list li:first-child .bookmark-remove");
    await page.waitForSelector(".bookmark-empty:not([hidden])");
    R.bookmarks.emptyShown = true;
    await ctx.close();

    // ---- offline: a quiet mark, and a cached "not found" ------------------------------------
    ctx = await phone(b);
    page = await ctx.newPage();
    watch(page);
    await page.goto(srv.url + "/");
    await offlineReady(page);
    R.offline.markOnline = await page.evaluate(() => document.querySelector(".net-status").hidden);
    srv.state.down = true;
    await ctx.setOffline(true);
    await page.waitForSelector(".net-status:not([hidden])", { timeout: 5000 });
    R.offline.mark = await page.evaluate(() => { const m = document.querySelector(".net-status"); const r = m.getBoundingClientRect(); return { text: m.textContent, top: Math.round(r.top), h: Math.round(r.height), headerBottom: Math.round(document.querySelector(".site-header").getBoundingClientRect().bottom) }; });
    await shot(page, "ui-offline-mark");
    const r404 = await page.goto(srv.url + "/khong-co-trang-nay/");
    R.offline.missing = { status: r404 && r404.status(), h1: await page.textContent("h1"), mark: await page.evaluate(() => !document.querySelector(".net-status").hidden) };
    await shot(page, "ui-offline-404");
    const slash = await page.goto(srv.url + "/hoi-dap/khen-thuong");
    R.offline.noSlash = { status: slash && slash.status(), h1: await page.textContent("h1") };
    await ctx.setOffline(false);
    srv.state.down = false;
    await page.evaluate(() => window.dispatchEvent(new Event("online")));
    await page.waitForSelector(".net-status", { state: "hidden", timeout: 5000 });
    R.offline.markGone = true;
    await ctx.close();

    // ---- the same screens on a desktop, to look at ------------------------------------------
    ctx = await b.newContext({ viewport: { width: 1280, height: 800 } });
    page = await ctx.newPage();
    for (const [p, name] of [["/", "home"], [CHARTER, "doc"], ["/dang-ky/", "register"], ["/doc-sau/", "bookmarks"]]) {
      await page.goto(srv.url + p);
      await sleep(300);
      await shot(page, "ui-desktop-" + name);
    }
    await page.goto(srv.url + CHARTER);
    await page.evaluate(() => document.getElementById("dieu-12").scrollIntoView());
    await sleep(300);
    await shot(page, "ui-desktop-doc-deep");
    await ctx.close();
  } finally {
    await b.close();
    srv.close();
  }
  R.errors = errors;
  return R;
});
