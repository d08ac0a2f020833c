// Notices from the committees on the phone (DESIGN.md, "Notices"). The phone asks for the
// notices of its member's units (outbox.js `refreshNotices`: conditional, so nothing is sent
// again when nothing changed) when the handbook is opened online, when it comes back online and
// after the outbox has sent what waited, and keeps them in IndexedDB: the list page
// (/thong-bao/) and every notice open offline. The home page's `[data-notices]` link shows how
// many are unread. Opening a notice records `notice_read` through the outbox (once per notice
// on this phone, sent when the network allows); the member can answer with a "góp ý" (a
// feedback event naming the notice). A notice's body is plain text: shown as text, line by
// line, with links made only of the handbook's own paths and addresses. Where the server has
// Web Push on and the phone allows it, the notices page offers to show new notices as the
// phone's notifications (the service worker shows them and opens the notice when tapped).
(() => {
  "use strict";
  const Outbox = window.SotayOutbox;
  const BASE = document.body.getAttribute("data-base") || "/";
  if (!Outbox) return;

  const { $, $$, el } = window.SotayDom;
  function offline() { return navigator.onLine === false; }
  /** "2026-12-10T08:30:00+07:00" -> "08:30 10/12/2026" (Vietnam's time, as the server writes it). */
  function viTime(s) {
    const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(s || "");
    return m ? `${m[4]}:${m[5]} ${m[3]}/${m[2]}/${m[1]}` : s || "";
  }
  function viDate(s) {
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s || "");
    return m ? `${m[3]}/${m[2]}/${m[1]}` : s || "";
  }
  function today() {
    const d = new Date(Date.now() + 7 * 3600 * 1000);
    return d.toISOString().slice(0, 10);
  }

  // ---- what this phone keeps -----------------------------------------------------------
  /** {list, read: {id: true}} — the notices kept, and those opened on this phone (also before
   *  the server has heard of it). A notice past its last day is not listed. */
  function state() {
    const keys = ["notices", "notices_read", "token", "registration"];
    return Promise.all(keys.map(Outbox.get)).then(([kept, read, token, registration]) => {
      const day = today();
      const shown = ((kept && kept.list) || []).filter((n) => !n.expires_on || n.expires_on >= day);
      const checked = (kept && kept.checked) || 0;
      return { list: shown, read: read || {}, checked, registered: !!(token || registration) };
    });
  }
  function isRead(st, n) { return !!(n.read || st.read[n.id]); }
  function unread(st) { return st.list.filter((n) => !isRead(st, n)).length; }

  // ---- asking the server -------------------------------------------------------------
  let asking = null;
  /** Asks the server unless it was asked less than `minAge` ms ago; then shows the result. */
  function refresh(minAge) {
    if (offline() || asking) return asking || Promise.resolve(null);
    return Outbox.get("notices").then((kept) => {
      if (kept && minAge && Date.now() - (kept.checked || 0) < minAge) return null;
      asking = Outbox.refreshNotices().catch(() => null).then((r) => {
        asking = null;
        show();
        return r;
      });
      return asking;
    });
  }

  // ---- showing -------------------------------------------------------------------------
  function badge(st) {
    const n = unread(st);
    $$("[data-notices]").forEach((a) => {
      a.hidden = !st.list.length && !st.registered;
      const count = $(".notice-count", a);
      if (count) {
        count.textContent = String(n);
        count.hidden = n === 0;
      }
      a.setAttribute("aria-label", n ? `Thông báo của cấp ủy: ${n} thông báo chưa đọc` : "Thông báo của cấp ủy");
      a.classList.toggle("has-unread", n > 0);
    });
  }

  const LINK = /(https?:\/\/[^\s<>"]+|\/[^\s<>"]*)/g;
  /** A link's address if `token` names a page of this handbook, else null. */
  function handbookUrl(token) {
    let u;
    try {
      u = token.charAt(0) === "/" ? new URL(BASE.replace(/\/$/, "") + token, location.origin) : new URL(token);
    } catch (e) {
      return null;
    }
    if (u.origin !== location.origin || !u.pathname.startsWith(BASE)) return null;
    return u.href;
  }
  /** The body as text: a line per line, links for the handbook's own pages. */
  function renderBody(box, text) {
    box.textContent = "";
    String(text || "").split("\n").forEach((line) => {
      const p = el("p");
      if (!line.trim()) p.className = "notice-gap";
      let last = 0;
      line.replace(LINK, (m, _g, at) => {
        // A path needs a word before it or the start of the line ("7:30/8:00" is not a link),
        // and trailing punctuation is the sentence's.
        if (m.charAt(0) === "/" && at > 0 && !/\s|\(/.test(line.charAt(at - 1))) return m;
        const tail = /[.,;:!?)]+$/.exec(m);
        const token = tail ? m.slice(0, -tail[0].length) : m;
        const href = token.length > 1 ? handbookUrl(token) : null;
        if (!href) return m;
        p.append(line.slice(last, at), el("a", { href }, token));
        last = at + token.length;
        return m;
      });
      p.append(line.slice(last));
      box.appendChild(p);
    });
  }

  function pageUrl(id) {
    return `${BASE}thong-bao/${id ? `?id=${encodeURIComponent(id)}` : ""}`;
  }

  function list(page, st) {
    const ul = $(".notice-list", page);
    const status = $(".notices-status", page);
    ul.textContent = "";
    ul.hidden = false;
    $(".notice-view", page).hidden = true;
    if (!st.registered) {
      status.replaceChildren("Đồng chí cần đăng ký sổ tay để nhận thông báo của cấp ủy: ",
        el("a", { href: `${BASE}dang-ky/` }, "Đăng ký"));
      return;
    }
    if (!st.list.length) {
      if (st.checked) status.textContent = "Chưa có thông báo nào.";
      else if (offline()) status.textContent = "Điện thoại đang không có mạng; khi có mạng, thông báo sẽ được tải về.";
      else status.textContent = "Đang tải thông báo…";
      return;
    }
    const n = unread(st);
    status.textContent = n ? `${n} thông báo chưa đọc.` : "Đồng chí đã đọc tất cả thông báo.";
    st.list.forEach((x) => {
      const read = isRead(st, x);
      ul.appendChild(el("li", { class: `notice-item${read ? "" : " unread"}` },
        el("a", { href: pageUrl(x.id), "data-id": x.id }, x.title),
        !read && el("span", { class: "notice-new" }, "Chưa đọc"),
        el("span", { class: "meta" }, `${x.unit.name} · ${viTime(x.created_at)}`)));
    });
  }

  function view(page, st, id) {
    const n = st.list.filter((x) => x.id === id)[0];
    const box = $(".notice-view", page);
    // Shown already (a later answer from the server changes nothing here): keep what the
    // member may be typing.
    if (n && box.getAttribute("data-shown") === id) return;
    box.setAttribute("data-shown", n ? id : "");
    $(".notice-list", page).hidden = true;
    $(".notices-status", page).textContent = "";
    box.hidden = false;
    box.textContent = "";
    box.appendChild(el("p", {}, el("a", { href: pageUrl(""), class: "notice-back" }, "‹ Tất cả thông báo")));
    if (!n) {
      box.appendChild(el("p", { class: "notice-missing" }, offline()
        ? "Thông báo này chưa được tải về máy. Khi có mạng, mở lại trang này."
        : "Không tìm thấy thông báo này: có thể cấp ủy đã thu hồi hoặc thông báo đã hết hạn."));
      return;
    }
    box.appendChild(el("h2", { class: "notice-title" }, n.title));
    const until = n.expires_on ? ` · đến hết ngày ${viDate(n.expires_on)}` : "";
    box.appendChild(el("p", { class: "meta" }, `${n.unit.name} · ${viTime(n.created_at)}${until}`));
    const body = el("div", { class: "notice-body" });
    renderBody(body, n.body);
    box.appendChild(body);
    box.appendChild(replyForm(n));
    markRead(n);
  }

  /** Records that the member opened `n`: once per notice on this phone (the server counts a
   *  member once however often; this spares the network). */
  function markRead(n) {
    return Outbox.get("notices_read").then((kept) => {
      const read = kept || {};
      if (read[n.id] || n.read) return null;
      read[n.id] = new Date().toISOString();
      const ev = { type: "notice_read", notice: n.id };
      const queued = window.SotayApp ? window.SotayApp.queue(ev) : Outbox.add(ev);
      return Outbox.set("notices_read", read).then(() => queued);
    }).then(() => state().then(badge));
  }

  function replyForm(n) {
    const form = el("form", { class: "notice-reply" });
    const id = `reply-${n.id}`;
    const ta = el("textarea", { id, name: "text", rows: "3", maxlength: "2000" });
    const out = el("p", { class: "notice-reply-status", role: "status" });
    form.append(
      el("label", { for: id }, "Góp ý về thông báo này"),
      ta,
      el("button", { type: "submit", class: "button" }, "Gửi góp ý"),
      out);
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const text = ta.value.trim();
      if (!text) { out.textContent = "Vui lòng nhập nội dung góp ý."; return; }
      const ev = { type: "feedback", notice: n.id, text: text.slice(0, 2000) };
      (window.SotayApp ? window.SotayApp.queue(ev) : Outbox.add(ev)).then(() => {
        form.reset();
        out.textContent = offline()
          ? "Đã lưu góp ý; sẽ gửi khi có mạng."
          : "Đã gửi góp ý tới cấp ủy. Cảm ơn đồng chí.";
      });
    });
    return form;
  }

  // ---- Web Push: new notices shown as the phone's notifications, where it allows them ---------
  /** base64url -> bytes (the server's VAPID key, for pushManager.subscribe). */
  function bytes(s) {
    const b = atob(s.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((s.length + 3) % 4));
    const a = new Uint8Array(b.length);
    for (let i = 0; i < b.length; i++) a[i] = b.charCodeAt(i);
    return a;
  }
  function pushApi(method, sub) {
    return Outbox.get("token").then((token) => {
      if (!token) throw new Error("chưa đăng ký");
      return fetch(`${BASE}api/v1/push/subscription`, {
        method, credentials: "same-origin", cache: "no-store",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify(method === "DELETE" ? { endpoint: sub.endpoint } : sub),
      });
    }).then((res) => { if (!res.ok) throw new Error(`HTTP ${res.status}`); });
  }
  /** The notices page's box: offers to turn notifications on (once the server has push on and
   *  the phone can), says when they are on, and turns them off. Hidden otherwise. */
  function pushBox(page, st) {
    const box = $("[data-push]", page);
    if (!box || !st.registered || box.getAttribute("data-state") || offline()) return;
    if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) return;
    box.setAttribute("data-state", "asking");
    Promise.all([
      navigator.serviceWorker.ready,
      fetch(`${BASE}api/v1/push/key`, { cache: "no-store" }).then((r) => (r.ok ? r.json() : null)),
    ]).then(([reg, answer]) => {
      const key = answer && answer.public_key;
      if (!key) {
        box.setAttribute("data-state", "off");
        return null;
      }
      return reg.pushManager.getSubscription().then((sub) => { renderPush(box, reg, key, sub, ""); });
    }).catch(() => { box.removeAttribute("data-state"); });
  }
  function renderPush(box, reg, key, sub, note) {
    box.hidden = false;
    box.textContent = "";
    const denied = Notification.permission === "denied";
    box.setAttribute("data-state", sub ? "on" : denied ? "denied" : "offer");
    const msg = el("p", { class: "notice-push-status", role: "status" });
    msg.textContent = note || (sub
      ? "Điện thoại này nhận thông báo mới của cấp ủy ngay khi cấp ủy gửi."
      : denied
        ? "Điện thoại đang chặn thông báo của sổ tay. "
          + "Muốn nhận, đồng chí cho phép thông báo trong cài đặt của trình duyệt."
        : "Nhận thông báo mới của cấp ủy ngay trên điện thoại, không cần mở sổ tay.");
    box.appendChild(msg);
    if (denied && !sub) return;
    const btn = el("button", { type: "button", class: "button" }, sub ? "Tắt nhận thông báo" : "Bật nhận thông báo");
    box.appendChild(btn);
    btn.addEventListener("click", () => {
      btn.disabled = true;
      if (sub) {
        pushApi("DELETE", sub).then(() => sub.unsubscribe()).then(() => {
          renderPush(box, reg, key, null, "Đã tắt nhận thông báo trên điện thoại này.");
        }, () => {
          renderPush(box, reg, key, sub, "Chưa tắt được: cần có mạng. Đồng chí thử lại sau.");
        });
        return;
      }
      Notification.requestPermission().then((p) => {
        if (p !== "granted") throw new Error("permission");
        return reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: bytes(key) });
      }).then((s) => {
        // The server did not take it: no subscription is left that it does not know of.
        const undo = (e) => s.unsubscribe().then(() => { throw e; }, () => { throw e; });
        return pushApi("PUT", s.toJSON()).then(() => s, undo);
      }).then((s) => {
        renderPush(box, reg, key, s, "Đã bật: thông báo mới của cấp ủy sẽ hiện trên điện thoại này.");
      }, (e) => {
        box.setAttribute("data-error", String(e && (e.name || e.message)));
        renderPush(box, reg, key, null, String(e && e.message) === "permission"
          ? "Chưa bật được: điện thoại chưa cho phép sổ tay hiện thông báo."
          : "Chưa bật được nhận thông báo trên điện thoại này (trình duyệt hoặc mạng không cho phép). "
            + "Thông báo vẫn hiện khi đồng chí mở sổ tay.");
      });
    });
  }

  function show() {
    return state().then((st) => {
      badge(st);
      const page = $("[data-notices-page]");
      if (!page) return;
      const id = new URLSearchParams(location.search).get("id");
      if (id) view(page, st, id); else list(page, st);
      pushBox(page, st);
    });
  }

  show();
  // Opening the handbook online: the home page and the notices' page always ask (a 304 costs
  // little); other pages at most every ten minutes.
  const home = document.body.classList.contains("kind-home") || !!$("[data-notices-page]");
  refresh(home ? 0 : 10 * 60 * 1000);
  window.addEventListener("online", () => { refresh(0); });
  // The outbox has just sent what waited: the network works, look for news (at most once a
  // minute).
  window.addEventListener("sotay:synced", () => { refresh(60 * 1000); });
  // Another tab or the service worker changed what is kept.
  window.addEventListener("focus", () => { show(); });
  // A push brought a new notice (the service worker has kept it already).
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.addEventListener("message", (e) => {
      if (e.data && e.data.type === "notices") show();
    });
  }
  window.SotayNotices = { refresh, show };
})();
