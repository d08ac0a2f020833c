// The committee's dashboard (/quan-tri/), made to be read at a glance: the key figures of the
// chosen unit and period first (each with its target and Đạt/Chưa đạt), then the child units
// (a sortable table of at most 8 columns, the rest behind "Thêm cột"; one card per unit on a
// phone), the registration chart (labels wrap, never cut) and the weekly trend (y-axis,
// dd/mm), each chart with its data as a table for screen readers; the year's cell meetings;
// drill-down to a cell's members; CSV/Excel export; the annual sheet of a grassroots
// organisation; admin tokens of the subtree (create, shown once; revoke; the log). The token is
// kept only for this browser session.
(function () {
  "use strict";
  var $ = function (s, el) { return (el || document).querySelector(s); };
  var BASE = document.body.getAttribute("data-base") || "/";
  var SVG = "http://www.w3.org/2000/svg";
  var login = $(".admin-login"), panel = $(".admin-panel"), errBox = $(".admin-error");
  if (!login) return;
  var state = { token: sessionStorage.getItem("sotay.admin") || "", stack: [], from: "", to: "", label: "", sort: null, report: null, weeks: null };
  var STATUS = { "chinh-thuc": "chính thức", "du-bi": "dự bị", "mien-sinh-hoat": "miễn sinh hoạt" };
  var ROMAN = ["I", "II", "III", "IV"];

  function el(tag, text, cls) { var e = document.createElement(tag); if (text != null) e.textContent = text; if (cls) e.className = cls; return e; }
  function svg(tag, attrs) { var e = document.createElementNS(SVG, tag); for (var k in attrs) e.setAttribute(k, attrs[k]); return e; }
  function fail(msg) { errBox.textContent = msg; errBox.hidden = false; }
  // Numbers as Vietnamese write them: 1.234 and 87,5.
  function n(x) { return Number(x).toLocaleString("vi-VN"); }
  function p(x) { return Number(x).toLocaleString("vi-VN", { minimumFractionDigits: 1, maximumFractionDigits: 1 }) + "%"; }
  function ddmm(iso) { return iso.slice(8, 10) + "/" + iso.slice(5, 7); }
  function dmy(iso) { return iso.slice(8, 10) + "/" + iso.slice(5, 7) + "/" + iso.slice(0, 4); }
  function pad(x) { return (x < 10 ? "0" : "") + x; }
  // Today in Vietnam, YYYY-MM-DD.
  function today() { return new Date(Date.now() + 7 * 3600 * 1000).toISOString().slice(0, 10); }
  function lastDay(y, m) { return new Date(Date.UTC(y, m, 0)).getUTCDate(); }

  function api(name, params, raw) {
    var q = new URLSearchParams(params);
    return fetch(BASE + "api/v1/reports/" + name + "?" + q, { headers: { authorization: "Bearer " + state.token }, cache: "no-store" }).then(function (r) {
      if (r.status === 401) { logout(); throw new Error("Mã quản trị không đúng hoặc đã bị thu hồi. Hỏi cấp ủy cấp trên để được cấp mã mới."); }
      if (r.status === 403) throw new Error("Đơn vị này nằm ngoài phạm vi của mã quản trị.");
      if (!r.ok) return r.json().then(function (v) { throw new Error((v.error && v.error.message) || "Lỗi " + r.status); });
      return raw ? r.blob() : r.json();
    });
  }

  // ---- the period ------------------------------------------------------------------------
  // Month, quarter, year or a range of days; a period that has not ended stops today.
  function setPeriod(kind, a, b) {
    var t = today(), y, from, to, label;
    if (kind === "month") {
      y = +b; var m = +a;
      from = y + "-" + pad(m) + "-01"; to = y + "-" + pad(m) + "-" + pad(lastDay(y, m)); label = "tháng " + m + "/" + y;
    } else if (kind === "quarter") {
      y = +b; var q = +a, m1 = (q - 1) * 3 + 1;
      from = y + "-" + pad(m1) + "-01"; to = y + "-" + pad(m1 + 2) + "-" + pad(lastDay(y, m1 + 2)); label = "quý " + ROMAN[q - 1] + "/" + y;
    } else if (kind === "year") {
      y = +a; from = y + "-01-01"; to = y + "-12-31"; label = "năm " + y;
    } else {
      from = a; to = b; label = "từ " + dmy(a) + " đến " + dmy(b);
    }
    if (to > t) { to = t; if (kind !== "range") label += " (đến " + dmy(t) + ")"; }
    if (from > to) from = to;
    state.from = from; state.to = to; state.label = label; state.kind = kind;
  }

  function periodForm() {
    var f = $(".admin-period"), kind = f.elements.kind.value;
    document.querySelectorAll(".admin-period [data-kind]").forEach(function (l) {
      l.hidden = l.getAttribute("data-kind").split(" ").indexOf(kind) < 0;
    });
  }

  function period() { return { from: state.from, to: state.to }; }
  function current() { return state.stack[state.stack.length - 1]; }

  function show() {
    errBox.hidden = true;
    var unit = current();
    var q = period(); q.unit = unit.code;
    Promise.all([api("usage", q), api("trend", { unit: unit.code, to: state.to, weeks: 12 }), api("year", { unit: unit.code, year: state.to.slice(0, 4) })]).then(function (v) {
      state.report = v[0]; state.weeks = v[1].weeks;
      render(v[0]);
      trend(v[1].weeks);
      meetings(v[2]);
      if (v[0].rows.length === 1 && v[0].rows[0].unit_code === v[0].unit.code) members(unit.code); else $(".admin-members").hidden = true;
    }).catch(function (e) { fail(e.message); });
  }

  function crumbs() {
    var nav = $(".admin-crumbs");
    nav.textContent = "";
    if (state.stack.length < 2) return;
    state.stack.forEach(function (u, i) {
      if (i) nav.appendChild(document.createTextNode(" › "));
      if (i === state.stack.length - 1) { nav.appendChild(el("strong", u.name)); return; }
      var b = el("button", u.name, "link-button");
      b.type = "button";
      b.onclick = function () { state.stack = state.stack.slice(0, i + 1); show(); };
      nav.appendChild(b);
    });
  }

  // ---- key figures -------------------------------------------------------------------------
  function badge(ok) { return el("span", ok ? "Đạt" : "Chưa đạt", "badge " + (ok ? "ok" : "not-ok")); }

  function kpis(r) {
    var t = r.total, tg = r.targets, ul = $(".kpis");
    ul.textContent = "";
    [
      { name: "Đã đăng ký", value: n(t.registered) + "/" + n(t.members), sub: "đảng viên (" + p(t.registered_pct) + ")",
        target: "Mục tiêu ≥ " + p(tg.registration_pct) + " ĐV có điện thoại: " + p(t.registration_target_pct) + " (" + n(t.smartphone_registered) + "/" + n(t.smartphone_members) + ")", ok: t.registration_target_met },
      { name: "Đang sử dụng", value: n(t.active), sub: "ĐV dùng trong kỳ (" + p(t.usage_pct) + " số đã đăng ký)",
        target: "Mục tiêu ≥ " + p(tg.usage_pct) + " số đã đăng ký", ok: t.usage_target_met },
      { name: "Chi bộ sinh hoạt có dùng sổ tay", value: n(t.cells_meeting) + "/" + n(t.cells), sub: "chi bộ (" + p(t.cells_meeting_pct) + ")",
        target: "Mục tiêu ≥ " + p(tg.meetings_pct) + " số chi bộ", ok: t.meeting_target_met }
    ].forEach(function (k) {
      var li = el("li", null, "kpi " + (k.ok ? "is-ok" : "is-short"));
      var head = el("div", null, "kpi-head");
      var name = el("span", k.name + " ", "kpi-name");
      var v = el("span", k.value + " ", "kpi-value");
      v.appendChild(el("small", k.sub));
      name.appendChild(v);
      head.appendChild(name);
      head.appendChild(badge(k.ok));
      li.appendChild(head);
      li.appendChild(el("div", k.target, "kpi-target"));
      ul.appendChild(li);
    });
  }

  // ---- the table of child units ----------------------------------------------------------------
  // Each column: its header (and what a percentage is of), its value and how it sorts; `extra`
  // columns are behind "Thêm cột"; `below` marks a value under its target.
  function columns(r) {
    var tg = r.targets;
    var cols = [
      { head: "Đảng viên", value: function (x) { return n(x.members); }, key: function (x) { return x.members; } },
      { head: "Đã đăng ký", value: function (x) { return n(x.registered); }, key: function (x) { return x.registered; } },
      { head: "Đăng ký %", sub: "trên ĐV có điện thoại đang sinh hoạt · mục tiêu ≥ " + p(tg.registration_pct), value: function (x) { return p(x.registration_target_pct); }, key: function (x) { return x.registration_target_pct; }, below: function (x) { return !x.registration_target_met; } },
      { head: "Đang sử dụng", sub: "số người dùng trong kỳ", value: function (x) { return n(x.active); }, key: function (x) { return x.active; } },
      { head: "Sử dụng %", sub: "trên số đã đăng ký · mục tiêu ≥ " + p(tg.usage_pct), value: function (x) { return p(x.usage_pct); }, key: function (x) { return x.usage_pct; }, below: function (x) { return !x.usage_target_met; } },
      { head: "Chi bộ sinh hoạt có dùng sổ tay", sub: "số chi bộ / tổng số · mục tiêu ≥ " + p(tg.meetings_pct), value: function (x) { return n(x.cells_meeting) + "/" + n(x.cells) + " (" + p(x.cells_meeting_pct) + ")"; }, key: function (x) { return x.cells_meeting_pct; }, below: function (x) { return !x.meeting_target_met; } },
      { head: "Kết quả", sub: "3 mục tiêu", value: verdict, key: function (x) { return missed(x).length; }, text: true },
      { head: "Đăng ký %", sub: "trên tổng số đảng viên", extra: true, value: function (x) { return p(x.registered_pct); }, key: function (x) { return x.registered_pct; } },
      { head: "ĐV có điện thoại", sub: "đang sinh hoạt", extra: true, value: function (x) { return n(x.smartphone_members); }, key: function (x) { return x.smartphone_members; } }
    ];
    Object.keys(r.total.not_registered_by_status).forEach(function (s) {
      cols.push({ head: "Chưa đăng ký", sub: STATUS[s] || s, extra: true, value: function (x) { return n(x.not_registered_by_status[s] || 0); }, key: function (x) { return x.not_registered_by_status[s] || 0; } });
    });
    cols.push({ head: "Dự sinh hoạt %", sub: "đảng viên có mặt trên tổng số, các buổi có ghi nhận", extra: true, value: function (x) { return x.cells_meeting ? p(x.meeting_attendance_pct) : "—"; }, key: function (x) { return x.meeting_attendance_pct; } });
    cols.push({ head: "Lượt truy cập", extra: true, value: function (x) { return n(x.views); }, key: function (x) { return x.views; } });
    return cols;
  }

  function missed(x) {
    var m = [];
    if (!x.registration_target_met) m.push("đăng ký");
    if (!x.usage_target_met) m.push("sử dụng");
    if (!x.meeting_target_met) m.push("sinh hoạt");
    return m;
  }
  function verdict(x) { var m = missed(x); return m.length ? "Chưa đạt: " + m.join(", ") : "Đạt"; }

  function drill(x) { state.stack.push({ code: x.unit_code, name: x.unit_name }); show(); }

  function unitName(x, r, tag) {
    var cell = el(tag);
    if (x.unit_code !== r.unit.code) {
      var b = el("button", x.unit_name, "link-button");
      b.type = "button";
      b.onclick = function () { drill(x); };
      cell.appendChild(b);
    } else cell.textContent = x.unit_name;
    return cell;
  }

  function sortedRows(r) {
    var rows = r.rows.map(function (x, i) { x._i = i; return x; });
    var s = state.sort;
    if (!s) return rows;
    return rows.slice().sort(function (a, b) {
      var ka = s.key(a), kb = s.key(b);
      var c = ka < kb ? -1 : ka > kb ? 1 : a._i - b._i;
      return s.dir === "descending" ? -c : c;
    });
  }

  function table(r) {
    var cols = columns(r), t = $("table.report");
    var hr = t.tHead.rows[0] || t.tHead.insertRow();
    hr.textContent = "";
    var nameTh = el("th", null, "unit-col"); nameTh.scope = "col";
    nameTh.appendChild(sortButton({ name: "unit", key: function (x) { return x._i; } }, "Đơn vị", nameTh));
    hr.appendChild(nameTh);
    cols.forEach(function (c, i) {
      var th = el("th", null, (c.text ? "" : "num") + (c.extra ? " extra" : ""));
      th.scope = "col";
      var b = sortButton({ name: "c" + i, key: c.key }, c.head, th);
      if (c.sub) b.appendChild(el("small", c.sub));
      th.appendChild(b);
      hr.appendChild(th);
    });
    var tb = t.tBodies[0];
    tb.textContent = "";
    sortedRows(r).forEach(function (x) { row(tb.insertRow(), x, false); });
    var tf = t.tFoot;
    tf.textContent = "";
    row(tf.insertRow(), r.total, true);
    function row(tr, x, total) {
      if (missed(x).length) tr.className = "short";
      var name = total ? el("th", "Tổng cộng") : unitName(x, r, "th");
      name.scope = "row";
      name.classList.add("unit-col");
      tr.appendChild(name);
      cols.forEach(function (c) {
        var td = el("td", c.value(x), (c.text ? "" : "num") + (c.extra ? " extra" : "") + (c.below && c.below(x) ? " below" : ""));
        if (c.text) td.classList.add(missed(x).length ? "not-ok" : "ok");
        tr.appendChild(td);
      });
    }
  }

  function sortButton(spec, label, th) {
    var b = el("button", label, "sort");
    b.type = "button";
    if (state.sort && state.sort.name === spec.name) th.setAttribute("aria-sort", state.sort.dir);
    b.onclick = function () {
      var dir = state.sort && state.sort.name === spec.name && state.sort.dir === "ascending" ? "descending" : "ascending";
      state.sort = { name: spec.name, key: spec.key, dir: dir };
      table(state.report);
      cards(state.report);
      var again = document.querySelector("table.report thead th[aria-sort] .sort");
      if (again) again.focus();
    };
    return b;
  }

  // On a phone: one card per unit, the three targets and the verdict.
  function cards(r) {
    var ol = $(".unit-cards");
    ol.textContent = "";
    sortedRows(r).concat([r.total]).forEach(function (x) {
      var total = x === r.total;
      var li = el("li", null, "unit-card" + (missed(x).length ? " short" : "") + (total ? " is-total" : ""));
      var h = total ? el("h3", "Tổng cộng") : unitName(x, r, "h3");
      h.appendChild(badge(!missed(x).length));
      li.appendChild(h);
      var dl = el("dl");
      [["Đã đăng ký / đảng viên", n(x.registered) + "/" + n(x.members), false],
       ["Đăng ký / ĐV có điện thoại", p(x.registration_target_pct), !x.registration_target_met],
       ["Sử dụng / đã đăng ký", p(x.usage_pct), !x.usage_target_met],
       ["Chi bộ sinh hoạt dùng sổ tay", n(x.cells_meeting) + "/" + n(x.cells), !x.meeting_target_met]].forEach(function (d) {
        dl.appendChild(el("dt", d[0]));
        var dd = el("dd", d[1]);
        if (d[2]) {
          dd.className = "below";
          var x1 = el("span", " ✗"); x1.setAttribute("aria-hidden", "true"); dd.appendChild(x1);
          dd.appendChild(el("span", ", chưa đạt", "visually-hidden"));
        }
        dl.appendChild(dd);
      });
      li.appendChild(dl);
      ol.appendChild(li);
    });
  }

  function render(r) {
    panel.hidden = false;
    $(".admin-login-box").hidden = true;
    $(".admin-logout").hidden = false;
    crumbs();
    var title = $(".admin-title");
    title.textContent = r.unit.name + " ";
    title.appendChild(el("span", "· " + state.label, "period"));
    kpis(r);
    table(r);
    cards(r);
    var tg = r.targets;
    $(".report-legend").textContent = "Đạt khi đủ cả 3 mục tiêu: đăng ký ≥ " + p(tg.registration_pct) + " đảng viên có điện thoại đang sinh hoạt; sử dụng trong kỳ ≥ " + p(tg.usage_pct) + " số đã đăng ký; chi bộ có ghi nhận sinh hoạt ≥ " + p(tg.meetings_pct) + " số chi bộ. Ô tô đỏ: chưa đạt mục tiêu.";
    bars(r);
    // A grassroots organisation has its annual sheet for the rating.
    var grassroots = r.unit.kind === "dang-bo-co-so" || r.unit.kind === "chi-bo-co-so";
    $(".annual-exports").hidden = !grassroots;
    $(".annual-year").textContent = state.to.slice(0, 4);
    tokenUnits();
  }

  // ---- charts --------------------------------------------------------------------------------
  function dataTable(caption, head, rows) {
    // In a visually hidden box: a table's own box ignores `overflow` and would widen the page.
    var box = el("div", null, "visually-hidden"), t = el("table");
    box.appendChild(t);
    t.appendChild(el("caption", caption));
    var hr = t.createTHead().insertRow();
    head.forEach(function (h) { var th = el("th", h); th.scope = "col"; hr.appendChild(th); });
    var tb = t.createTBody();
    rows.forEach(function (r) { var tr = tb.insertRow(); r.forEach(function (c, i) { var x = el(i ? "td" : "th", c); if (!i) x.scope = "row"; tr.appendChild(x); }); });
    return box;
  }

  function bars(r) {
    var box = $(".chart-reg"), tg = r.targets;
    box.textContent = "";
    var ol = el("ol", null, "hbars");
    ol.setAttribute("aria-hidden", "true");
    r.rows.forEach(function (x) {
      var li = el("li");
      li.appendChild(el("span", x.unit_name, "hbar-label"));
      var track = el("span", null, "hbar-track");
      var fill = el("span", null, "hbar-fill" + (x.registration_target_met ? "" : " short"));
      fill.style.width = Math.max(0, Math.min(100, x.registration_target_pct)) + "%";
      var mark = el("span", null, "hbar-target");
      mark.style.left = "calc(" + tg.registration_pct + "% - 1px)";
      track.appendChild(fill); track.appendChild(mark);
      track.appendChild(el("span", p(x.registration_target_pct), "hbar-value"));
      li.appendChild(track);
      ol.appendChild(li);
    });
    box.appendChild(ol);
    box.appendChild(dataTable("Tỷ lệ đăng ký theo đơn vị; mục tiêu ≥ " + p(tg.registration_pct), ["Đơn vị", "Tỷ lệ đăng ký (% ĐV có điện thoại)", "Kết quả"],
      r.rows.map(function (x) { return [x.unit_name, p(x.registration_target_pct), x.registration_target_met ? "Đạt" : "Chưa đạt"]; })));
  }

  // A round step for the y-axis: 1, 2 or 5 times a power of ten.
  function niceStep(max, ticks) {
    var raw = Math.max(1, max / ticks), pow = Math.pow(10, Math.floor(Math.log10(raw)));
    var f = raw / pow;
    return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * pow;
  }

  function trend(weeks) {
    var box = $(".chart-trend");
    box.textContent = "";
    var W = Math.max(240, Math.floor(box.clientWidth || 320)), H = 220;
    var left = 14 + 9 * String(n(Math.max.apply(null, weeks.map(function (x) { return x.active; }).concat([1])))).length, right = 22, top = 12, bottom = 34;
    var max = Math.max.apply(null, weeks.map(function (x) { return x.active; }).concat([1]));
    var step = niceStep(max, 4), ymax = Math.ceil(max / step) * step;
    var s = svg("svg", { viewBox: "0 0 " + W + " " + H, width: W, height: H, role: "img",
      "aria-labelledby": "c-trend" });
    var ph = H - top - bottom, pw = W - left - right;
    var Y = function (v) { return top + ph * (1 - v / ymax); };
    for (var v = 0; v <= ymax + 1e-9; v += step) {
      s.appendChild(svg("line", { x1: left, x2: W - right, y1: Y(v), y2: Y(v), stroke: v ? "#ddd" : "#555" }));
      var t = svg("text", { x: left - 6, y: Y(v) + 5, "text-anchor": "end" }); t.textContent = n(v); s.appendChild(t);
    }
    s.appendChild(svg("line", { x1: left, x2: left, y1: top, y2: top + ph, stroke: "#555" }));
    var dx = pw / Math.max(1, weeks.length - 1), pts = [];
    // As many dd/mm labels as fit (about 48 px each), always the last week's.
    var every = Math.max(1, Math.ceil(62 / dx));
    weeks.forEach(function (x, i) {
      var px = left + i * dx, py = Y(x.active);
      pts.push(px + "," + py);
      var c = svg("circle", { cx: px, cy: py, r: 4, fill: "#9b1b1b" });
      var tt = svg("title", {}); tt.textContent = "Tuần " + dmy(x.from) + " – " + dmy(x.to) + ": " + n(x.active) + " đảng viên";
      c.appendChild(tt);
      s.appendChild(c);
      if ((weeks.length - 1 - i) % every === 0) {
        var lab = svg("text", { x: px, y: H - bottom + 20, "text-anchor": i === weeks.length - 1 ? "end" : "middle" });
        lab.textContent = ddmm(x.to);
        s.appendChild(lab);
      }
    });
    s.insertBefore(svg("polyline", { points: pts.join(" "), fill: "none", stroke: "#9b1b1b", "stroke-width": 2 }), s.firstChild);
    box.appendChild(s);
    box.appendChild(dataTable("Đảng viên sử dụng sổ tay theo tuần", ["Tuần", "Số đảng viên sử dụng", "Lượt xem"],
      weeks.map(function (x) { return [dmy(x.from) + " – " + dmy(x.to), n(x.active), n(x.views)]; })));
  }

  // ---- the year's meetings, a cell's members ---------------------------------------------------
  // Per row (a cell, or a unit and its cells), the months with a meeting record: ✓ for a unit
  // of one cell, "met/cells" otherwise.
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
    var wrap = table.closest(".table-wrap");
    if (wrap) wrap.scrollLeft = wrap.scrollWidth;
  }

  function members(code) {
    var q = period(); q.unit = code;
    api("members", q).then(function (v) {
      var sec = $(".admin-members"), tb = $("table.members tbody");
      tb.textContent = "";
      v.members.forEach(function (m) {
        var tr = tb.insertRow();
        [m.full_name, m.card_number, STATUS[m.status] || m.status, m.registered_on ? dmy(m.registered_on) : "Chưa đăng ký", m.last_active ? dmy(m.last_active) : "—"].forEach(function (c, i) {
          var td = el("td", c);
          if (i === 3 && !m.registered_on) td.className = "not-ok";
          tr.appendChild(td);
        });
      });
      sec.hidden = false;
    }).catch(function (e) { fail(e.message); });
  }

  function download(name, params, file) {
    api(name, params, true).then(function (blob) {
      var a = document.createElement("a");
      a.href = URL.createObjectURL(blob);
      a.download = file;
      document.body.appendChild(a);
      a.click();
      setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
    }).catch(function (e) { fail(e.message); });
  }

  function exportFile(kind) {
    var q = period(); q.unit = current().code;
    download("usage." + kind, q, "thong-ke-so-tay-" + current().code + "-" + state.from + "-" + state.to + "." + kind);
  }

  // ---- admin tokens ----------------------------------------------------------------------
  // Created for the unit shown or one of its children, shown once; revoked at once.
  function tokenApi(method, path, body) {
    var init = { method: method, headers: { authorization: "Bearer " + state.token }, cache: "no-store" };
    if (body) { init.body = JSON.stringify(body); init.headers["content-type"] = "application/json"; }
    return fetch(BASE + "api/v1/admin/tokens" + path, init).then(function (r) {
      if (r.status === 401) { logout(); throw new Error("Mã quản trị không đúng hoặc đã bị thu hồi."); }
      return r.json().then(function (v) {
        if (!r.ok) throw new Error((v.error && v.error.message) || "Lỗi " + r.status);
        return v;
      });
    });
  }
  function when(unix) {
    var d = new Date((unix + 7 * 3600) * 1000).toISOString();
    return d.slice(8, 10) + "/" + d.slice(5, 7) + "/" + d.slice(0, 4) + " " + d.slice(11, 16);
  }
  function shortId(id) { return id ? id.slice(0, 8) : ""; }
  function tokenUnits() {
    var sel = $(".token-form select"), r = state.report;
    if (!sel || !r) return;
    sel.textContent = "";
    [r.unit].concat(r.rows.filter(function (x) { return x.unit_code !== r.unit.code; }).map(function (x) { return { code: x.unit_code, name: x.unit_name }; }))
      .forEach(function (u) { var o = el("option", u.name + " (" + u.code + ")"); o.value = u.code; sel.appendChild(o); });
  }
  function tokens() {
    var box = $(".admin-tokens");
    if (!box || !box.open) return;
    tokenUnits();
    tokenApi("GET", "").then(function (v) {
      var tb = $("table.tokens tbody");
      tb.textContent = "";
      v.tokens.forEach(function (t) {
        var tr = tb.insertRow();
        tr.setAttribute("data-id", t.id);
        [shortId(t.id) + (t.id === v.you ? " (mã đang dùng)" : ""), t.unit_name, t.holder || "—", when(t.created_at), t.created_by ? shortId(t.created_by) : "lệnh quản trị"].forEach(function (c) { tr.appendChild(el("td", c)); });
        var st = el("td");
        if (t.revoked_at) st.appendChild(el("span", "Đã thu hồi " + when(t.revoked_at) + (t.revoked_by ? " (bởi " + shortId(t.revoked_by) + ")" : ""), "not-ok"));
        else {
          st.appendChild(el("span", "Đang dùng ", "ok"));
          var b = el("button", "Thu hồi", "button button-light");
          b.type = "button";
          b.setAttribute("aria-label", "Thu hồi mã " + shortId(t.id) + " của " + (t.holder || t.unit_name));
          b.onclick = function () {
            if (!window.confirm("Thu hồi mã " + shortId(t.id) + " của " + (t.holder || t.unit_name) + "? Mã hết hiệu lực ngay.")) return;
            tokenApi("DELETE", "/" + t.id).then(function () { if (t.id === v.you) logout(); else tokens(); }).catch(function (e) { fail(e.message); });
          };
          st.appendChild(b);
        }
        tr.appendChild(st);
      });
      var log = $(".token-log");
      log.textContent = "";
      v.log.slice(0, 50).forEach(function (e) {
        log.appendChild(el("li", when(e.at) + ": mã " + shortId(e.token_id) + " (" + e.unit_code + ") " + (e.action === "revoke" ? "bị thu hồi" : "được cấp") + (e.by ? " bởi mã " + shortId(e.by) + " (" + e.by_unit + ")" : " bằng lệnh quản trị")));
      });
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
    $(".token-new").hidden = true;
    $(".token-value").textContent = "";
    panel.hidden = true;
    $(".admin-login-box").hidden = false;
    $(".admin-logout").hidden = true;
  }

  // The period form starts at this month.
  var f = $(".admin-period"), t0 = today();
  f.elements.month.value = String(+t0.slice(5, 7));
  f.elements.quarter.value = String(Math.floor((+t0.slice(5, 7) - 1) / 3) + 1);
  f.elements.year.value = t0.slice(0, 4);
  f.elements.from.value = t0.slice(0, 8) + "01";
  f.elements.to.value = t0;
  setPeriod("month", +t0.slice(5, 7), t0.slice(0, 4));
  if (window.matchMedia && window.matchMedia("(max-width: 700px)").matches) $(".period-box").open = false;
  f.elements.kind.addEventListener("change", periodForm);
  f.addEventListener("submit", function (e) {
    e.preventDefault();
    var k = f.elements.kind.value, E = f.elements;
    if (k !== "range" && !/^\d{4}$/.test(E.year.value)) return fail("Nhập năm, ví dụ 2026.");
    if (k === "range" && (!E.from.value || !E.to.value || E.from.value > E.to.value)) return fail("Chọn từ ngày và đến ngày (từ ngày không sau đến ngày).");
    setPeriod(k, k === "month" ? E.month.value : k === "quarter" ? E.quarter.value : k === "year" ? E.year.value : E.from.value, k === "range" ? E.to.value : E.year.value);
    show();
  });
  login.addEventListener("submit", function (e) { e.preventDefault(); state.token = login.elements.token.value.trim(); start(); });
  document.querySelectorAll("[data-annual]").forEach(function (b) {
    b.addEventListener("click", function () {
      var kind = b.getAttribute("data-annual"), y = state.to.slice(0, 4);
      download("annual." + kind, { unit: current().code, year: y }, "danh-gia-so-tay-" + current().code + "-" + y + "." + kind);
    });
  });
  document.querySelectorAll("[data-export]").forEach(function (b) { b.addEventListener("click", function () { exportFile(b.getAttribute("data-export")); }); });
  $(".admin-logout").addEventListener("click", logout);
  $(".admin-tokens").addEventListener("toggle", tokens);
  $(".token-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var f = this, unit = f.elements.unit.value, holder = f.elements.holder.value.trim();
    if (!holder) return fail("Nhập họ tên người nhận mã.");
    tokenApi("POST", "", { unit: unit, holder: holder }).then(function (v) {
      $(".token-new-unit").textContent = v.unit_name + " (" + v.holder + ")";
      $(".token-value").textContent = v.token;
      $(".token-new").hidden = false;
      f.elements.holder.value = "";
      tokens();
    }).catch(function (e) { fail(e.message); });
  });
  $(".more-cols").addEventListener("click", function () {
    var on = this.getAttribute("aria-pressed") !== "true";
    this.setAttribute("aria-pressed", String(on));
    this.textContent = on ? "Bớt cột" : "Thêm cột";
    $("table.report").classList.toggle("show-extra", on);
  });
  $(".card-sort select").addEventListener("change", function () {
    var v = this.value, keys = {
      short: function (x) { return -missed(x).length; },
      reg: function (x) { return x.registration_target_pct; },
      use: function (x) { return x.usage_pct; },
      meet: function (x) { return x.cells_meeting_pct; }
    };
    state.sort = v ? { name: "card-" + v, key: keys[v], dir: "ascending" } : null;
    if (state.report) { table(state.report); cards(state.report); }
  });
  var resized;
  window.addEventListener("resize", function () { clearTimeout(resized); resized = setTimeout(function () { if (state.weeks) trend(state.weeks); }, 150); });
  if (state.token) start();
})();
