// The committee's dashboard (/quan-tri/): the usage report of the admin's unit and period, a
// bar chart of registration rates, the weekly trend of active members, the cell meetings of
// the year month by month, drill-down to any unit of the subtree down to a cell's members, and
// CSV/Excel export. The token is kept only for
// this browser session.
(function () {
  "use strict";
  var $ = function (s, el) { return (el || document).querySelector(s); };
  var BASE = document.body.getAttribute("data-base") || "/";
  var SVG = "http://www.w3.org/2000/svg";
  var login = $(".admin-login"), panel = $(".admin-panel"), errBox = $(".admin-error");
  if (!login) return;
  var state = { token: sessionStorage.getItem("sotay.admin") || "", stack: [], from: "", to: "" };
  var STATUS = { "chinh-thuc": "chính thức", "du-bi": "dự bị", "mien-sinh-hoat": "miễn sinh hoạt" };

  function el(tag, text, cls) { var e = document.createElement(tag); if (text != null) e.textContent = text; if (cls) e.className = cls; return e; }
  function svg(tag, attrs) { var e = document.createElementNS(SVG, tag); for (var k in attrs) e.setAttribute(k, attrs[k]); return e; }
  function fail(msg) { errBox.textContent = msg; errBox.hidden = false; }

  function api(name, params, raw) {
    var q = new URLSearchParams(params);
    return fetch(BASE + "api/v1/reports/" + name + "?" + q, { headers: { authorization: "Bearer " + state.token }, cache: "no-store" }).then(function (r) {
      if (r.status === 401) { logout(); throw new Error("Mã quản trị không đúng hoặc đã bị thu hồi."); }
      if (r.status === 403) throw new Error("Đơn vị này nằm ngoài phạm vi của mã quản trị.");
      if (!r.ok) return r.json().then(function (v) { throw new Error((v.error && v.error.message) || "Lỗi " + r.status); });
      return raw ? r.blob() : r.json();
    });
  }

  function period() { var p = {}; if (state.from) p.from = state.from; if (state.to) p.to = state.to; return p; }
  function current() { return state.stack[state.stack.length - 1]; }

  function show() {
    errBox.hidden = true;
    var unit = current();
    var p = period(); p.unit = unit.code;
    var year = (state.to || new Date(Date.now() + 7 * 3600 * 1000).toISOString()).slice(0, 4);
    Promise.all([api("usage", p), api("trend", { unit: unit.code, to: state.to || "", weeks: 12 }), api("year", { unit: unit.code, year: year })]).then(function (v) {
      render(v[0]);
      trend(v[1].weeks);
      meetings(v[2]);
      if (v[0].rows.length === 1 && v[0].rows[0].unit_code === v[0].unit.code) members(unit.code); else $(".admin-members").hidden = true;
    }).catch(function (e) { fail(e.message); });
  }

  function crumbs() {
    var nav = $(".admin-crumbs");
    nav.textContent = "";
    state.stack.forEach(function (u, i) {
      if (i) nav.appendChild(document.createTextNode(" › "));
      if (i === state.stack.length - 1) { nav.appendChild(el("strong", u.name)); return; }
      var b = el("button", u.name, "link-button");
      b.type = "button";
      b.onclick = function () { state.stack = state.stack.slice(0, i + 1); show(); };
      nav.appendChild(b);
    });
  }

  function render(r) {
    panel.hidden = false;
    login.hidden = true;
    crumbs();
    var f = $(".admin-period");
    f.elements.from.value = r.from;
    f.elements.to.value = r.to;
    var t = r.total;
    var targets = $(".admin-targets");
    targets.textContent = "";
    [["Đảng viên có điện thoại thông minh đã đăng ký", t.registration_target_pct, t.registration_target_met],
     ["Chi bộ sử dụng sổ tay trong sinh hoạt", t.cells_meeting_pct, t.meeting_target_met]].forEach(function (x) {
      var li = el("li", x[0] + ": " + x[1].toFixed(1) + "% — ");
      li.appendChild(el("strong", x[2] ? "Đạt" : "Chưa đạt", x[2] ? "ok" : "not-ok"));
      targets.appendChild(li);
    });
    var table = $("table.report");
    var head = ["STT", "Đơn vị", "Tổng số đảng viên", "Đã đăng ký", "Tỷ lệ %"];
    Object.keys(t.not_registered_by_status).forEach(function (s) { head.push("Chưa đăng ký: " + (STATUS[s] || s)); });
    head.push("Đang sử dụng", "Số chi bộ", "Chi bộ sử dụng trong sinh hoạt", "Tỷ lệ %", "Tỷ lệ đảng viên dự sinh hoạt %", "Lượt truy cập", "Mục tiêu");
    var thead = table.tHead; thead.textContent = "";
    var hr = thead.insertRow();
    head.forEach(function (h) { var th = el("th", h); th.scope = "col"; hr.appendChild(th); });
    function row(tr, stt, x, total) {
      tr.appendChild(el(total ? "th" : "td", stt));
      var name = el(total ? "th" : "td");
      if (!total && x.unit_code !== r.unit.code) {
        var b = el("button", x.unit_name, "link-button");
        b.type = "button";
        b.onclick = function () { state.stack.push({ code: x.unit_code, name: x.unit_name }); show(); };
        name.appendChild(b);
      } else name.textContent = total ? "Tổng cộng" : x.unit_name;
      tr.appendChild(name);
      var cells = [x.members, x.registered, x.registered_pct.toFixed(1)];
      Object.keys(t.not_registered_by_status).forEach(function (s) { cells.push(x.not_registered_by_status[s] || 0); });
      cells.push(x.active, x.cells, x.cells_meeting, x.cells_meeting_pct.toFixed(1), x.cells_meeting ? x.meeting_attendance_pct.toFixed(1) : "—", x.views, x.registration_target_met && x.meeting_target_met ? "Đạt" : "Chưa đạt");
      cells.forEach(function (c) { tr.appendChild(el("td", String(c), "num")); });
    }
    var tbody = table.tBodies[0]; tbody.textContent = "";
    r.rows.forEach(function (x, i) { row(tbody.insertRow(), String(i + 1), x, false); });
    var tfoot = table.tFoot; tfoot.textContent = "";
    row(tfoot.insertRow(), "", t, true);
    bars(r.rows);
  }

  function bars(rows) {
    var box = $(".chart-reg"); box.textContent = "";
    var h = 26, w = 320, label = 130;
    var s = svg("svg", { viewBox: "0 0 " + w + " " + (rows.length * h + 10), role: "img", "aria-label": "Tỷ lệ đăng ký theo đơn vị" });
    rows.forEach(function (x, i) {
      var y = i * h + 5, len = (w - label - 40) * x.registered_pct / 100;
      var name = svg("text", { x: 0, y: y + 16, "font-size": 11 }); name.textContent = x.unit_name.length > 22 ? x.unit_name.slice(0, 21) + "…" : x.unit_name;
      s.appendChild(name);
      s.appendChild(svg("rect", { x: label, y: y + 4, width: w - label - 40, height: 16, fill: "#eee" }));
      s.appendChild(svg("rect", { x: label, y: y + 4, width: Math.max(0, len), height: 16, fill: x.registration_target_met ? "#1d5e20" : "#9b1b1b" }));
      var v = svg("text", { x: label + len + 4, y: y + 16, "font-size": 11 }); v.textContent = x.registered_pct.toFixed(1);
      s.appendChild(v);
    });
    box.appendChild(s);
  }

  function trend(weeks) {
    var box = $(".chart-trend"); box.textContent = "";
    var w = 320, h = 140, max = Math.max.apply(null, weeks.map(function (x) { return x.active; }).concat([1]));
    var s = svg("svg", { viewBox: "0 0 " + w + " " + (h + 30), role: "img", "aria-label": "Đảng viên sử dụng theo tuần" });
    var step = (w - 20) / Math.max(1, weeks.length - 1), pts = [];
    weeks.forEach(function (x, i) {
      var px = 10 + i * step, py = 10 + (h - 10) * (1 - x.active / max);
      pts.push(px + "," + py);
      s.appendChild(svg("circle", { cx: px, cy: py, r: 3, fill: "#9b1b1b" }));
    });
    s.insertBefore(svg("polyline", { points: pts.join(" "), fill: "none", stroke: "#9b1b1b", "stroke-width": 2 }), s.firstChild);
    var first = svg("text", { x: 0, y: h + 25, "font-size": 11 }); first.textContent = weeks.length ? weeks[0].from : "";
    var last = svg("text", { x: w, y: h + 25, "font-size": 11, "text-anchor": "end" }); last.textContent = weeks.length ? weeks[weeks.length - 1].to + " (" + weeks[weeks.length - 1].active + ")" : "";
    s.appendChild(first); s.appendChild(last);
    box.appendChild(s);
  }

  // The year's cell meetings: per row (a cell, or a unit and its cells), the months with a
  // meeting record: ✓ for a unit of one cell, "met/cells" otherwise.
  function meetings(y) {
    var sec = $(".admin-meetings");
    if (!sec) return;
    $(".admin-meetings-year", sec).textContent = String(y.year);
    var table = $("table.meetings", sec);
    var hr = table.tHead.rows[0] || table.tHead.insertRow();
    hr.textContent = "";
    var th = el("th", "Đơn vị"); th.scope = "col"; hr.appendChild(th);
    for (var m = 1; m <= 12; m++) { th = el("th", "T" + m, "num"); th.scope = "col"; th.title = "Tháng " + m; hr.appendChild(th); }
    var tb = table.tBodies[0];
    tb.textContent = "";
    y.rows.forEach(function (r) {
      if (r.total && y.rows.length > 1) return;
      var tr = tb.insertRow();
      tr.setAttribute("data-unit", r.unit_code);
      tr.appendChild(el("th", r.unit_name));
      r.months.forEach(function (x) {
        var text = x.cells === 1 ? (x.cells_meeting ? "✓" : "—") : (x.cells ? x.cells_meeting + "/" + x.cells : "");
        var td = el("td", text, "num" + (x.cells && x.cells_meeting === x.cells ? " ok" : ""));
        if (x.cells_meeting) td.title = "Tháng " + x.month + ": " + x.cells_meeting + "/" + x.cells + " chi bộ đã sinh hoạt; " + x.meeting_attendance_pct.toFixed(1) + "% đảng viên dự";
        tr.appendChild(td);
      });
    });
    sec.hidden = false;
    // The latest months first in view (the names stay, see meeting.css).
    var wrap = table.closest(".table-wrap");
    if (wrap) wrap.scrollLeft = wrap.scrollWidth;
  }

  function members(code) {
    var p = period(); p.unit = code;
    api("members", p).then(function (v) {
      var sec = $(".admin-members"), tb = $("table.members tbody");
      tb.textContent = "";
      v.members.forEach(function (m) {
        var tr = tb.insertRow();
        [m.full_name, m.card_number, STATUS[m.status] || m.status, m.registered_on || "Chưa đăng ký", m.last_active || "—"].forEach(function (c, i) {
          var td = el("td", c);
          if (i === 3 && !m.registered_on) td.className = "not-ok";
          tr.appendChild(td);
        });
      });
      sec.hidden = false;
    }).catch(function (e) { fail(e.message); });
  }

  function exportFile(kind) {
    var p = period(); p.unit = current().code;
    api("usage." + kind, p, true).then(function (blob) {
      var a = document.createElement("a");
      a.href = URL.createObjectURL(blob);
      a.download = "thong-ke-so-tay-" + current().code + "." + kind;
      document.body.appendChild(a);
      a.click();
      setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
    }).catch(function (e) { fail(e.message); });
  }

  function start() {
    api("me", {}).then(function (v) {
      sessionStorage.setItem("sotay.admin", state.token);
      state.stack = [{ code: v.unit.code, name: v.unit.name }];
      show();
    }).catch(function (e) { fail(e.message); });
  }

  function logout() {
    sessionStorage.removeItem("sotay.admin");
    state.token = "";
    panel.hidden = true;
    login.hidden = false;
  }

  login.addEventListener("submit", function (e) { e.preventDefault(); state.token = login.elements.token.value.trim(); start(); });
  $(".admin-period").addEventListener("submit", function (e) { e.preventDefault(); state.from = this.elements.from.value; state.to = this.elements.to.value; show(); });
  document.querySelectorAll("[data-export]").forEach(function (b) { b.addEventListener("click", function () { exportFile(b.getAttribute("data-export")); }); });
  $(".admin-logout").addEventListener("click", logout);
  if (state.token) start();
})();
