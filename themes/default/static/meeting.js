// The cell meeting on the phone (DESIGN.md, "Cell meetings"). Where the month's material is
// shown (its documents, the section's agenda card, the home page's card) every member of the
// cell sees the planned meeting (with an .ics file for the phone's calendar) and, once held,
// "Chi bộ đã sinh hoạt ngày …, 8/9 đảng viên dự"; a member can mark the material read. The
// secretary or deputy sets the time and place and runs the meeting: the agenda, the attendance
// list from the roster, then "Kết thúc và ghi nhận", which works with no network (outbox.js
// keeps the request until the server has answered). The printed packet gets the cell's names.
(function () {
  "use strict";
  var Outbox = window.SotayOutbox;
  var BASE = document.body.getAttribute("data-base") || "/";
  if (!Outbox) return;

  function $(sel, el) { return (el || document).querySelector(sel); }
  function $$(sel, el) { return Array.prototype.slice.call((el || document).querySelectorAll(sel)); }
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    for (var k in attrs || {}) {
      if (k === "class") e.className = attrs[k]; else e.setAttribute(k, attrs[k]);
    }
    if (text != null) e.textContent = text;
    return e;
  }
  function button(text, act, light) {
    var b = el("button", { type: "button", class: "button" + (light ? " button-light" : ""), "data-act": act }, text);
    return b;
  }
  function offline() { return navigator.onLine === false; }
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  /** "2026-12-10" -> "10/12/2026" */
  function viDate(iso) { var p = String(iso).split("-"); return p.length === 3 ? p[2] + "/" + p[1] + "/" + p[0] : iso; }
  function viMonth(m) { var p = m.split("-"); return "tháng " + parseInt(p[1], 10) + "/" + p[0]; }
  var DAYS = ["Chủ nhật", "thứ Hai", "thứ Ba", "thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy"];
  /** "2026-12-10T19:30" -> "19:30, thứ Năm 10/12/2026" */
  function viStart(s) {
    var d = new Date(s.slice(0, 10) + "T00:00:00Z");
    return s.slice(11, 16) + ", " + DAYS[d.getUTCDay()] + " " + viDate(s.slice(0, 10));
  }
  /** Today in Vietnam, YYYY-MM-DD. */
  function today() {
    var d = new Date(Date.now() + 7 * 3600 * 1000);
    return d.getUTCFullYear() + "-" + pad(d.getUTCMonth() + 1) + "-" + pad(d.getUTCDate());
  }
  function printUrl(month) { return BASE + "ban-in/sinh-hoat-" + month + "/"; }
  function recordPath(month) { return "api/v1/meetings/" + month; }

  function api(method, path, token) {
    return fetch(BASE + path, { method: method, headers: { authorization: "Bearer " + token }, cache: "no-store", credentials: "same-origin" })
      .then(function (r) { if (!r.ok) throw new Error(String(r.status)); return r.json(); });
  }

  var catalogP = null;
  /** The documents of `month`'s material: [{id, url, title, hash}] (the catalog is kept offline). */
  function docsOf(month) {
    if (!catalogP) catalogP = fetch(BASE + "catalog.json").then(function (r) { return r.json(); }).catch(function () { catalogP = null; return { documents: [] }; });
    return catalogP.then(function (c) { return c.documents.filter(function (d) { return d.meeting === month; }); });
  }

  // ---- what this phone knows of a month --------------------------------------------
  function state(month) {
    var key = "PUT " + recordPath(month);
    return Promise.all([
      Outbox.get("member"), Outbox.get("token"), Outbox.get("meeting:" + month), Outbox.get("draft:" + month),
      Outbox.pendingRequest(key), Outbox.get("answer:" + key), Outbox.get("readmark:" + month),
      Outbox.pendingRequest("PUT " + recordPath(month) + "/schedule"),
    ]).then(function (v) {
      return { month: month, member: v[0], token: v[1], server: v[2] || {}, draft: v[3], pending: v[4], answer: v[5], readmark: v[6], pendingSchedule: v[7] };
    });
  }
  function isSecretary(m) { return !!m && (m.role === "bi-thu" || m.role === "pho-bi-thu"); }

  /** Asks the server for the month's record and schedule (and, for the secretary, the cell's
   *  members); keeps the answers for offline use. Offline, or if it fails, what was kept. */
  function refresh(month) {
    return Promise.all([Outbox.get("token"), Outbox.get("member")]).then(function (v) {
      var token = v[0], m = v[1];
      if (!token || offline()) return null;
      var jobs = [api("GET", recordPath(month), token).then(function (a) { a.at = Date.now(); return Outbox.set("meeting:" + month, a); })];
      if (isSecretary(m)) jobs.push(api("GET", recordPath(month) + "/members", token).then(function (a) { return Outbox.set("roster:" + month, a); }));
      return Promise.all(jobs).catch(function () { return null; });
    });
  }

  /** The record to show: the server's, or the one waiting in the outbox. */
  function shownRecord(s) {
    if (s.pending) return { meeting: local(s.pending.body, s), waiting: true };
    if (s.server.meeting) return { meeting: s.server.meeting, waiting: false };
    return null;
  }
  function local(body, s) {
    var roster = s.roster || {};
    var members = roster.members ? roster.members.length : (body.present.length + body.excused.length);
    return { held_on: body.held_on, present: body.present.length, members: members };
  }
  function doneText(m) {
    return "Chi bộ đã sinh hoạt ngày " + viDate(m.held_on) + ", " + m.present + "/" + m.members + " đảng viên dự";
  }

  // ---- the panel --------------------------------------------------------------------
  function panels() {
    var out = $$("[data-meeting-panel][data-month]");
    // The section's agenda card (the `meeting` directive) gets a panel too.
    $$(".meeting-card[data-month]").forEach(function (card) {
      if ($("[data-meeting-panel]", card) || card.closest("[data-meeting-panel]")) return;
      var p = el("div", { class: "meeting-panel", "data-meeting-panel": "", "data-month": card.getAttribute("data-month") });
      card.appendChild(p);
      out.push(p);
    });
    return out.filter(function (p) { return /^\d{4}-\d{2}$/.test(p.getAttribute("data-month")); });
  }

  function render(panel) {
    var month = panel.getAttribute("data-month");
    return Promise.all([state(month), Outbox.get("roster:" + month)]).then(function (v) {
      var s = v[0];
      s.roster = v[1];
      if (panel.getAttribute("data-mode") === "meeting") return;
      panel.textContent = "";
      panel.hidden = false;
      if (!s.member) {
        panel.appendChild(el("p", { class: "meta" }, "Đăng ký sổ tay để xem lịch sinh hoạt và ghi nhận buổi sinh hoạt của chi bộ."));
        panel.appendChild(printLink(month));
        return;
      }
      var sch = s.pendingSchedule ? { starts_at: s.pendingSchedule.body.starts_at, place: s.pendingSchedule.body.place, waiting: true } : s.server.schedule;
      var line = el("p", { class: "meeting-schedule" });
      if (sch) {
        line.appendChild(el("strong", null, "Lịch sinh hoạt " + viMonth(month) + ": "));
        line.appendChild(document.createTextNode(viStart(sch.starts_at) + ", tại " + sch.place + (sch.waiting ? " (đang chờ gửi)" : "")));
        panel.appendChild(line);
        var ics = button("Thêm vào lịch điện thoại", "ics", true);
        ics.addEventListener("click", function () { downloadIcs(month, sch, s.member); });
        panel.appendChild(el("p")).appendChild(ics);
      } else {
        line.textContent = "Chi bộ chưa có lịch sinh hoạt " + viMonth(month) + ".";
        panel.appendChild(line);
      }
      var rec = shownRecord(s);
      if (rec) {
        var done = el("p", { class: "meeting-done", role: "status" }, doneText(rec.meeting) + (rec.waiting ? " (đã lưu trên máy, sẽ gửi khi có mạng)" : "") + ".");
        panel.appendChild(done);
      }
      if (s.answer && s.answer.error) panel.appendChild(el("p", { class: "meeting-error", role: "alert" }, "Chưa ghi nhận được: " + s.answer.error.message));
      if (!rec) {
        if (s.readmark) panel.appendChild(el("p", { class: "meeting-read" }, "Đồng chí đã đánh dấu đọc tài liệu " + viMonth(month) + "."));
        else {
          var read = button("Tôi đã đọc tài liệu tháng này", "read", true);
          read.addEventListener("click", function () { markRead(month, panel); });
          panel.appendChild(el("p")).appendChild(read);
        }
      }
      if (isSecretary(s.member)) {
        var tools = el("p", { class: "meeting-tools" });
        var start = button(rec ? "Sửa kết quả sinh hoạt" : "Bắt đầu sinh hoạt", "start");
        start.addEventListener("click", function () { meeting(panel, month); });
        var plan = button(sch ? "Đổi lịch sinh hoạt" : "Đặt lịch sinh hoạt", "schedule", true);
        plan.addEventListener("click", function () { scheduleForm(panel, month, sch); });
        tools.appendChild(start);
        tools.appendChild(document.createTextNode(" "));
        tools.appendChild(plan);
        panel.appendChild(tools);
      }
      panel.appendChild(printLink(month));
    });
  }

  function printLink(month) {
    var p = el("p", { class: "meeting-print" });
    p.appendChild(el("a", { href: printUrl(month) }, "Bản in tài liệu và danh sách điểm danh (khổ A4, chữ lớn)"));
    return p;
  }

  function renderAll() { return Promise.all(panels().map(render)); }

  // ---- members: the material read before the meeting --------------------------------
  function markRead(month, panel) {
    docsOf(month).then(function (docs) {
      var app = window.SotayApp;
      return Promise.all(docs.map(function (d) { return app ? app.queue({ type: "read", doc: d.id, version: d.hash }) : Outbox.add({ type: "read", doc: d.id, version: d.hash }); }));
    }).then(function () { return Outbox.set("readmark:" + month, Date.now()); }).then(function () { return render(panel); });
  }

  // ---- the calendar file ------------------------------------------------------------
  function icsText(s) { return String(s).replace(/\\/g, "\\\\").replace(/;/g, "\\;").replace(/,/g, "\\,").replace(/\r?\n/g, "\\n"); }
  function icsTime(ms) { return new Date(ms).toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, ""); }
  function downloadIcs(month, sch, member) {
    // starts_at is Vietnam's time (UTC+7); the file says it in UTC, which every calendar reads.
    var start = Date.parse(sch.starts_at + ":00+07:00");
    var lines = [
      "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//sotay//So tay dang vien//VI", "CALSCALE:GREGORIAN", "METHOD:PUBLISH",
      "BEGIN:VEVENT",
      "UID:sinh-hoat-" + (member.unit_code || "chi-bo") + "-" + month + "@sotay",
      "DTSTAMP:" + icsTime(Date.now()),
      "DTSTART:" + icsTime(start),
      "DTEND:" + icsTime(start + 2 * 3600 * 1000),
      "SUMMARY:" + icsText("Sinh hoạt chi bộ " + viMonth(month)),
      "LOCATION:" + icsText(sch.place),
      "DESCRIPTION:" + icsText("Tài liệu sinh hoạt: " + location.origin + printUrl(month).replace(/ban-in\/sinh-hoat-.*$/, "")),
      "BEGIN:VALARM", "TRIGGER:-PT1H", "ACTION:DISPLAY", "DESCRIPTION:" + icsText("Sinh hoạt chi bộ " + viMonth(month)), "END:VALARM",
      "END:VEVENT", "END:VCALENDAR", "",
    ];
    var a = el("a", { href: URL.createObjectURL(new Blob([lines.join("\r\n")], { type: "text/calendar;charset=utf-8" })), download: "sinh-hoat-chi-bo-" + month + ".ics" });
    document.body.appendChild(a);
    a.click();
    setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
  }

  // ---- the secretary: schedule ------------------------------------------------------
  function send(method, path, body) {
    return Outbox.request(method, path, body).then(function () {
      var app = window.SotayApp;
      return app && !offline() ? app.flush() : null;
    });
  }
  function scheduleForm(panel, month, sch) {
    panel.setAttribute("data-mode", "meeting");
    panel.textContent = "";
    var f = el("form", { class: "meeting-schedule-form" });
    f.appendChild(el("h2", null, "Lịch sinh hoạt " + viMonth(month)));
    var first = month + "-01T00:00", last = month + "-" + pad(new Date(Date.UTC(+month.slice(0, 4), +month.slice(5, 7), 0)).getUTCDate()) + "T23:59";
    var l1 = el("label", null, "Thời gian ");
    var t = el("input", { type: "datetime-local", name: "starts_at", required: "", min: first, max: last });
    t.value = sch ? sch.starts_at : month + "-" + (today().slice(0, 7) === month ? today().slice(8) : "01") + "T08:00";
    l1.appendChild(t);
    var l2 = el("label", null, "Địa điểm ");
    var p = el("input", { type: "text", name: "place", required: "", maxlength: "200", autocomplete: "off" });
    p.value = sch ? sch.place : "";
    l2.appendChild(p);
    f.appendChild(el("p")).appendChild(l1);
    f.appendChild(el("p")).appendChild(l2);
    var ok = el("button", { type: "submit", class: "button" }, "Lưu lịch");
    var cancel = button("Để sau", "cancel", true);
    var row = el("p");
    row.appendChild(ok); row.appendChild(document.createTextNode(" ")); row.appendChild(cancel);
    f.appendChild(row);
    panel.appendChild(f);
    cancel.addEventListener("click", function () { panel.removeAttribute("data-mode"); render(panel); });
    f.addEventListener("submit", function (e) {
      e.preventDefault();
      send("PUT", recordPath(month) + "/schedule", { starts_at: t.value.slice(0, 16), place: p.value.trim() }).then(function () {
        panel.removeAttribute("data-mode");
        return refresh(month);
      }).then(renderAll);
    });
  }

  // ---- the secretary: the meeting itself --------------------------------------------
  var CHOICES = [["p", "Có mặt"], ["e", "Vắng có lý do"], ["a", "Vắng"]];
  function meeting(panel, month) {
    panel.setAttribute("data-mode", "meeting");
    Promise.all([state(month), Outbox.get("roster:" + month), docsOf(month)]).then(function (v) {
      var s = v[0], roster = v[1], docs = v[2];
      var d = s.draft || {};
      var att = d.att || {};
      var rec = s.server.meeting;
      if (!d.att && rec && rec.present_cards) {
        rec.present_cards.forEach(function (c) { att[c] = "p"; });
        (rec.excused_cards || []).forEach(function (c) { att[c] = "e"; });
      }
      panel.textContent = "";
      var box = el("div", { class: "meeting-run" });
      box.appendChild(el("h2", null, "Sinh hoạt chi bộ " + viMonth(month)));
      if (offline()) box.appendChild(el("p", { class: "meeting-offline", role: "status" }, "Máy đang không có mạng. Đồng chí vẫn điểm danh và ghi nhận được: kết quả được lưu trên máy và tự gửi khi có mạng."));
      box.appendChild(el("h3", null, "1. Chương trình"));
      var ol = el("ol", { class: "meeting-agenda" });
      docs.forEach(function (x) { ol.appendChild(el("li")).appendChild(el("a", { href: x.url }, x.title)); });
      if (!docs.length) ol.appendChild(el("li", null, "Tài liệu tháng này chưa có trong sổ tay."));
      box.appendChild(ol);
      box.appendChild(el("h3", null, "2. Điểm danh"));
      if (!roster || !roster.members) {
        box.appendChild(el("p", { class: "meeting-error" }, "Chưa có danh sách đảng viên của chi bộ trên máy này. Hãy mở trang này một lần khi có mạng."));
      }
      var members = (roster && roster.members) || [];
      var count = el("p", { class: "meeting-count", "aria-live": "polite" });
      box.appendChild(count);
      var all = button("Tất cả có mặt", "all", true);
      box.appendChild(el("p")).appendChild(all);
      var list = el("ul", { class: "attendance" });
      members.forEach(function (m, i) {
        var li = el("li", { "data-card": m.card_number });
        var who = el("span", { class: "attendance-name" }, m.full_name);
        li.appendChild(who);
        var notes = [];
        if (m.read) notes.push("đã đọc tài liệu");
        if (!m.smartphone) notes.push("không dùng điện thoại thông minh");
        else if (!m.registered) notes.push("chưa đăng ký sổ tay");
        if (m.status === "mien-sinh-hoat") notes.push("miễn sinh hoạt");
        if (notes.length) li.appendChild(el("span", { class: "meta attendance-notes" }, " (" + notes.join("; ") + ")"));
        var g = el("span", { class: "attendance-choice", role: "radiogroup", "aria-label": m.full_name });
        var cur = att[m.card_number] || (m.status === "mien-sinh-hoat" ? "e" : "a");
        att[m.card_number] = cur;
        CHOICES.forEach(function (c) {
          var lab = el("label");
          var r = el("input", { type: "radio", name: "att-" + i, value: c[0] });
          r.checked = cur === c[0];
          r.addEventListener("change", function () { att[m.card_number] = c[0]; save(); });
          lab.appendChild(r);
          lab.appendChild(document.createTextNode(" " + c[1]));
          g.appendChild(lab);
        });
        li.appendChild(g);
        list.appendChild(li);
      });
      box.appendChild(list);
      all.addEventListener("click", function () {
        members.forEach(function (m) { if (att[m.card_number] === "a") att[m.card_number] = "p"; });
        $$("li[data-card]", list).forEach(function (li) {
          var c = att[li.getAttribute("data-card")];
          $$("input", li).forEach(function (r) { r.checked = r.value === c; });
        });
        save();
      });
      box.appendChild(el("h3", null, "3. Kết thúc"));
      var held = el("input", { type: "date", name: "held_on", required: "", min: month + "-01", max: today() });
      held.value = d.held_on || (today().slice(0, 7) === month ? today() : (rec && rec.held_on) || "");
      var place = el("input", { type: "text", name: "place", maxlength: "200" });
      place.value = d.place != null ? d.place : ((s.server.schedule && s.server.schedule.place) || (rec && rec.place) || "");
      var l1 = el("label", null, "Ngày sinh hoạt "); l1.appendChild(held);
      var l2 = el("label", null, "Địa điểm "); l2.appendChild(place);
      box.appendChild(el("p")).appendChild(l1);
      box.appendChild(el("p")).appendChild(l2);
      held.addEventListener("change", save);
      place.addEventListener("input", save);
      var finish = button("Kết thúc và ghi nhận", "finish");
      var later = button("Để sau", "cancel", true);
      var row = el("p");
      row.appendChild(finish); row.appendChild(document.createTextNode(" ")); row.appendChild(later);
      box.appendChild(row);
      var out = el("p", { class: "meeting-result", role: "status" });
      box.appendChild(out);
      panel.appendChild(box);
      function tally() {
        var n = { p: 0, e: 0, a: 0 };
        members.forEach(function (m) { n[att[m.card_number]]++; });
        count.textContent = "Có mặt " + n.p + "/" + members.length + " · Vắng có lý do " + n.e + " · Vắng " + n.a;
      }
      function save() {
        tally();
        return Outbox.set("draft:" + month, { att: att, held_on: held.value, place: place.value });
      }
      tally();
      later.addEventListener("click", function () { panel.removeAttribute("data-mode"); render(panel); });
      finish.addEventListener("click", function () {
        if (!held.value) { out.textContent = "Vui lòng chọn ngày sinh hoạt."; return; }
        if (!members.length) { out.textContent = "Chưa có danh sách đảng viên để điểm danh."; return; }
        var body = { held_on: held.value, place: place.value.trim() || null, present: [], excused: [], docs: docs.map(function (x) { return x.id; }) };
        members.forEach(function (m) {
          if (att[m.card_number] === "p") body.present.push(m.card_number);
          else if (att[m.card_number] === "e") body.excused.push(m.card_number);
        });
        var key = "PUT " + recordPath(month);
        Outbox.del("answer:" + key).then(function () { return save(); }).then(function () {
          return send("PUT", recordPath(month), body);
        }).then(function () {
          panel.removeAttribute("data-mode");
          return Outbox.pendingRequest(key);
        }).then(function (waiting) {
          return (waiting ? Promise.resolve() : refresh(month)).then(function () { return renderAll(); }).then(function () {
            var st = $(".app-status");
            if (st) {
              st.textContent = waiting ? "Đã lưu kết quả sinh hoạt trên máy; sẽ tự gửi khi có mạng." : "Đã ghi nhận buổi sinh hoạt của chi bộ.";
              st.hidden = false;
            }
          });
        });
      });
    });
  }

  // ---- the printed packet -----------------------------------------------------------
  function packet() {
    var p = $("[data-packet][data-month]");
    if (!p) return;
    var month = p.getAttribute("data-month");
    var btn = $("[data-print]", p);
    if (btn) { btn.hidden = false; btn.addEventListener("click", function () { window.print(); }); }
    refresh(month).then(function () {
      return Promise.all([Outbox.get("roster:" + month), Outbox.get("meeting:" + month)]);
    }).then(function (v) {
      var roster = v[0], known = v[1] || {};
      if (roster && roster.cell) $("[data-packet-cell]", p).textContent = roster.cell.name;
      if (known.schedule) {
        $("[data-packet-when]", p).textContent = viStart(known.schedule.starts_at);
        $("[data-packet-where]", p).textContent = known.schedule.place;
      }
      var body = $("[data-sheet]", p);
      if (!roster || !roster.members || !body) return;
      body.textContent = "";
      roster.members.forEach(function (m, i) {
        var tr = body.insertRow();
        [String(i + 1), m.full_name, "", "", "", ""].forEach(function (t) { tr.appendChild(el("td", null, t)); });
      });
      $("[data-sheet-total]", p).textContent = String(roster.members.length);
    });
  }

  renderAll().then(function () { return Promise.all(panels().map(function (x) { return refresh(x.getAttribute("data-month")); })); }).then(renderAll);
  packet();
  window.addEventListener("online", function () {
    var app = window.SotayApp;
    (app ? app.flush() : Promise.resolve()).then(function () {
      return Promise.all(panels().map(function (x) { return refresh(x.getAttribute("data-month")); }));
    }).then(renderAll);
  });
  window.SotayMeeting = { render: renderAll, refresh: refresh };
})();
