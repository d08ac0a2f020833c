// The committee's dashboard (/quan-tri/), made to be read at a glance: the key figures of the
// chosen unit and period first (each with its target and Đạt/Chưa đạt), then the child units
// (a sortable table of at most 8 columns, the rest behind "Thêm cột"; one card per unit on a
// phone), the registration chart (labels wrap, never cut) and the weekly trend (y-axis,
// dd/mm), each chart with its data as a table for screen readers; the year's cell meetings;
// drill-down to a cell's members; CSV/Excel export; the annual sheet of a grassroots
// organisation; admin tokens of the subtree (create, shown once; revoke; the log). The token is
// kept only for this browser session.
(() => {
  "use strict";
  const { $, $$, el, trail } = window.SotayDom;
  const BASE = document.body.getAttribute("data-base") || "/";
  const SVG = "http://www.w3.org/2000/svg";
  const login = $(".admin-login");
  const panel = $(".admin-panel");
  const errBox = $(".admin-error");
  if (!login) return;
  const state = {
    token: sessionStorage.getItem("sotay.admin") || "", stack: [], from: "", to: "", label: "", sort: null,
    report: null, weeks: null,
  };
  const STATUS = { "chinh-thuc": "chính thức", "du-bi": "dự bị", "mien-sinh-hoat": "miễn sinh hoạt" };
  const ROMAN = ["I", "II", "III", "IV"];

  /** An SVG element with its attributes and, if given, its text. */
  function svg(tag, attrs, text) {
    const e = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    if (text != null) e.textContent = text;
    return e;
  }
  // An error; when the network failed (net.js), with a "Thử lại" button that runs `again`.
  function fail(e, again) {
    if (e && e.name === "NetError" && again) {
      window.SotayNet.offerRetry(errBox, e.message, () => {
        errBox.hidden = true;
        again();
      });
    } else {
      errBox.textContent = (e && e.message) || String(e);
      errBox.hidden = false;
    }
  }
  // Numbers as Vietnamese write them: 1.234 and 87,5.
  function n(x) { return Number(x).toLocaleString("vi-VN"); }
  function p(x) {
    return `${Number(x).toLocaleString("vi-VN", { minimumFractionDigits: 1, maximumFractionDigits: 1 })}%`;
  }
  function ddmm(iso) { return `${iso.slice(8, 10)}/${iso.slice(5, 7)}`; }
  function dmy(iso) { return `${iso.slice(8, 10)}/${iso.slice(5, 7)}/${iso.slice(0, 4)}`; }
  function pad(x) { return (x < 10 ? "0" : "") + x; }
  // Today in Vietnam, YYYY-MM-DD.
  function today() { return new Date(Date.now() + 7 * 3600 * 1000).toISOString().slice(0, 10); }
  function lastDay(y, m) { return new Date(Date.UTC(y, m, 0)).getUTCDate(); }

  function api(name, params, raw) {
    const q = new URLSearchParams(params);
    const url = `${BASE}api/v1/reports/${name}?${q}`;
    const opts = { headers: { authorization: `Bearer ${state.token}` }, cache: "no-store" };
    return (window.SotayNet ? window.SotayNet.request(url, opts) : fetch(url, opts)).then((r) => {
      if (r.status === 401) {
        logout();
        throw new Error("Mã quản trị không đúng hoặc đã bị thu hồi. Hỏi cấp ủy cấp trên để được cấp mã mới.");
      }
      if (r.status === 403) throw new Error("Đơn vị này nằm ngoài phạm vi của mã quản trị.");
      if (!r.ok) return r.json().then((v) => { throw new Error((v.error && v.error.message) || `Lỗi ${r.status}`); });
      return raw ? r.blob() : r.json();
    });
  }

  // ---- the period ------------------------------------------------------------------------
  // Month, quarter, year or a range of days; a period that has not ended stops today.
  function setPeriod(kind, a, b) {
    const t = today();
    let from;
    let to;
    let label;
    if (kind === "month") {
      const [m, y] = [+a, +b];
      [from, to, label] = [`${y}-${pad(m)}-01`, `${y}-${pad(m)}-${pad(lastDay(y, m))}`, `tháng ${m}/${y}`];
    } else if (kind === "quarter") {
      const [q, y] = [+a, +b];
      const m1 = (q - 1) * 3 + 1;
      from = `${y}-${pad(m1)}-01`;
      to = `${y}-${pad(m1 + 2)}-${pad(lastDay(y, m1 + 2))}`;
      label = `quý ${ROMAN[q - 1]}/${y}`;
    } else if (kind === "year") {
      const y = +a;
      [from, to, label] = [`${y}-01-01`, `${y}-12-31`, `năm ${y}`];
    } else {
      [from, to, label] = [a, b, `từ ${dmy(a)} đến ${dmy(b)}`];
    }
    if (to > t) {
      to = t;
      if (kind !== "range") label += ` (đến ${dmy(t)})`;
    }
    if (from > to) from = to;
    Object.assign(state, { from, to, label, kind });
  }

  function periodForm() {
    const f = $(".admin-period");
    const kind = f.elements.kind.value;
    $$(".admin-period [data-kind]").forEach((l) => {
      l.hidden = !l.getAttribute("data-kind").split(" ").includes(kind);
    });
  }

  function period() { return { from: state.from, to: state.to }; }
  function current() { return state.stack[state.stack.length - 1]; }

  function show() {
    errBox.hidden = true;
    const unit = current();
    Promise.all([
      api("usage", { ...period(), unit: unit.code }),
      api("trend", { unit: unit.code, to: state.to, weeks: 12 }),
      api("year", { unit: unit.code, year: state.to.slice(0, 4) }),
    ]).then(([usage, weekly, year]) => {
      state.report = usage;
      state.weeks = weekly.weeks;
      render(usage);
      trend(weekly.weeks);
      meetings(year);
      // A unit without child units: its members.
      if (usage.rows.length === 1 && usage.rows[0].unit_code === usage.unit.code) members(unit.code);
      else $(".admin-members").hidden = true;
    }).catch((e) => { fail(e, show); });
  }

  function crumbs() {
    const nav = $(".admin-crumbs");
    // The admin's own unit alone needs no trail.
    trail(nav, state.stack.length < 2 ? [] : state.stack, (i) => {
      state.stack = state.stack.slice(0, i + 1);
      show();
    });
  }

  // ---- key figures -------------------------------------------------------------------------
  function badge(ok) { return el("span", { class: `badge ${ok ? "ok" : "not-ok"}` }, ok ? "Đạt" : "Chưa đạt"); }

  function kpis(r) {
    const t = r.total;
    const tg = r.targets;
    const ul = $(".kpis");
    ul.textContent = "";
    [
      {
        name: "Đã đăng ký", value: `${n(t.registered)}/${n(t.members)}`, sub: `đảng viên (${p(t.registered_pct)})`,
        target: `Mục tiêu ≥ ${p(tg.registration_pct)} ĐV có điện thoại: ${p(t.registration_target_pct)} `
          + `(${n(t.smartphone_registered)}/${n(t.smartphone_members)})`,
        ok: t.registration_target_met,
      },
      { name: "Đang sử dụng", value: n(t.active), sub: `ĐV dùng trong kỳ (${p(t.usage_pct)} số đã đăng ký)`,
        target: `Mục tiêu ≥ ${p(tg.usage_pct)} số đã đăng ký`, ok: t.usage_target_met },
      {
        name: "Chi bộ sinh hoạt có dùng sổ tay", value: `${n(t.cells_meeting)}/${n(t.cells)}`,
        sub: `chi bộ (${p(t.cells_meeting_pct)})`, target: `Mục tiêu ≥ ${p(tg.meetings_pct)} số chi bộ`,
        ok: t.meeting_target_met,
      },
    ].forEach((k) => {
      const li = el("li", { class: `kpi ${k.ok ? "is-ok" : "is-short"}` });
      const head = el("div", { class: "kpi-head" });
      const name = el("span", { class: "kpi-name" }, `${k.name} `);
      const v = el("span", { class: "kpi-value" }, `${k.value} `);
      v.appendChild(el("small", null, k.sub));
      name.appendChild(v);
      head.appendChild(name);
      head.appendChild(badge(k.ok));
      li.appendChild(head);
      li.appendChild(el("div", { class: "kpi-target" }, k.target));
      ul.appendChild(li);
    });
  }

  // ---- the table of child units ----------------------------------------------------------------
  // Each column: its header (and what a percentage is of), its value and how it sorts; `extra`
  // columns are behind "Thêm cột"; `below` marks a value under its target.
  function columns(r) {
    const tg = r.targets;
    const cols = [
      { head: "Đảng viên", value: (x) => n(x.members), key: (x) => x.members },
      { head: "Đã đăng ký", value: (x) => n(x.registered), key: (x) => x.registered },
      {
        head: "Đăng ký %", sub: `trên ĐV có điện thoại đang sinh hoạt · mục tiêu ≥ ${p(tg.registration_pct)}`,
        value: (x) => p(x.registration_target_pct), key: (x) => x.registration_target_pct,
        below: (x) => !x.registration_target_met,
      },
      { head: "Đang sử dụng", sub: "số người dùng trong kỳ", value: (x) => n(x.active), key: (x) => x.active },
      {
        head: "Sử dụng %", sub: `trên số đã đăng ký · mục tiêu ≥ ${p(tg.usage_pct)}`,
        value: (x) => p(x.usage_pct), key: (x) => x.usage_pct, below: (x) => !x.usage_target_met,
      },
      {
        head: "Chi bộ sinh hoạt có dùng sổ tay", sub: `số chi bộ / tổng số · mục tiêu ≥ ${p(tg.meetings_pct)}`,
        value: (x) => `${n(x.cells_meeting)}/${n(x.cells)} (${p(x.cells_meeting_pct)})`,
        key: (x) => x.cells_meeting_pct, below: (x) => !x.meeting_target_met,
      },
      { head: "Kết quả", sub: "3 mục tiêu", value: verdict, key: (x) => missed(x).length, text: true },
      {
        head: "Đăng ký %", sub: "trên tổng số đảng viên", extra: true,
        value: (x) => p(x.registered_pct), key: (x) => x.registered_pct,
      },
      {
        head: "ĐV có điện thoại", sub: "đang sinh hoạt", extra: true,
        value: (x) => n(x.smartphone_members), key: (x) => x.smartphone_members,
      },
    ];
    Object.keys(r.total.not_registered_by_status).forEach((s) => {
      const count = (x) => x.not_registered_by_status[s] || 0;
      cols.push({ head: "Chưa đăng ký", sub: STATUS[s] || s, extra: true, value: (x) => n(count(x)), key: count });
    });
    cols.push({
      head: "Dự sinh hoạt %", sub: "đảng viên có mặt trên tổng số, các buổi có ghi nhận", extra: true,
      value: (x) => (x.cells_meeting ? p(x.meeting_attendance_pct) : "—"), key: (x) => x.meeting_attendance_pct,
    });
    cols.push({ head: "Lượt truy cập", extra: true, value: (x) => n(x.views), key: (x) => x.views });
    return cols;
  }

  function missed(x) {
    const m = [];
    if (!x.registration_target_met) m.push("đăng ký");
    if (!x.usage_target_met) m.push("sử dụng");
    if (!x.meeting_target_met) m.push("sinh hoạt");
    return m;
  }
  function verdict(x) { const m = missed(x); return m.length ? `Chưa đạt: ${m.join(", ")}` : "Đạt"; }

  function drill(x) {
    state.stack.push({ code: x.unit_code, name: x.unit_name });
    show();
  }
  /** A class attribute from the names given (falsy ones left out); none when empty. */
  const classes = (...names) => names.filter(Boolean).join(" ") || null;

  function unitName(x, r, tag) {
    const cell = el(tag);
    if (x.unit_code !== r.unit.code) {
      const b = el("button", { type: "button", class: "link-button" }, x.unit_name);
      b.onclick = () => { drill(x); };
      cell.appendChild(b);
    } else cell.textContent = x.unit_name;
    return cell;
  }

  function sortedRows(r) {
    const rows = r.rows.map((x, i) => Object.assign(x, { _i: i }));
    const s = state.sort;
    if (!s) return rows;
    return rows.slice().sort((a, b) => {
      const ka = s.key(a);
      const kb = s.key(b);
      const c = ka < kb ? -1 : ka > kb ? 1 : a._i - b._i;
      return s.dir === "descending" ? -c : c;
    });
  }

  function table(r) {
    const cols = columns(r);
    const t = $("table.report");
    const hr = t.tHead.rows[0] || t.tHead.insertRow();
    hr.textContent = "";
    const nameTh = el("th", { class: "unit-col", scope: "col" });
    nameTh.appendChild(sortButton({ name: "unit", key: (x) => x._i }, "Đơn vị", nameTh));
    hr.appendChild(nameTh);
    cols.forEach((c, i) => {
      const th = el("th", { class: classes(!c.text && "num", c.extra && "extra"), scope: "col" });
      const b = sortButton({ name: `c${i}`, key: c.key }, c.head, th);
      if (c.sub) b.appendChild(el("small", null, c.sub));
      th.appendChild(b);
      hr.appendChild(th);
    });
    const tb = t.tBodies[0];
    tb.textContent = "";
    sortedRows(r).forEach((x) => { row(tb.insertRow(), x, false); });
    const tf = t.tFoot;
    tf.textContent = "";
    row(tf.insertRow(), r.total, true);
    function row(tr, x, total) {
      if (missed(x).length) tr.className = "short";
      const name = total ? el("th", null, "Tổng cộng") : unitName(x, r, "th");
      name.scope = "row";
      name.classList.add("unit-col");
      tr.appendChild(name);
      cols.forEach((c) => {
        const below = c.below && c.below(x);
        const td = el("td", { class: classes(!c.text && "num", c.extra && "extra", below && "below") }, c.value(x));
        if (c.text) td.classList.add(missed(x).length ? "not-ok" : "ok");
        tr.appendChild(td);
      });
    }
  }

  function sortButton(spec, label, th) {
    const b = el("button", { type: "button", class: "sort" }, label);
    const sorted = state.sort && state.sort.name === spec.name;
    if (sorted) th.setAttribute("aria-sort", state.sort.dir);
    b.onclick = () => {
      const dir = sorted && state.sort.dir === "ascending" ? "descending" : "ascending";
      state.sort = { name: spec.name, key: spec.key, dir };
      table(state.report);
      cards(state.report);
      const again = document.querySelector("table.report thead th[aria-sort] .sort");
      if (again) again.focus();
    };
    return b;
  }

  // On a phone: one card per unit, the three targets and the verdict.
  function cards(r) {
    const ol = $(".unit-cards");
    ol.textContent = "";
    [...sortedRows(r), r.total].forEach((x) => {
      const total = x === r.total;
      const li = el("li", { class: `unit-card${missed(x).length ? " short" : ""}${total ? " is-total" : ""}` });
      const h = total ? el("h3", null, "Tổng cộng") : unitName(x, r, "h3");
      h.appendChild(badge(!missed(x).length));
      li.appendChild(h);
      const dl = el("dl");
      [
        ["Đã đăng ký / đảng viên", `${n(x.registered)}/${n(x.members)}`, false],
        ["Đăng ký / ĐV có điện thoại", p(x.registration_target_pct), !x.registration_target_met],
        ["Sử dụng / đã đăng ký", p(x.usage_pct), !x.usage_target_met],
        ["Chi bộ sinh hoạt dùng sổ tay", `${n(x.cells_meeting)}/${n(x.cells)}`, !x.meeting_target_met],
      ].forEach(([term, value, below]) => {
        dl.appendChild(el("dt", null, term));
        dl.appendChild(below
          ? el("dd", { class: "below" }, value,
            el("span", { "aria-hidden": "true" }, " ✗"),
            el("span", { class: "visually-hidden" }, ", chưa đạt"))
          : el("dd", null, value));
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
    const title = $(".admin-title");
    title.textContent = `${r.unit.name} `;
    title.appendChild(el("span", { class: "period" }, `· ${state.label}`));
    kpis(r);
    table(r);
    cards(r);
    const tg = r.targets;
    $(".report-legend").textContent = `Đạt khi đủ cả 3 mục tiêu: đăng ký ≥ ${p(tg.registration_pct)} đảng viên có `
      + `điện thoại đang sinh hoạt; sử dụng trong kỳ ≥ ${p(tg.usage_pct)} số đã đăng ký; chi bộ có ghi nhận sinh hoạt `
      + `≥ ${p(tg.meetings_pct)} số chi bộ. Ô tô đỏ: chưa đạt mục tiêu.`;
    bars(r);
    // A grassroots organisation has its annual sheet for the rating.
    const grassroots = r.unit.kind === "dang-bo-co-so" || r.unit.kind === "chi-bo-co-so";
    $(".annual-exports").hidden = !grassroots;
    $(".annual-year").textContent = state.to.slice(0, 4);
    tokenUnits();
  }

  // ---- charts --------------------------------------------------------------------------------
  function dataTable(caption, head, rows) {
    // In a visually hidden box: a table's own box ignores `overflow` and would widen the page.
    const box = el("div", { class: "visually-hidden" });
    const t = el("table", null, el("caption", null, caption));
    box.appendChild(t);
    const hr = t.createTHead().insertRow();
    head.forEach((h) => { hr.appendChild(el("th", { scope: "col" }, h)); });
    const tb = t.createTBody();
    rows.forEach(([first, ...rest]) => {
      tb.insertRow().append(el("th", { scope: "row" }, first), ...rest.map((c) => el("td", null, c)));
    });
    return box;
  }

  function bars(r) {
    const box = $(".chart-reg");
    const tg = r.targets;
    box.textContent = "";
    const ol = el("ol", { class: "hbars", "aria-hidden": "true" });
    r.rows.forEach((x) => {
      const li = el("li");
      li.appendChild(el("span", { class: "hbar-label" }, x.unit_name));
      const track = el("span", { class: "hbar-track" });
      const fill = el("span", { class: `hbar-fill${x.registration_target_met ? "" : " short"}` });
      fill.style.width = `${Math.max(0, Math.min(100, x.registration_target_pct))}%`;
      const mark = el("span", { class: "hbar-target" });
      mark.style.left = `calc(${tg.registration_pct}% - 1px)`;
      track.append(fill, mark, el("span", { class: "hbar-value" }, p(x.registration_target_pct)));
      li.appendChild(track);
      ol.appendChild(li);
    });
    box.appendChild(ol);
    box.appendChild(dataTable(`Tỷ lệ đăng ký theo đơn vị; mục tiêu ≥ ${p(tg.registration_pct)}`,
      ["Đơn vị", "Tỷ lệ đăng ký (% ĐV có điện thoại)", "Kết quả"],
      r.rows.map((x) => [x.unit_name, p(x.registration_target_pct), x.registration_target_met ? "Đạt" : "Chưa đạt"])));
  }

  // A round step for the y-axis: 1, 2 or 5 times a power of ten.
  function niceStep(max, ticks) {
    const raw = Math.max(1, max / ticks);
    const pow = Math.pow(10, Math.floor(Math.log10(raw)));
    const f = raw / pow;
    return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * pow;
  }

  function trend(weeks) {
    const box = $(".chart-trend");
    box.textContent = "";
    const W = Math.max(240, Math.floor(box.clientWidth || 320));
    const H = 220;
    const max = Math.max(...weeks.map((x) => x.active), 1);
    const left = 14 + 9 * String(n(max)).length;
    const right = 22;
    const top = 12;
    const bottom = 34;
    const step = niceStep(max, 4);
    const ymax = Math.ceil(max / step) * step;
    const s = svg("svg", { viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: "img",
      "aria-labelledby": "c-trend" });
    const ph = H - top - bottom;
    const pw = W - left - right;
    const Y = (v) => top + ph * (1 - v / ymax);
    for (let v = 0; v <= ymax + 1e-9; v += step) {
      s.appendChild(svg("line", { x1: left, x2: W - right, y1: Y(v), y2: Y(v), stroke: v ? "#ddd" : "#555" }));
      s.appendChild(svg("text", { x: left - 6, y: Y(v) + 5, "text-anchor": "end" }, n(v)));
    }
    s.appendChild(svg("line", { x1: left, x2: left, y1: top, y2: top + ph, stroke: "#555" }));
    const dx = pw / Math.max(1, weeks.length - 1);
    const pts = [];
    // As many dd/mm labels as fit (about 48 px each), always the last week's.
    const every = Math.max(1, Math.ceil(62 / dx));
    weeks.forEach((x, i) => {
      const px = left + i * dx;
      const py = Y(x.active);
      pts.push(`${px},${py}`);
      const c = svg("circle", { cx: px, cy: py, r: 4, fill: "#9b1b1b" });
      c.appendChild(svg("title", {}, `Tuần ${dmy(x.from)} – ${dmy(x.to)}: ${n(x.active)} đảng viên`));
      s.appendChild(c);
      if ((weeks.length - 1 - i) % every === 0) {
        const anchor = i === weeks.length - 1 ? "end" : "middle";
        s.appendChild(svg("text", { x: px, y: H - bottom + 20, "text-anchor": anchor }, ddmm(x.to)));
      }
    });
    const line = svg("polyline", { points: pts.join(" "), fill: "none", stroke: "#9b1b1b", "stroke-width": 2 });
    s.insertBefore(line, s.firstChild);
    box.appendChild(s);
    box.appendChild(dataTable("Đảng viên sử dụng sổ tay theo tuần", ["Tuần", "Số đảng viên sử dụng", "Lượt xem"],
      weeks.map((x) => [`${dmy(x.from)} – ${dmy(x.to)}`, n(x.active), n(x.views)])));
  }

  // ---- the year's meetings, a cell's members ---------------------------------------------------
  // Per row (a cell, or a unit and its cells), the months with a meeting record: ✓ for a unit
  // of one cell, "met/cells" otherwise.
  function meetings(y) {
    const sec = $(".admin-meetings");
    if (!sec) return;
    $(".admin-meetings-year", sec).textContent = String(y.year);
    const grid = $("table.meetings", sec);
    const hr = grid.tHead.rows[0] || grid.tHead.insertRow();
    hr.textContent = "";
    hr.appendChild(el("th", { scope: "col" }, "Đơn vị"));
    for (let m = 1; m <= 12; m++) {
      hr.appendChild(el("th", { class: "num", scope: "col", title: `Tháng ${m}` }, `T${m}`));
    }
    const tb = grid.tBodies[0];
    tb.textContent = "";
    y.rows.forEach((r) => {
      if (r.total && y.rows.length > 1) return;
      const tr = tb.insertRow();
      tr.setAttribute("data-unit", r.unit_code);
      tr.appendChild(el("th", null, r.unit_name));
      r.months.forEach((x) => {
        const text = x.cells === 1 ? (x.cells_meeting ? "✓" : "—") : (x.cells ? `${x.cells_meeting}/${x.cells}` : "");
        const td = el("td", { class: `num${x.cells && x.cells_meeting === x.cells ? " ok" : ""}` }, text);
        if (x.cells_meeting) {
          td.title = `Tháng ${x.month}: ${x.cells_meeting}/${x.cells} chi bộ đã sinh hoạt; `
            + `${x.meeting_attendance_pct.toFixed(1)}% đảng viên dự`;
        }
        tr.appendChild(td);
      });
    });
    sec.hidden = false;
    const wrap = grid.closest(".table-wrap");
    if (wrap) wrap.scrollLeft = wrap.scrollWidth;
  }

  function members(code) {
    api("members", { ...period(), unit: code }).then((v) => {
      const sec = $(".admin-members");
      const tb = $("table.members tbody");
      tb.textContent = "";
      v.members.forEach((m) => {
        const tr = tb.insertRow();
        tr.append(
          el("td", null, m.full_name),
          el("td", null, m.card_number),
          el("td", null, STATUS[m.status] || m.status),
          m.registered_on ? el("td", null, dmy(m.registered_on)) : el("td", { class: "not-ok" }, "Chưa đăng ký"),
          el("td", null, m.last_active ? dmy(m.last_active) : "—"));
      });
      sec.hidden = false;
    }).catch((e) => { fail(e, () => { members(code); }); });
  }

  function download(name, params, file) {
    api(name, params, true).then((blob) => {
      const a = el("a", { href: URL.createObjectURL(blob), download: file });
      document.body.appendChild(a);
      a.click();
      setTimeout(() => {
        URL.revokeObjectURL(a.href);
        a.remove();
      }, 1000);
    }).catch((e) => { fail(e, () => { download(name, params, file); }); });
  }

  function exportFile(kind) {
    const unit = current().code;
    download(`usage.${kind}`, { ...period(), unit }, `thong-ke-so-tay-${unit}-${state.from}-${state.to}.${kind}`);
  }

  // ---- admin tokens ----------------------------------------------------------------------
  // Created for the unit shown or one of its children, shown once; revoked at once.
  function tokenApi(method, path, body) {
    const init = { method, headers: { authorization: `Bearer ${state.token}` }, cache: "no-store" };
    if (body) {
      init.body = JSON.stringify(body);
      init.headers["content-type"] = "application/json";
    }
    return fetch(`${BASE}api/v1/admin/tokens${path}`, init).then((r) => {
      if (r.status === 401) {
        logout();
        throw new Error("Mã quản trị không đúng hoặc đã bị thu hồi.");
      }
      return r.json().then((v) => {
        if (!r.ok) throw new Error((v.error && v.error.message) || `Lỗi ${r.status}`);
        return v;
      });
    });
  }
  function when(unix) {
    const d = new Date((unix + 7 * 3600) * 1000).toISOString();
    return `${d.slice(8, 10)}/${d.slice(5, 7)}/${d.slice(0, 4)} ${d.slice(11, 16)}`;
  }
  function shortId(id) { return id ? id.slice(0, 8) : ""; }
  function tokenUnits() {
    const sel = $(".token-form select");
    const r = state.report;
    if (!sel || !r) return;
    sel.textContent = "";
    const children = r.rows.filter((x) => x.unit_code !== r.unit.code)
      .map((x) => ({ code: x.unit_code, name: x.unit_name }));
    for (const u of [r.unit, ...children]) sel.appendChild(el("option", { value: u.code }, `${u.name} (${u.code})`));
  }
  function tokens() {
    const box = $(".admin-tokens");
    if (!box || !box.open) return;
    tokenUnits();
    tokenApi("GET", "").then((v) => {
      const tb = $("table.tokens tbody");
      tb.textContent = "";
      v.tokens.forEach((t) => {
        const tr = tb.insertRow();
        tr.setAttribute("data-id", t.id);
        [
          shortId(t.id) + (t.id === v.you ? " (mã đang dùng)" : ""), t.unit_name, t.holder || "—", when(t.created_at),
          t.created_by ? shortId(t.created_by) : "lệnh quản trị",
        ].forEach((c) => { tr.appendChild(el("td", null, c)); });
        const st = el("td");
        if (t.revoked_at) {
          const by = t.revoked_by ? ` (bởi ${shortId(t.revoked_by)})` : "";
          st.appendChild(el("span", { class: "not-ok" }, `Đã thu hồi ${when(t.revoked_at)}${by}`));
        } else {
          const whose = `mã ${shortId(t.id)} của ${t.holder || t.unit_name}`;
          const b = el("button", { type: "button", class: "button button-light", "aria-label": `Thu hồi ${whose}` },
            "Thu hồi");
          b.onclick = () => {
            if (!window.confirm(`Thu hồi ${whose}? Mã hết hiệu lực ngay.`)) return;
            tokenApi("DELETE", `/${t.id}`).then(() => {
              if (t.id === v.you) logout();
              else tokens();
            }).catch((e) => { fail(e.message); });
          };
          st.append(el("span", { class: "ok" }, "Đang dùng "), b);
        }
        tr.appendChild(st);
      });
      const log = $(".token-log");
      log.textContent = "";
      v.log.slice(0, 50).forEach((x) => {
        const what = x.action === "revoke" ? "bị thu hồi" : "được cấp";
        const by = x.by ? ` bởi mã ${shortId(x.by)} (${x.by_unit})` : " bằng lệnh quản trị";
        log.appendChild(el("li", null, `${when(x.at)}: mã ${shortId(x.token_id)} (${x.unit_code}) ${what}${by}`));
      });
    }).catch((e) => { fail(e.message); });
  }

  function start() {
    api("me", {}).then((v) => {
      sessionStorage.setItem("sotay.admin", state.token);
      state.stack = [{ code: v.unit.code, name: v.unit.name }];
      show();
    }).catch((e) => { fail(e, start); });
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
  const periodBox = $(".admin-period");
  const t0 = today();
  const E = periodBox.elements;
  E.month.value = String(+t0.slice(5, 7));
  E.quarter.value = String(Math.floor((+t0.slice(5, 7) - 1) / 3) + 1);
  E.year.value = t0.slice(0, 4);
  E.from.value = `${t0.slice(0, 8)}01`;
  E.to.value = t0;
  setPeriod("month", +t0.slice(5, 7), t0.slice(0, 4));
  if (window.matchMedia && window.matchMedia("(max-width: 700px)").matches) $(".period-box").open = false;
  E.kind.addEventListener("change", periodForm);
  periodBox.addEventListener("submit", (e) => {
    e.preventDefault();
    const k = E.kind.value;
    if (k !== "range" && !/^\d{4}$/.test(E.year.value)) return fail("Nhập năm, ví dụ 2026.");
    if (k === "range" && (!E.from.value || !E.to.value || E.from.value > E.to.value)) {
      return fail("Chọn từ ngày và đến ngày (từ ngày không sau đến ngày).");
    }
    const first = { month: E.month.value, quarter: E.quarter.value, year: E.year.value, range: E.from.value }[k];
    setPeriod(k, first, k === "range" ? E.to.value : E.year.value);
    return show();
  });
  login.addEventListener("submit", (e) => {
    e.preventDefault();
    state.token = login.elements.token.value.trim();
    start();
  });
  $$("[data-annual]").forEach((b) => {
    b.addEventListener("click", () => {
      const kind = b.getAttribute("data-annual");
      const y = state.to.slice(0, 4);
      download(`annual.${kind}`, { unit: current().code, year: y }, `danh-gia-so-tay-${current().code}-${y}.${kind}`);
    });
  });
  $$("[data-export]").forEach((b) => {
    b.addEventListener("click", () => { exportFile(b.getAttribute("data-export")); });
  });
  $(".admin-logout").addEventListener("click", logout);
  $(".admin-tokens").addEventListener("toggle", tokens);
  $(".token-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const f = e.currentTarget;
    const unit = f.elements.unit.value;
    const holder = f.elements.holder.value.trim();
    if (!holder) return fail("Nhập họ tên người nhận mã.");
    tokenApi("POST", "", { unit, holder }).then((v) => {
      $(".token-new-unit").textContent = `${v.unit_name} (${v.holder})`;
      $(".token-value").textContent = v.token;
      $(".token-new").hidden = false;
      f.elements.holder.value = "";
      tokens();
    }).catch((err) => { fail(err.message); });
  });
  $(".more-cols").addEventListener("click", (e) => {
    const b = e.currentTarget;
    const on = b.getAttribute("aria-pressed") !== "true";
    b.setAttribute("aria-pressed", String(on));
    b.textContent = on ? "Bớt cột" : "Thêm cột";
    $("table.report").classList.toggle("show-extra", on);
  });
  $(".card-sort select").addEventListener("change", (e) => {
    const v = e.currentTarget.value;
    const keys = {
      short: (x) => -missed(x).length,
      reg: (x) => x.registration_target_pct,
      use: (x) => x.usage_pct,
      meet: (x) => x.cells_meeting_pct,
    };
    state.sort = v ? { name: `card-${v}`, key: keys[v], dir: "ascending" } : null;
    if (state.report) {
      table(state.report);
      cards(state.report);
    }
  });
  let resized;
  window.addEventListener("resize", () => {
    clearTimeout(resized);
    resized = setTimeout(() => { if (state.weeks) trend(state.weeks); }, 150);
  });
  if (state.token) start();
})();
