// The cell meeting on the phone (DESIGN.md, "Cell meetings"). Where the month's material is
// shown (its documents, the section's agenda card, the home page's card) every member of the
// cell sees the planned meeting (with an .ics file for the phone's calendar) and, once held,
// "Chi bộ đã sinh hoạt ngày …, 8/9 đảng viên dự"; a member can mark the material read. The
// secretary or deputy sets the time and place and runs the meeting: the agenda, the attendance
// list from the roster, then "Kết thúc và ghi nhận", which works with no network (outbox.js
// keeps the request until the server has answered). The printed packet gets the cell's names.
(() => {
  "use strict";
  const Outbox = window.SotayOutbox;
  const BASE = document.body.getAttribute("data-base") || "/";
  if (!Outbox) return;

  const { $, $$, el } = window.SotayDom;
  function button(text, act, light) {
    return el("button", { type: "button", class: `button${light ? " button-light" : ""}`, "data-act": act }, text);
  }
  function offline() { return navigator.onLine === false; }
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  /** "2026-12-10" -> "10/12/2026" */
  function viDate(iso) {
    const p = String(iso).split("-");
    return p.length === 3 ? `${p[2]}/${p[1]}/${p[0]}` : iso;
  }
  function viMonth(m) { const p = m.split("-"); return `tháng ${parseInt(p[1], 10)}/${p[0]}`; }
  const DAYS = ["Chủ nhật", "thứ Hai", "thứ Ba", "thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy"];
  /** "2026-12-10T19:30" -> "19:30, thứ Năm 10/12/2026" */
  function viStart(s) {
    const d = new Date(`${s.slice(0, 10)}T00:00:00Z`);
    return `${s.slice(11, 16)}, ${DAYS[d.getUTCDay()]} ${viDate(s.slice(0, 10))}`;
  }
  /** Today in Vietnam, YYYY-MM-DD. */
  function today() {
    const d = new Date(Date.now() + 7 * 3600 * 1000);
    return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
  }
  function printUrl(month) { return `${BASE}ban-in/sinh-hoat-${month}/`; }
  function recordPath(month) { return `api/v1/meetings/${month}`; }

  function api(method, path, token) {
    // Gives up (net.js) rather than hang on a stalled network: what was kept is shown instead.
    const opts = {
      method, headers: { authorization: `Bearer ${token}` }, cache: "no-store", credentials: "same-origin",
    };
    return (window.SotayNet ? window.SotayNet.request(BASE + path, opts) : fetch(BASE + path, opts))
      .then((r) => {
        if (!r.ok) throw new Error(String(r.status));
        return r.json();
      });
  }

  let catalogP = null;
  /** The documents of `month`'s material: [{id, url, title, hash}] (meetings.json, the
   *  catalog's documents of meetings, is kept offline). */
  function docsOf(month) {
    if (!catalogP) {
      catalogP = fetch(`${BASE}meetings.json`).then((r) => r.json()).catch(() => {
        catalogP = null;
        return { documents: [] };
      });
    }
    return catalogP.then((c) => c.documents.filter((d) => d.meeting === month));
  }

  // ---- what this phone knows of a month --------------------------------------------
  function state(month) {
    const key = `PUT ${recordPath(month)}`;
    return Promise.all([
      Outbox.get("member"), Outbox.get("token"), Outbox.get(`meeting:${month}`), Outbox.get(`draft:${month}`),
      Outbox.pendingRequest(key), Outbox.get(`answer:${key}`), Outbox.get(`readmark:${month}`),
      Outbox.pendingRequest(`PUT ${recordPath(month)}/schedule`),
    ]).then(([member, token, server, draft, pending, answer, readmark, pendingSchedule]) => ({
      month, member, token, server: server || {}, draft, pending, answer, readmark, pendingSchedule,
    }));
  }
  function isSecretary(m) { return !!m && (m.role === "bi-thu" || m.role === "pho-bi-thu"); }

  /** Asks the server for the month's record and schedule (and, for the secretary, the cell's
   *  members); keeps the answers for offline use. Offline, or if it fails, what was kept. */
  function refresh(month) {
    return Promise.all([Outbox.get("token"), Outbox.get("member")]).then(([token, m]) => {
      if (!token || offline()) return null;
      const jobs = [api("GET", recordPath(month), token).then((a) => {
        a.at = Date.now();
        return Outbox.set(`meeting:${month}`, a);
      })];
      if (isSecretary(m)) {
        jobs.push(api("GET", `${recordPath(month)}/members`, token).then((a) => Outbox.set(`roster:${month}`, a)));
      }
      return Promise.all(jobs).catch(() => null);
    });
  }

  /** The record to show: the server's, or the one waiting in the outbox. */
  function shownRecord(s) {
    if (s.pending) return { meeting: local(s.pending.body, s), waiting: true };
    if (s.server.meeting) return { meeting: s.server.meeting, waiting: false };
    return null;
  }
  function local(body, s) {
    const roster = s.roster || {};
    const members = roster.members ? roster.members.length : (body.present.length + body.excused.length);
    return { held_on: body.held_on, present: body.present.length, members };
  }
  function doneText(m) {
    return `Chi bộ đã sinh hoạt ngày ${viDate(m.held_on)}, ${m.present}/${m.members} đảng viên dự`;
  }

  // ---- the panel --------------------------------------------------------------------
  function panels() {
    const out = $$("[data-meeting-panel][data-month]");
    // The section's agenda card (the `meeting` directive) gets a panel too.
    $$(".meeting-card[data-month]").forEach((card) => {
      if ($("[data-meeting-panel]", card) || card.closest("[data-meeting-panel]")) return;
      const p = el("div",
        { class: "meeting-panel", "data-meeting-panel": "", "data-month": card.getAttribute("data-month") });
      card.appendChild(p);
      out.push(p);
    });
    return out.filter((p) => /^\d{4}-\d{2}$/.test(p.getAttribute("data-month")));
  }

  function render(panel) {
    const month = panel.getAttribute("data-month");
    return Promise.all([state(month), Outbox.get(`roster:${month}`)]).then(([s, roster]) => {
      s.roster = roster;
      if (panel.getAttribute("data-mode") === "meeting") return;
      panel.textContent = "";
      panel.hidden = false;
      if (!s.member) {
        panel.appendChild(el("p", { class: "meta" },
          "Đăng ký sổ tay để xem lịch sinh hoạt và ghi nhận buổi sinh hoạt của chi bộ."));
        panel.appendChild(printLink(month));
        return;
      }
      const waiting = s.pendingSchedule && s.pendingSchedule.body;
      const sch = waiting ? { starts_at: waiting.starts_at, place: waiting.place, waiting: true } : s.server.schedule;
      const line = el("p", { class: "meeting-schedule" });
      if (sch) {
        line.append(el("strong", null, `Lịch sinh hoạt ${viMonth(month)}: `),
          `${viStart(sch.starts_at)}, tại ${sch.place}${sch.waiting ? " (đang chờ gửi)" : ""}`);
        panel.appendChild(line);
        const ics = button("Thêm vào lịch điện thoại", "ics", true);
        ics.addEventListener("click", () => { downloadIcs(month, sch, s.member); });
        panel.appendChild(el("p")).appendChild(ics);
      } else {
        line.textContent = `Chi bộ chưa có lịch sinh hoạt ${viMonth(month)}.`;
        panel.appendChild(line);
      }
      const rec = shownRecord(s);
      if (rec) {
        const kept = rec.waiting ? " (đã lưu trên máy, sẽ gửi khi có mạng)" : "";
        panel.appendChild(el("p", { class: "meeting-done", role: "status" }, `${doneText(rec.meeting)}${kept}.`));
      }
      if (s.answer && s.answer.error) {
        panel.appendChild(el("p", { class: "meeting-error", role: "alert" },
          `Chưa ghi nhận được: ${s.answer.error.message}`));
      }
      if (!rec) {
        if (s.readmark) {
          panel.appendChild(el("p", { class: "meeting-read" }, `Đồng chí đã đánh dấu đọc tài liệu ${viMonth(month)}.`));
        } else {
          const read = button("Tôi đã đọc tài liệu tháng này", "read", true);
          read.addEventListener("click", () => { markRead(month, panel); });
          panel.appendChild(el("p")).appendChild(read);
        }
      }
      if (isSecretary(s.member)) {
        const tools = el("p", { class: "meeting-tools" });
        const start = button(rec ? "Sửa kết quả sinh hoạt" : "Bắt đầu sinh hoạt", "start");
        start.addEventListener("click", () => { meeting(panel, month); });
        const plan = button(sch ? "Đổi lịch sinh hoạt" : "Đặt lịch sinh hoạt", "schedule", true);
        plan.addEventListener("click", () => { scheduleForm(panel, month, sch); });
        tools.append(start, " ", plan);
        panel.appendChild(tools);
      }
      panel.appendChild(printLink(month));
    });
  }

  function printLink(month) {
    return el("p", { class: "meeting-print" },
      el("a", { href: printUrl(month) }, "Bản in tài liệu và danh sách điểm danh (khổ A4, chữ lớn)"));
  }

  function renderAll() { return Promise.all(panels().map(render)); }

  // ---- members: the material read before the meeting --------------------------------
  function markRead(month, panel) {
    docsOf(month).then((docs) => {
      const app = window.SotayApp;
      return Promise.all(docs.map((d) => {
        const ev = { type: "read", doc: d.id, version: d.hash };
        return app ? app.queue(ev) : Outbox.add(ev);
      }));
    }).then(() => Outbox.set(`readmark:${month}`, Date.now())).then(() => render(panel));
  }

  // ---- the calendar file ------------------------------------------------------------
  function icsText(s) {
    return String(s).replace(/\\/g, "\\\\").replace(/;/g, "\\;").replace(/,/g, "\\,").replace(/\r?\n/g, "\\n");
  }
  function icsTime(ms) { return new Date(ms).toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, ""); }
  function downloadIcs(month, sch, member) {
    // starts_at is Vietnam's time (UTC+7); the file says it in UTC, which every calendar reads.
    const start = Date.parse(`${sch.starts_at}:00+07:00`);
    const home = printUrl(month).replace(/ban-in\/sinh-hoat-.*$/, "");
    const lines = [
      "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//sotay//So tay dang vien//VI", "CALSCALE:GREGORIAN",
      "METHOD:PUBLISH",
      "BEGIN:VEVENT",
      `UID:sinh-hoat-${member.unit_code || "chi-bo"}-${month}@sotay`,
      `DTSTAMP:${icsTime(Date.now())}`,
      `DTSTART:${icsTime(start)}`,
      `DTEND:${icsTime(start + 2 * 3600 * 1000)}`,
      `SUMMARY:${icsText(`Sinh hoạt chi bộ ${viMonth(month)}`)}`,
      `LOCATION:${icsText(sch.place)}`,
      `DESCRIPTION:${icsText(`Tài liệu sinh hoạt: ${location.origin}${home}`)}`,
      "BEGIN:VALARM", "TRIGGER:-PT1H", "ACTION:DISPLAY", `DESCRIPTION:${icsText(`Sinh hoạt chi bộ ${viMonth(month)}`)}`,
      "END:VALARM",
      "END:VEVENT", "END:VCALENDAR", "",
    ];
    const file = new Blob([lines.join("\r\n")], { type: "text/calendar;charset=utf-8" });
    const a = el("a", { href: URL.createObjectURL(file), download: `sinh-hoat-chi-bo-${month}.ics` });
    document.body.appendChild(a);
    a.click();
    setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
  }

  // ---- the secretary: schedule ------------------------------------------------------
  function send(method, path, body) {
    return Outbox.request(method, path, body).then(() => {
      const app = window.SotayApp;
      return app && !offline() ? app.flush() : null;
    });
  }
  function scheduleForm(panel, month, sch) {
    panel.setAttribute("data-mode", "meeting");
    panel.textContent = "";
    const f = el("form", { class: "meeting-schedule-form" });
    f.appendChild(el("h2", null, `Lịch sinh hoạt ${viMonth(month)}`));
    const first = `${month}-01T00:00`;
    const last = `${month}-${pad(new Date(Date.UTC(+month.slice(0, 4), +month.slice(5, 7), 0)).getUTCDate())}T23:59`;
    const t = el("input", { type: "datetime-local", name: "starts_at", required: "", min: first, max: last });
    t.value = sch ? sch.starts_at : `${month}-${today().slice(0, 7) === month ? today().slice(8) : "01"}T08:00`;
    const p = el("input", { type: "text", name: "place", required: "", maxlength: "200", autocomplete: "off" });
    p.value = sch ? sch.place : "";
    const cancel = button("Để sau", "cancel", true);
    f.append(
      el("p", null, el("label", null, "Thời gian ", t)),
      el("p", null, el("label", null, "Địa điểm ", p)),
      el("p", null, el("button", { type: "submit", class: "button" }, "Lưu lịch"), " ", cancel));
    panel.appendChild(f);
    cancel.addEventListener("click", () => { panel.removeAttribute("data-mode"); render(panel); });
    f.addEventListener("submit", (e) => {
      e.preventDefault();
      const body = { starts_at: t.value.slice(0, 16), place: p.value.trim() };
      send("PUT", `${recordPath(month)}/schedule`, body).then(() => {
        panel.removeAttribute("data-mode");
        return refresh(month);
      }).then(renderAll);
    });
  }

  // ---- the secretary: the meeting itself --------------------------------------------
  const CHOICES = [["p", "Có mặt"], ["e", "Vắng có lý do"], ["a", "Vắng"]];
  function meeting(panel, month) {
    panel.setAttribute("data-mode", "meeting");
    Promise.all([state(month), Outbox.get(`roster:${month}`), docsOf(month)]).then(([s, roster, docs]) => {
      const d = s.draft || {};
      const att = d.att || {};
      const rec = s.server.meeting;
      if (!d.att && rec && rec.present_cards) {
        rec.present_cards.forEach((c) => { att[c] = "p"; });
        (rec.excused_cards || []).forEach((c) => { att[c] = "e"; });
      }
      panel.textContent = "";
      const box = el("div", { class: "meeting-run" });
      box.appendChild(el("h2", null, `Sinh hoạt chi bộ ${viMonth(month)}`));
      if (offline()) {
        box.appendChild(el("p", { class: "meeting-offline", role: "status" }, "Máy đang không có mạng. Đồng chí vẫn "
          + "điểm danh và ghi nhận được: kết quả được lưu trên máy và tự gửi khi có mạng."));
      }
      box.appendChild(el("h3", null, "1. Chương trình"));
      const ol = el("ol", { class: "meeting-agenda" });
      docs.forEach((x) => { ol.appendChild(el("li", null, el("a", { href: x.url }, x.title))); });
      if (!docs.length) ol.appendChild(el("li", null, "Tài liệu tháng này chưa có trong sổ tay."));
      box.appendChild(ol);
      box.appendChild(el("h3", null, "2. Điểm danh"));
      if (!roster || !roster.members) {
        box.appendChild(el("p", { class: "meeting-error" },
          "Chưa có danh sách đảng viên của chi bộ trên máy này. Hãy mở trang này một lần khi có mạng."));
      }
      const members = (roster && roster.members) || [];
      const count = el("p", { class: "meeting-count", "aria-live": "polite" });
      box.appendChild(count);
      const all = button("Tất cả có mặt", "all", true);
      box.appendChild(el("p")).appendChild(all);
      const list = el("ul", { class: "attendance" });
      members.forEach((m, i) => {
        const li = el("li", { "data-card": m.card_number }, el("span", { class: "attendance-name" }, m.full_name));
        const notes = [];
        if (m.read) notes.push("đã đọc tài liệu");
        if (!m.smartphone) notes.push("không dùng điện thoại thông minh");
        else if (!m.registered) notes.push("chưa đăng ký sổ tay");
        if (m.status === "mien-sinh-hoat") notes.push("miễn sinh hoạt");
        if (notes.length) li.appendChild(el("span", { class: "meta attendance-notes" }, ` (${notes.join("; ")})`));
        const g = el("span", { class: "attendance-choice", role: "radiogroup", "aria-label": m.full_name });
        const cur = att[m.card_number] || (m.status === "mien-sinh-hoat" ? "e" : "a");
        att[m.card_number] = cur;
        CHOICES.forEach((c) => {
          const r = el("input", { type: "radio", name: `att-${i}`, value: c[0] });
          r.checked = cur === c[0];
          r.addEventListener("change", () => {
            att[m.card_number] = c[0];
            save();
          });
          g.appendChild(el("label", null, r, ` ${c[1]}`));
        });
        li.appendChild(g);
        list.appendChild(li);
      });
      box.appendChild(list);
      all.addEventListener("click", () => {
        members.forEach((m) => { if (att[m.card_number] === "a") att[m.card_number] = "p"; });
        $$("li[data-card]", list).forEach((li) => {
          const c = att[li.getAttribute("data-card")];
          $$("input", li).forEach((r) => { r.checked = r.value === c; });
        });
        save();
      });
      box.appendChild(el("h3", null, "3. Kết thúc"));
      const held = el("input", { type: "date", name: "held_on", required: "", min: `${month}-01`, max: today() });
      held.value = d.held_on || (today().slice(0, 7) === month ? today() : (rec && rec.held_on) || "");
      const place = el("input", { type: "text", name: "place", maxlength: "200" });
      const planned = (s.server.schedule && s.server.schedule.place) || (rec && rec.place) || "";
      place.value = d.place != null ? d.place : planned;
      box.append(
        el("p", null, el("label", null, "Ngày sinh hoạt ", held)),
        el("p", null, el("label", null, "Địa điểm ", place)));
      held.addEventListener("change", save);
      place.addEventListener("input", save);
      const finish = button("Kết thúc và ghi nhận", "finish");
      const later = button("Để sau", "cancel", true);
      box.appendChild(el("p", null, finish, " ", later));
      const out = el("p", { class: "meeting-result", role: "status" });
      box.appendChild(out);
      panel.appendChild(box);
      function tally() {
        const n = { p: 0, e: 0, a: 0 };
        members.forEach((m) => { n[att[m.card_number]]++; });
        count.textContent = `Có mặt ${n.p}/${members.length} · Vắng có lý do ${n.e} · Vắng ${n.a}`;
      }
      function save() {
        tally();
        return Outbox.set(`draft:${month}`, { att, held_on: held.value, place: place.value });
      }
      tally();
      later.addEventListener("click", () => { panel.removeAttribute("data-mode"); render(panel); });
      finish.addEventListener("click", () => {
        if (!held.value) {
          out.textContent = "Vui lòng chọn ngày sinh hoạt.";
          return;
        }
        if (!members.length) {
          out.textContent = "Chưa có danh sách đảng viên để điểm danh.";
          return;
        }
        const body = {
          held_on: held.value, place: place.value.trim() || null, present: [], excused: [], docs: docs.map((x) => x.id),
        };
        members.forEach((m) => {
          if (att[m.card_number] === "p") body.present.push(m.card_number);
          else if (att[m.card_number] === "e") body.excused.push(m.card_number);
        });
        const key = `PUT ${recordPath(month)}`;
        Outbox.del(`answer:${key}`).then(() => save()).then(() => send("PUT", recordPath(month), body)).then(() => {
          panel.removeAttribute("data-mode");
          return Outbox.pendingRequest(key);
        }).then((waiting) => (waiting ? Promise.resolve() : refresh(month)).then(() => renderAll()).then(() => {
          const st = $(".app-status");
          if (st) {
            st.textContent = waiting
              ? "Đã lưu kết quả sinh hoạt trên máy; sẽ tự gửi khi có mạng."
              : "Đã ghi nhận buổi sinh hoạt của chi bộ.";
            st.hidden = false;
          }
        }));
      });
    });
  }

  // ---- the printed packet -----------------------------------------------------------
  function packet() {
    const p = $("[data-packet][data-month]");
    if (!p) return;
    const month = p.getAttribute("data-month");
    const btn = $("[data-print]", p);
    if (btn) { btn.hidden = false; btn.addEventListener("click", () => { window.print(); }); }
    const kept = () => Promise.all([Outbox.get(`roster:${month}`), Outbox.get(`meeting:${month}`)]);
    refresh(month).then(kept).then(([roster, meetingKept]) => {
      const known = meetingKept || {};
      if (roster && roster.cell) $("[data-packet-cell]", p).textContent = roster.cell.name;
      if (known.schedule) {
        $("[data-packet-when]", p).textContent = viStart(known.schedule.starts_at);
        $("[data-packet-where]", p).textContent = known.schedule.place;
      }
      const body = $("[data-sheet]", p);
      if (!roster || !roster.members || !body) return;
      body.textContent = "";
      roster.members.forEach((m, i) => {
        const tr = body.insertRow();
        [String(i + 1), m.full_name, "", "", "", ""].forEach((t) => { tr.appendChild(el("td", null, t)); });
      });
      $("[data-sheet-total]", p).textContent = String(roster.members.length);
    });
  }

  const refreshAll = () => Promise.all(panels().map((x) => refresh(x.getAttribute("data-month"))));
  renderAll().then(refreshAll).then(renderAll);
  packet();
  window.addEventListener("online", () => {
    const app = window.SotayApp;
    (app ? app.flush() : Promise.resolve()).then(refreshAll).then(renderAll);
  });
  window.SotayMeeting = { render: renderAll, refresh };
})();
