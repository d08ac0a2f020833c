// sotay's page script. Every page works without it; with it the handbook works offline
// (service worker), records reading for the committee's report (outbox.js), and offers the
// member's tools: font size, "Đọc sau", reading position, "Nghe", "Góp ý", quizzes. The cell
// meeting (schedule, attendance, record) is meeting.js.
(() => {
  "use strict";
  const root = document.documentElement;
  const body = document.body;
  const BASE = body.getAttribute("data-base") || "/";
  const Outbox = window.SotayOutbox;

  const { $, $$, el } = window.SotayDom;

  // ---- status line -------------------------------------------------------------------
  const statusEl = $(".app-status");
  let statusTimer = null;
  function say(text, keep, progress) {
    if (!statusEl) return;
    // Progress is one slim line at the screen's foot (the first screens stay readable while the
    // handbook is saved); other messages are the larger box.
    statusEl.classList.toggle("is-progress", !!progress);
    if (progress) statusEl.style.setProperty("--done", `${Math.round(progress * 100)}%`);
    statusEl.textContent = text;
    statusEl.hidden = !text;
    clearTimeout(statusTimer);
    if (text && !keep) statusTimer = setTimeout(() => { statusEl.hidden = true; }, 6000);
  }

  // ---- font size ---------------------------------------------------------------------
  function setupFontSize() {
    const group = $(".font-size");
    if (!group) return;
    group.hidden = false;
    group.addEventListener("click", (e) => {
      const b = e.target.closest("button[data-font]");
      if (!b) return;
      const cur = parseInt(root.getAttribute("data-font") || "0", 10);
      const next = Math.max(-1, Math.min(3, cur + parseInt(b.getAttribute("data-font"), 10)));
      if (next === 0) root.removeAttribute("data-font");
      else root.setAttribute("data-font", String(next));
      try { localStorage.setItem("sotay.font", String(next)); } catch (err) { /* private mode */ }
    });
  }

  // ---- quizzes -----------------------------------------------------------------------
  function setupQuizzes() {
    $$(".quiz").forEach((quiz) => {
      const button = el("button", { type: "button", class: "button quiz-check" }, "Kiểm tra đáp án");
      const result = $(".quiz-result", quiz);
      quiz.insertBefore(button, result);
      button.addEventListener("click", () => {
        const questions = $$(".quiz-q", quiz);
        let right = 0;
        questions.forEach((q) => {
          let ok = true;
          $$("input", q).forEach((input) => {
            const label = input.closest(".quiz-opt");
            const correct = input.hasAttribute("data-correct");
            label.classList.remove("right", "wrong");
            if (correct) label.classList.add("right");
            if (input.checked && !correct) label.classList.add("wrong");
            if (input.checked !== correct) ok = false;
          });
          if (ok) right++;
          const answer = $(".quiz-answer", q);
          if (answer) answer.open = true;
        });
        result.textContent = `Bạn trả lời đúng ${right}/${questions.length} câu.`;
      });
    });
  }

  // ---- outbox ------------------------------------------------------------------------
  let backoff = 5000;
  let nextTry = 0;
  let lastFailure = null;
  function flush() {
    if (!Outbox || Date.now() < nextTry || navigator.onLine === false) return Promise.resolve(null);
    return Outbox.flush().then((r) => {
      backoff = 5000;
      nextTry = 0;
      lastFailure = null;
      updateMemberLine();
      if (r && r.sent) window.dispatchEvent(new CustomEvent("sotay:synced", { detail: r }));
      return r;
    }, (e) => {
      lastFailure = e;
      nextTry = Date.now() + backoff;
      backoff = Math.min(backoff * 2, 10 * 60 * 1000);
      askBackgroundSync();
      retryLater();
      return null;
    });
  }
  // After a failure (no answer, the connection lost), the outbox tries again once the backoff
  // has passed, rather than at the next event or minute.
  let retryTimer = null;
  function retryLater() {
    clearTimeout(retryTimer);
    retryTimer = setTimeout(flush, nextTry - Date.now() + 50);
  }
  function askBackgroundSync() {
    if (!("serviceWorker" in navigator)) return;
    navigator.serviceWorker.ready.then((reg) => {
      if (reg.sync) return reg.sync.register("sotay-outbox");
    }).catch(() => { /* not supported */ });
  }
  function queue(ev) {
    if (!Outbox) return Promise.resolve(null);
    return Outbox.add(ev).then((id) => {
      if (navigator.onLine === false) askBackgroundSync(); else flush();
      return id;
    });
  }
  // At the top of the menu: who this phone is registered for, and their cell.
  function updateMemberLine() {
    const line = $(".member-line");
    if (!line || !Outbox) return;
    Promise.all([Outbox.get("member"), Outbox.count(), Outbox.get("registration")]).then(([m, n, reg]) => {
      const parts = [];
      if (m) parts.push(`Đồng chí ${m.full_name}${m.unit_name ? ` · ${m.unit_name}` : ""} (${m.unit_code})`);
      else if (reg) parts.push("Đăng ký đang chờ gửi");
      if (n) parts.push(`${n} lượt đọc chờ gửi`);
      line.textContent = parts.join(" · ");
      line.hidden = !parts.length;
      line.classList.toggle("is-registered", !!m);
      $$(".menu-register").forEach((li) => { li.hidden = !!m; });
    }).catch(() => { /* storage unavailable */ });
  }

  // ---- menu --------------------------------------------------------------------------
  // A <details>: it opens and closes without the script; with it, Escape and a tap outside
  // close it too.
  function setupMenu() {
    const menu = $(".menu");
    if (!menu) return;
    document.addEventListener("keydown", (e) => {
      if (e.key === "Escape" && menu.open) { menu.open = false; $("summary", menu).focus(); }
    });
    document.addEventListener("click", (e) => {
      if (menu.open && !menu.contains(e.target)) menu.open = false;
    });
  }

  // ---- offline indicator ---------------------------------------------------------------
  // A small mark in the header while the phone has no network, and one sentence the first
  // time, saying that saved pages still open.
  function setupNetStatus() {
    const mark = $(".net-status");
    if (!mark) return;
    function show(first) {
      const off = navigator.onLine === false;
      mark.hidden = !off;
      if (off && !first) say("Điện thoại đang không có mạng. Các trang đã lưu vẫn đọc được.");
      if (!off && !first) say("Đã có mạng trở lại.");
    }
    show(true);
    window.addEventListener("offline", () => { show(false); });
    window.addEventListener("online", () => { show(false); });
  }

  // ---- "continue reading" ----------------------------------------------------------------
  // Documents record where the member is (recordLastRead); the home page offers to go back.
  const LAST_READ = "sotay.last";
  function recordLastRead(title, fraction) {
    try {
      localStorage.setItem(LAST_READ, JSON.stringify({ url: location.pathname, title, pos: fraction, at: Date.now() }));
    } catch (e) { /* storage full or blocked */ }
  }
  function setupContinueReading() {
    const link = $(".continue-reading");
    if (!link) return;
    let last;
    try {
      last = JSON.parse(localStorage.getItem(LAST_READ) || "null");
    } catch (e) {
      last = null;
    }
    if (!last || !last.url || !last.title || !(last.pos > 0.02) || last.pos > 0.98) return;
    link.href = last.url;
    $(".continue-title", link).textContent = last.title;
    $(".continue-where", link).textContent = `(đã đọc ${Math.round(last.pos * 100)}%)`;
    link.hidden = false;
  }

  // ---- register / install prompts, only while not done -------------------------------
  function installed() {
    const standalone = window.matchMedia && window.matchMedia("(display-mode: standalone)").matches;
    let flag = false;
    try { flag = localStorage.getItem("sotay.installed") === "1"; } catch (e) { /* blocked */ }
    return standalone || navigator.standalone === true || flag;
  }
  function setupPrompts() {
    const reg = $(".prompt-register");
    const inst = $(".prompt-install");
    if (inst && !installed()) inst.hidden = false;
    if (reg && Outbox) {
      Promise.all([Outbox.get("member"), Outbox.get("registration")]).then(([member, waiting]) => {
        reg.hidden = !!(member || waiting);
      }).catch(() => { reg.hidden = false; });
    }
    window.addEventListener("appinstalled", () => {
      try { localStorage.setItem("sotay.installed", "1"); } catch (e) { /* blocked */ }
      if (inst) inst.hidden = true;
    });
  }

  // ---- "this month's" meeting material ------------------------------------------------
  // The page carries the latest months' material; the month is the phone's, at view time
  // (a site built in November shows December's material in December).
  function monthOf(d) { return `${d.getFullYear()}-${d.getMonth() < 9 ? "0" : ""}${d.getMonth() + 1}`; }
  function viMonth(m) { const p = m.split("-"); return `tháng ${parseInt(p[1], 10)}/${p[0]}`; }
  function setupMeetingMonths() {
    const now = monthOf(new Date());
    $$("[data-meeting-months]").forEach((box) => {
      const panels = $$("[data-month]", box)
        .filter((p) => p.parentNode === box && !p.hasAttribute("data-meeting-panel"));
      if (!panels.length) return;
      const months = panels.map((p) => p.getAttribute("data-month"));
      // This month's; else the newest before it; else (a clock behind the material) the oldest.
      let pick = months.indexOf(now);
      if (pick < 0) {
        const past = months.filter((m) => m < now).sort();
        pick = past.length ? months.indexOf(past[past.length - 1]) : months.indexOf(months.slice().sort()[0]);
      }
      // The others go, so that meeting.js (which runs next) works on this month only.
      const chosen = panels[pick];
      const month = months[pick];
      chosen.hidden = false;
      panels.forEach((p) => { if (p !== chosen) p.parentNode.removeChild(p); });
      $$("[data-meeting-panel]", box).forEach((p) => { p.setAttribute("data-month", month); });
      const label = $("[data-meeting-label]", box);
      if (label) label.textContent = `Sinh hoạt chi bộ ${viMonth(month)}`;
      if (chosen.getAttribute("data-doc")) box.setAttribute("data-doc", chosen.getAttribute("data-doc"));
      box.setAttribute("data-shown-month", month);
      const note = $(".meeting-note", box);
      if (note) {
        note.textContent = month === now ? "" : `Chưa có tài liệu ${viMonth(now)}; đây là tài liệu gần nhất.`;
        note.hidden = month === now;
      }
    });
  }

  // ---- service worker: offline, progress, updates -------------------------------------
  /** The status line for the service worker's download progress ("Đang tải… 60/128"). */
  function downloadStatus(m) {
    const what = m.update ? "bản cập nhật sổ tay" : "sổ tay để đọc khi không có mạng";
    if (m.type === "stalled") {
      return `Mất kết nối, sẽ tiếp tục tải ${what}${m.total ? ` (đã lưu ${m.done}/${m.total}).` : "."}`;
    }
    // One slim line at a 360 px screen's foot: the count and what is saved, briefly.
    return `Đang tải… ${m.done}/${m.total}${m.update ? " (bản cập nhật)" : " trang"}`;
  }

  let installDelay = 15000;
  let installTimer = null;
  /** An install that stopped (the network was lost for minutes) starts again after a while,
   *  or as soon as the phone is back online; it resumes where it stopped. */
  function installAgain(register) {
    if (installTimer) return;
    say("Mất kết nối, sẽ tiếp tục tải sổ tay khi có mạng.", true);
    function again() {
      clearTimeout(installTimer);
      installTimer = null;
      window.removeEventListener("online", again);
      register();
    }
    installTimer = setTimeout(again, installDelay);
    installDelay = Math.min(installDelay * 2, 10 * 60 * 1000);
    window.addEventListener("online", again);
  }

  function setupServiceWorker() {
    if (!("serviceWorker" in navigator)) return;
    navigator.serviceWorker.addEventListener("message", (e) => {
      const m = e.data || {};
      if (m.type === "progress") say(downloadStatus(m), true, Math.max(0.01, m.total ? m.done / m.total : 0));
      else if (m.type === "stalled") say(downloadStatus(m), true);
      else if (m.type === "installed") {
        if (m.missing) {
          say(`Bộ nhớ máy đã đầy: đã lưu ${m.saved}/${m.total} trang; `
            + `${m.missing} trang chưa được lưu để đọc khi không có mạng.`, true);
        }
        else say(`Đã lưu toàn bộ sổ tay (${m.total} trang) để đọc khi không có mạng.`);
        if (navigator.storage && navigator.storage.persist) navigator.storage.persist().catch(() => {});
      } else if (m.type === "pinned") {
        const failed = m.failed ? `; ${m.failed} trang chưa lưu được` : "";
        say(`Đã lưu ${m.saved} trang của mục này${failed}.`);
      }
    });
    function register() {
      navigator.serviceWorker.register(`${BASE}sw.js`, { scope: BASE }).then((reg) => {
        if (reg.waiting) updateBanner(reg.waiting);
        let watched = null;
        // An install that ends redundant before it was installed stopped (the network was
        // lost for minutes): it starts again later and resumes.
        function watch(w) {
          if (!w || w === watched) return;
          watched = w;
          let done = false;
          w.addEventListener("statechange", () => {
            if (w.state === "installed") { done = true; updateBanner(w); }
            else if (w.state === "redundant" && !done) installAgain(register);
          });
        }
        watch(reg.installing);
        reg.addEventListener("updatefound", () => { watch(reg.installing); });
      }).catch((e) => {
        // Offline before sw.js arrived: try again; over http on a non-localhost host it never
        // works (the site is then online only), which a SecurityError tells.
        if (!e || e.name !== "SecurityError") installAgain(register);
      });
    }
    register();
  }

  // ---- "new content" banner --------------------------------------------------------------
  // Fixed at the top of the screen where it is seen, shown once: "Để sau" puts it away for
  // the rest of the visit (the new version is used the next time the handbook is opened).
  let updating = false;
  function updateBanner(w) {
    const banner = $(".update-banner");
    if (!banner || !w || !navigator.serviceWorker.controller) return;
    try { if (sessionStorage.getItem("sotay.update-later") === "1") return; } catch (e) { /* blocked */ }
    function fit() { body.style.paddingTop = banner.hidden ? "" : `${banner.offsetHeight}px`; }
    banner.hidden = false;
    fit();
    window.addEventListener("resize", fit);
    $("[data-update=now]", banner).onclick = () => { updating = true; w.postMessage({ type: "skipWaiting" }); };
    $("[data-update=later]", banner).onclick = () => {
      banner.hidden = true;
      fit();
      try { sessionStorage.setItem("sotay.update-later", "1"); } catch (e) { /* blocked */ }
    };
    if (!updateBanner.listening) {
      updateBanner.listening = true;
      navigator.serviceWorker.addEventListener("controllerchange", () => {
        if (updating) { updating = false; location.reload(); }
      });
    }
  }

  // ---- documents: reading events, bookmarks, position, read aloud, feedback ------------
  function setupDocument() {
    const article = $("article.doc");
    if (!article) return;
    const doc = article.getAttribute("data-doc");
    const version = article.getAttribute("data-version");
    const title = $("h1", article).textContent;
    const opened = Date.now();
    let visibleMs = 0;
    let shownAt = document.hidden ? 0 : Date.now();
    let readSent = false;
    queue({ type: "view", doc, version });
    function visible() { return visibleMs + (shownAt ? Date.now() - shownAt : 0); }
    document.addEventListener("visibilitychange", () => {
      if (document.hidden) { visibleMs = visible(); shownAt = 0; } else { shownAt = Date.now(); }
    });
    function read() {
      if (readSent) return;
      readSent = true;
      queue({ type: "read", doc, version, ms: Math.round(visible()) });
    }
    const end = $(".doc-end", article);
    if (end && "IntersectionObserver" in window) {
      new IntersectionObserver((es) => {
        // Reaching the end counts as read once the page was open a little while.
        if (es.some((e) => e.isIntersecting) && Date.now() - opened > 3000) read();
      }).observe(end);
    }
    const timer = setInterval(() => { if (visible() >= 60000) { read(); clearInterval(timer); } }, 5000);

    const tools = $(".doc-tools", article);
    if (tools) tools.hidden = false;
    const bm = $("[data-action=bookmark]", article);
    function marks() { return Outbox ? Outbox.get("bookmarks").then((b) => b || []) : Promise.resolve([]); }
    function showMark(on) {
      if (!bm) return;
      bm.setAttribute("aria-pressed", on ? "true" : "false");
      bm.textContent = on ? "Đã lưu để đọc sau" : "Đọc sau";
    }
    marks().then((b) => { showMark(b.some((x) => x.url === location.pathname)); });
    if (bm) bm.addEventListener("click", () => {
      marks().then((b) => {
        const i = b.findIndex((x) => x.url === location.pathname);
        if (i >= 0) b.splice(i, 1); else {
          b.unshift({ url: location.pathname, title, at: new Date().toISOString() });
          queue({ type: "bookmark", doc, version });
        }
        return Outbox.set("bookmarks", b).then(() => {
          showMark(i < 0);
          say(i < 0 ? "Đã thêm vào danh sách Đọc sau." : "Đã bỏ khỏi danh sách Đọc sau.");
        });
      });
    });

    // Reading position, kept per page on this phone.
    const key = `sotay.pos:${location.pathname}`;
    try {
      const saved = parseFloat(localStorage.getItem(key) || "0");
      if (!location.hash && saved > 0.02) {
        const h = document.documentElement.scrollHeight - innerHeight;
        window.scrollTo(0, saved * h);
        say("Đã mở lại chỗ bạn đọc lần trước.");
      }
    } catch (e) { /* storage blocked */ }
    let posTimer = null;
    window.addEventListener("scroll", () => {
      clearTimeout(posTimer);
      posTimer = setTimeout(() => {
        const h = document.documentElement.scrollHeight - innerHeight;
        const pos = h > 0 ? scrollY / h : 0;
        try { localStorage.setItem(key, String(pos)); } catch (e) { /* full */ }
        recordLastRead(title, pos);
      }, 800);
    }, { passive: true });

    setupSpeech(article);
    setupReadingTools(article);
    setupFeedback(article, doc, version);
  }

  // ---- long documents: the contents at hand, back to the top ---------------------------
  // A dock at the bottom right once the member has scrolled into the text: "Mục lục" opens the
  // document's headings (the one being read marked) in a dialog, "Lên đầu" goes back up.
  function headingsOf(article) {
    return $$(".doc-body h2[id], .doc-body h3[id]", article).filter((h) => !h.closest(".toc, .quiz"));
  }
  function dock() {
    let d = $(".doc-dock");
    if (d) return d;
    d = el("div", { class: "doc-dock" });
    document.body.appendChild(d);
    return d;
  }
  function setupReadingTools(article) {
    const heads = headingsOf(article);
    const long = document.documentElement.scrollHeight > innerHeight * 2.5;
    if (!long) return;
    const dockButton = (what, mark, text, attrs) => el("button",
      { type: "button", class: "dock-button", "data-dock": what, ...attrs },
      el("span", { "aria-hidden": "true" }, mark), text);
    const box = el("div", { class: "dock-buttons" },
      heads.length > 1 && dockButton("contents", "☰", " Mục lục", { "aria-haspopup": "dialog" }),
      dockButton("top", "↑", " Lên đầu"));
    box.hidden = true;
    dock().appendChild(box);
    const start = $(".doc-body", article);
    function place() { box.hidden = !start || start.getBoundingClientRect().top > 0 && scrollY < innerHeight; }
    window.addEventListener("scroll", place, { passive: true });
    place();
    $("[data-dock=top]", box).addEventListener("click", () => {
      window.scrollTo({ top: 0, behavior: "smooth" });
      const h1 = $("h1", article);
      if (h1) { h1.setAttribute("tabindex", "-1"); h1.focus({ preventScroll: true }); }
    });
    const open = $("[data-dock=contents]", box);
    if (!open) return;
    const list = el("ol", { class: "contents-list" }, ...heads.map((h) => el("li",
      { class: `level-${h.tagName.charAt(1)}` },
      el("a", { href: `#${h.id}` }, h.textContent.trim()))));
    const dialog = el("dialog", { class: "contents-dialog", "aria-labelledby": "contents-title" },
      el("div", { class: "contents-head" },
        el("h2", { id: "contents-title" }, "Mục lục"),
        el("button", { type: "button", class: "button button-light", "data-close": true }, "Đóng")),
      list);
    document.body.appendChild(dialog);
    function close() { if (dialog.open) dialog.close(); }
    $("[data-close]", dialog).addEventListener("click", close);
    dialog.addEventListener("click", (e) => {
      if (e.target === dialog) close(); // the backdrop
      const a = e.target.closest("a");
      if (a) close();
    });
    dialog.addEventListener("close", () => { open.focus({ preventScroll: true }); });
    open.addEventListener("click", () => {
      // The heading the member is reading: the last one above the middle of the screen.
      let current = 0;
      heads.forEach((h, i) => { if (h.getBoundingClientRect().top < innerHeight * 0.4) current = i; });
      $$("a", list).forEach((a, i) => {
        if (i === current) a.setAttribute("aria-current", "true"); else a.removeAttribute("aria-current");
      });
      if (dialog.showModal) dialog.showModal(); else dialog.setAttribute("open", "");
      const cur = $$("a", list)[current];
      if (cur) { cur.scrollIntoView({ block: "center" }); cur.focus({ preventScroll: true }); }
    });
  }

  // ---- read aloud ----------------------------------------------------------------------
  // From the article on the screen, one paragraph at a time (short utterances, which phones
  // speak reliably and can be stopped between), with pause, previous and next article. Where
  // the phone has no Vietnamese voice, the member is told so and where to get one.
  function vietnameseVoice(synth) {
    return synth.getVoices().filter((v) => /^vi(-|_|$)/i.test(v.lang))[0] || null;
  }
  function waitForVoice(synth, ms) {
    return new Promise((resolve) => {
      const v = vietnameseVoice(synth);
      if (v || !synth.addEventListener) return resolve(v);
      let done = false;
      function check() { const w = vietnameseVoice(synth); if (w && !done) { done = true; resolve(w); } }
      synth.addEventListener("voiceschanged", check);
      setTimeout(() => { if (!done) { done = true; resolve(vietnameseVoice(synth)); } }, ms);
    });
  }
  function setupSpeech(article) {
    const btn = $("[data-action=speak]", article);
    if (!btn) return;
    btn.hidden = false;
    const synth = window.speechSynthesis || null;
    const note = el("p", { class: "speech-note", role: "status" });
    note.hidden = true;
    btn.parentNode.parentNode.insertBefore(note, btn.parentNode.nextSibling);
    function noVoice() {
      note.replaceChildren(
        "Điện thoại này chưa có giọng đọc tiếng Việt nên chưa nghe được. ",
        el("a", { href: `${BASE}huong-dan-cai-dat/#giong-doc` }, "Xem cách cài thêm giọng đọc tiếng Việt"),
        ".");
      note.hidden = false;
    }
    // What is read: headings and paragraphs of the text (not the contents list, not quizzes'
    // answers), each once.
    const blocks = $$(".doc-body h2, .doc-body h3, .doc-body h4, .doc-body p, .doc-body li", article)
      .filter((b) => !b.closest(".toc, .quiz, .form-card") && !$("p, li", b) && b.textContent.trim());
    const starts = [];
    blocks.forEach((b, i) => { if (/^H[234]$/.test(b.tagName)) starts.push(i); });
    if (!starts.length || starts[0] !== 0) starts.unshift(0);
    let bar = null;
    let label = null;
    let pauseBtn = null;
    let cur = 0;
    let gen = 0;
    let playing = false;
    let voice = null;
    function articleOf(i) { let a = 0; starts.forEach((s, k) => { if (s <= i) a = k; }); return a; }
    function mark() {
      $$(".speaking", article).forEach((b) => { b.classList.remove("speaking"); });
      const block = blocks[cur];
      if (!block) return;
      block.classList.add("speaking");
      const r = block.getBoundingClientRect();
      if (r.top < 0 || r.bottom > innerHeight - 120) block.scrollIntoView({ block: "center", behavior: "smooth" });
      const head = blocks[starts[articleOf(cur)]];
      const where = head && /^H/.test(head.tagName) ? head : $("h1", article);
      label.textContent = `Đang đọc: ${where.textContent.trim()}`;
    }
    function speak() {
      const my = gen;
      const block = blocks[cur];
      if (!block) {
        stop();
        return;
      }
      mark();
      const u = new SpeechSynthesisUtterance(block.textContent.trim());
      u.voice = voice;
      u.lang = voice.lang;
      u.rate = 0.9;
      u.onend = () => {
        if (my !== gen || !playing) return;
        cur++;
        if (cur < blocks.length) speak();
        else stop();
      };
      u.onerror = u.onend;
      synth.speak(u);
    }
    function play(i) {
      gen++;
      synth.cancel();
      cur = Math.max(0, Math.min(i, blocks.length - 1));
      playing = true;
      pauseBtn.textContent = "Tạm dừng";
      bar.hidden = false;
      document.body.classList.add("is-speaking");
      btn.textContent = "Dừng nghe";
      speak();
    }
    function pause() {
      gen++;
      playing = false;
      synth.cancel();
      pauseBtn.textContent = "Đọc tiếp";
    }
    function stop() {
      gen++;
      playing = false;
      synth.cancel();
      if (bar) bar.hidden = true;
      document.body.classList.remove("is-speaking");
      $$(".speaking", article).forEach((b) => { b.classList.remove("speaking"); });
      btn.textContent = "Nghe";
    }
    function firstOnScreen() {
      // The article on the screen: the last heading above the upper part of the screen, or
      // the first paragraph in view before any heading.
      const top = innerHeight * 0.4;
      let pick = -1;
      starts.forEach((s) => { if (blocks[s].getBoundingClientRect().top <= top) pick = s; });
      if (pick >= 0 && /^H/.test(blocks[pick].tagName)) return pick;
      for (let i = 0; i < blocks.length; i++) if (blocks[i].getBoundingClientRect().bottom > 0) return i;
      return 0;
    }
    function makeBar() {
      const speechButton = (what, text, attrs) => el("button", { type: "button", "data-speech": what, ...attrs }, text);
      label = el("p", { class: "speech-label", "aria-live": "polite" });
      pauseBtn = speechButton("pause", "Tạm dừng");
      bar = el("div", { class: "speech-bar", role: "region", "aria-label": "Nghe đọc" },
        label,
        el("div", { class: "speech-buttons" },
          speechButton("prev", "‹ Điều trước"),
          pauseBtn,
          speechButton("next", "Điều sau ›"),
          speechButton("stop", "✕", { "aria-label": "Thôi nghe" })));
      bar.hidden = true;
      dock().insertBefore(bar, dock().firstChild);
      bar.addEventListener("click", (e) => {
        const b = e.target.closest("button[data-speech]");
        if (!b) return;
        const what = b.getAttribute("data-speech");
        const a = articleOf(cur);
        if (what === "pause") { if (playing) pause(); else play(cur); }
        else if (what === "next") play(a + 1 < starts.length ? starts[a + 1] : blocks.length - 1);
        else if (what === "prev") play(starts[Math.max(0, a - 1)]);
        else stop();
      });
    }
    btn.addEventListener("click", () => {
      if (playing || (bar && !bar.hidden)) { stop(); return; }
      if (!synth || typeof SpeechSynthesisUtterance === "undefined" || !blocks.length) { noVoice(); return; }
      btn.disabled = true;
      waitForVoice(synth, 1500).then((v) => {
        btn.disabled = false;
        if (!v) { noVoice(); return; }
        voice = v;
        note.hidden = true;
        if (!bar) makeBar();
        play(firstOnScreen());
      });
    });
    window.addEventListener("pagehide", () => { if (playing) synth.cancel(); });
  }

  function setupFeedback(article, doc, version) {
    const box = $(".feedback", article);
    if (!box || !Outbox) return;
    box.hidden = false;
    const form = $("form", box);
    const out = $(".feedback-status", box);
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const text = form.elements.text.value.trim();
      if (!text) { out.textContent = "Vui lòng nhập nội dung góp ý."; return; }
      Outbox.get("token").then((t) => Outbox.get("registration").then((r) => {
          if (!t && !r) { out.textContent = "Hãy đăng ký sổ tay trước khi góp ý (trang Đăng ký)."; return; }
          return queue({ type: "feedback", doc, version, text: text.slice(0, 2000) }).then(() => {
            form.reset();
            out.textContent = navigator.onLine === false
              ? "Đã lưu góp ý; sẽ gửi khi có mạng."
              : "Đã gửi góp ý. Cảm ơn đồng chí.";
          });
        }));
    });
  }

  // ---- registration page -------------------------------------------------------------
  // The member types what is on the party card, on a phone keyboard: the form checks what it
  // can (in Vietnamese, next to the field), the server matches the rest (DESIGN.md,
  // "Registration matching"), and every answer is said in the member's words with what to do.

  /** A birth date as typed ("2/9/1968", "02.09.1968", "02091968", "1968-09-02") -> YYYY-MM-DD. */
  function parseBirthDate(s) {
    s = String(s || "").trim();
    let d;
    let m;
    let y;
    let p;
    if ((p = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(s))) { y = +p[1]; m = +p[2]; d = +p[3]; }
    else if ((p = /^(\d{2})(\d{2})(\d{4})$/.exec(s))) { d = +p[1]; m = +p[2]; y = +p[3]; }
    else {
      p = s.split(/[^0-9]+/).filter(Boolean);
      if (p.length !== 3 || p[2].length !== 4) return null;
      d = +p[0]; m = +p[1]; y = +p[2];
    }
    const t = new Date(Date.UTC(y, m - 1, d));
    if (t.getUTCFullYear() !== y || t.getUTCMonth() !== m - 1 || t.getUTCDate() !== d) return null;
    if (y < 1900 || t.getTime() > Date.now()) return null;
    function two(n) { return (n < 10 ? "0" : "") + n; }
    return `${y}-${two(m)}-${two(d)}`;
  }

  /** "1968-09-02" -> "02/09/1968", as members write it. */
  function viDate(iso) {
    const p = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso || "");
    return p ? `${p[3]}/${p[2]}/${p[1]}` : iso || "";
  }

  /** How long until `at` (ms since 1970), in words: "12 phút", "40 giây", "2 giờ 5 phút". */
  function waitWords(at) {
    const s = Math.max(1, Math.ceil((at - Date.now()) / 1000));
    if (s < 60) return `${s} giây`;
    const min = Math.ceil(s / 60);
    if (min < 60) return `${min} phút`;
    return `${Math.floor(min / 60)} giờ${min % 60 ? ` ${min % 60} phút` : ""}`;
  }
  function clock(at) {
    const t = new Date(at);
    return `${t.getHours()}:${t.getMinutes() < 10 ? "0" : ""}${t.getMinutes()}`;
  }

  const REGISTER_CHECKS = {
    card_number (v) {
      const digits = v.replace(/[\s.-]/g, "");
      if (/^[0-9]{6,20}$/.test(digits)) return null;
      return "Số thẻ đảng viên là dãy số in trên thẻ (từ 6 đến 20 chữ số; có thể gõ cả dấu chấm, dấu cách).";
    },
    full_name (v) {
      return v.trim() ? null : "Nhập họ và tên như trên thẻ đảng viên.";
    },
    birth_date (v) {
      return parseBirthDate(v) ? null : "Ngày sinh chưa đúng. Viết ngày/tháng/năm, ví dụ 02/09/1968.";
    },
    unit_code (v) {
      if (/^[A-Za-z0-9._-]{1,64}$/.test(v.trim())) return null;
      return "Mã chi bộ chỉ gồm chữ, số và dấu chấm, ví dụ TU.01.01.01. Nếu chưa biết mã, hỏi bí thư chi bộ.";
    },
  };

  /** The server's refusal of a registration (kept by outbox.js), in the member's words. */
  function registrationAnswer(e) {
    if (!e || typeof e !== "object") return "Đăng ký chưa thành công. Đồng chí kiểm tra lại thông tin và gửi lại.";
    if (e.status === 429) {
      const at = e.retry_at || Date.now() + 15 * 60 * 1000;
      if (at <= Date.now()) return "Đồng chí có thể đăng ký lại ngay bây giờ.";
      return "Đồng chí đã thử đăng ký nhiều lần liên tiếp. Để bảo vệ thông tin đảng viên, máy chủ tạm khóa: "
        + `vui lòng thử lại sau ${waitWords(at)} (sau ${clock(at)}).`;
    }
    if (e.status === 401) {
      return "Thông tin chưa khớp với danh sách đảng viên của chi bộ. Đồng chí kiểm tra lại số thẻ, họ và tên, "
        + "ngày sinh và mã chi bộ; nếu vẫn không được, liên hệ bí thư chi bộ.";
    }
    if (e.code === "invalid_card_number") return REGISTER_CHECKS.card_number("");
    if (e.code === "invalid_birth_date") return REGISTER_CHECKS.birth_date("");
    if (e.code === "invalid_unit_code") return REGISTER_CHECKS.unit_code("");
    return "Đăng ký chưa thành công: thông tin gửi đi chưa đúng dạng. Đồng chí kiểm tra lại và gửi lại.";
  }

  function setupRegister() {
    const form = $("form.register");
    if (!form || !Outbox) return;
    const out = $(".register-status");
    const done = $(".register-done");
    const formBox = $(".register-form");
    const button = $("button[type=submit]", form);
    const f = form.elements;

    function fieldError(name, text) {
      const input = f[name];
      const error = document.getElementById(`${input.id}-error`);
      if (text) input.setAttribute("aria-invalid", "true"); else input.removeAttribute("aria-invalid");
      if (error) {
        error.textContent = text || "";
        error.hidden = !text;
      }
    }
    f.birth_date.addEventListener("blur", () => {
      const iso = parseBirthDate(f.birth_date.value);
      if (iso) f.birth_date.value = viDate(iso);
    });

    function show() {
      const kept = [Outbox.get("member"), Outbox.get("registration"), Outbox.get("registration_error")];
      return Promise.all(kept).then(([member, pending, error]) => {
        button.disabled = false;
        if (member) {
          const unit = member.unit_name ? `, ${member.unit_name}` : "";
          $(".register-who", done).textContent =
            `Máy này đã đăng ký cho đồng chí ${member.full_name}${unit} (mã chi bộ ${member.unit_code}).`;
          done.hidden = false;
          formBox.hidden = true;
          out.textContent = "";
        } else if (pending) {
          pendingRegistration(out, form);
        } else if (error) {
          out.textContent = registrationAnswer(error);
          if (out.scrollIntoView) out.scrollIntoView({ block: "nearest" });
          // What was typed stays, so that only the wrong part is typed again.
          const typed = error.form || {};
          Object.keys(REGISTER_CHECKS).forEach((k) => {
            if (!f[k].value && typed[k]) f[k].value = k === "birth_date" ? viDate(typed[k]) : typed[k];
          });
        }
      });
    }
    show();
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      let first = null;
      Object.keys(REGISTER_CHECKS).forEach((k) => {
        const problem = REGISTER_CHECKS[k](f[k].value);
        fieldError(k, problem);
        if (problem && !first) first = f[k];
      });
      if (first) { first.focus(); out.textContent = "Đồng chí xem lại ô được đánh dấu."; return; }
      const reg = {
        card_number: f.card_number.value.trim(), full_name: f.full_name.value.trim(),
        birth_date: parseBirthDate(f.birth_date.value), unit_code: f.unit_code.value.trim(),
      };
      button.disabled = true;
      out.textContent = "Đang gửi…";
      // A flush already under way (the page's own, at load) may have passed the registration
      // by: then one more, for this one (not after a failure: the member is told at once).
      function send() { nextTry = 0; return flush(); }
      Outbox.register(reg).then(send).then(() => Outbox.get("registration"))
        .then((r) => r && !lastFailure ? send() : null).then(show, show);
    });
  }

  /** A registration not sent yet: why, in the member's words, with a "Thử lại" button that
   *  sends the form again (net.js). It stays saved on the phone and is sent later anyway. */
  function pendingRegistration(out, form) {
    const why = navigator.onLine === false ? "Điện thoại đang không có mạng."
      : lastFailure && lastFailure.kind === "timeout"
        ? "Chưa gửi được: máy chủ không trả lời (mạng chậm hoặc mất kết nối)."
      : "Chưa gửi được (mạng yếu hoặc máy chủ đang bận).";
    const text = `${why} Thông tin đăng ký đã được lưu trên máy và sẽ tự gửi khi có mạng; đồng chí không cần nhập lại.`;
    if (window.SotayNet && form.requestSubmit) window.SotayNet.offerRetry(out, text, () => { form.requestSubmit(); });
    else out.textContent = text;
  }

  // ---- bookmarks page ("Đọc sau") -----------------------------------------------------
  // The list kept on the phone; each entry can be removed.
  function setupBookmarks() {
    const list = $(".bookmark-list");
    if (!list || !Outbox) return;
    const empty = $(".bookmark-empty");
    function render(b) {
      list.replaceChildren();
      empty.hidden = b.length > 0;
      b.forEach((x) => {
        const rm = el("button", {
          type: "button",
          class: "button button-light bookmark-remove",
          "aria-label": `Bỏ “${x.title}” khỏi danh sách Đọc sau`,
        }, "Bỏ");
        rm.addEventListener("click", () => { remove(x.url, x.title); });
        list.appendChild(el("li", { class: "bookmark" }, el("a", { href: x.url }, x.title), rm));
      });
    }
    function remove(url, title) {
      Outbox.get("bookmarks").then((b) => {
        b = (b || []).filter((x) => x.url !== url);
        return Outbox.set("bookmarks", b).then(() => {
          render(b);
          say(`Đã bỏ “${title}” khỏi danh sách Đọc sau.`);
          const next = $(".bookmark a", list) || $("h1");
          if (next) { if (next.tagName === "H1") next.setAttribute("tabindex", "-1"); next.focus(); }
        });
      });
    }
    Outbox.get("bookmarks").then((b) => { render(b || []); });
  }

  // ---- install -----------------------------------------------------------------------
  function setupInstall() {
    const btn = $(".install-button");
    if (!btn) return;
    let prompt = null;
    window.addEventListener("beforeinstallprompt", (e) => {
      e.preventDefault();
      prompt = e;
      btn.hidden = false;
    });
    btn.addEventListener("click", () => {
      if (!prompt) return;
      prompt.prompt();
      prompt.userChoice.then((c) => {
        if (c.outcome === "accepted") say("Đã cài đặt sổ tay lên màn hình chính.");
        btn.hidden = true;
      });
    });
  }

  // ---- sections: keep this section offline -------------------------------------------
  function setupPin() {
    const btn = $(".pin-section");
    if (!btn || !("serviceWorker" in navigator)) return;
    btn.hidden = false;
    btn.addEventListener("click", () => {
      const urls = [location.pathname].concat($$(".items a.item-title").map((a) => new URL(a.href).pathname));
      navigator.serviceWorker.ready.then((reg) => {
        if (reg.active) reg.active.postMessage({ type: "pin", urls });
        say("Đang lưu mục này để đọc khi không có mạng…", true);
      });
    });
  }

  setupFontSize();
  setupMenu();
  setupNetStatus();
  setupContinueReading();
  setupPrompts();
  setupMeetingMonths();
  setupQuizzes();
  setupServiceWorker();
  setupDocument();
  setupRegister();
  setupBookmarks();
  setupInstall();
  setupPin();
  updateMemberLine();
  flush();
  window.addEventListener("online", () => { nextTry = 0; flush(); });
  setInterval(flush, 60000);
  window.SotayApp = { flush, queue };
})();
