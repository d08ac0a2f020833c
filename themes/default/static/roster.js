// The member database kept by the units themselves (/quan-tri/danh-sach/): the data-quality
// view of the admin's subtree with drill-down to a cell's members and an Excel export to fix;
// an upload of a unit's roster, checked and previewed (problems at their cells, what would
// change) before "Áp dụng"; the change log with the state before each change. Uses the admin
// token of the dashboard's session (sessionStorage "sotay.admin").
(() => {
  "use strict";
  const { $, $$, el, trail } = window.SotayDom;
  const BASE = document.body.getAttribute("data-base") || "/";
  const login = $(".roster-login");
  const panel = $(".roster-panel");
  const errBox = $(".roster-error");
  if (!login) return;
  const state = { token: sessionStorage.getItem("sotay.admin") || "", stack: [], upload: null };
  const STATUS = { "chinh-thuc": "Chính thức", "du-bi": "Dự bị", "mien-sinh-hoat": "Miễn sinh hoạt" };
  const ROLE = {
    "dang-vien": "Đảng viên", "bi-thu": "Bí thư", "pho-bi-thu": "Phó bí thư", "cap-uy-vien": "Cấp ủy viên",
  };
  const KIND = {
    "tinh-uy": "Tỉnh ủy", "dang-bo": "Đảng bộ", "dang-bo-co-so": "Đảng bộ cơ sở", "chi-bo-co-so": "Chi bộ cơ sở",
    "chi-bo": "Chi bộ",
  };
  const FIELD = {
    full_name: "Họ và tên", birth_date: "Ngày sinh", status: "Tình trạng", role: "Chức vụ",
    smartphone: "Điện thoại thông minh", name: "Tên", parent_code: "Đơn vị cấp trên", kind: "Loại",
  };

  function fail(msg) { errBox.textContent = msg; errBox.hidden = false; }
  function current() { return state.stack[state.stack.length - 1]; }
  function vnDate(iso) {
    const p = String(iso || "").split("-");
    return p.length === 3 ? `${p[2]}/${p[1]}/${p[0]}` : String(iso || "");
  }
  function phone(v) { return v === true ? "Có" : v === false ? "Không" : "Chưa ghi"; }
  function shown(field, v) {
    if (field === "status") return STATUS[v] || v;
    if (field === "role") return ROLE[v] || v;
    if (field === "kind") return KIND[v] || v;
    if (field === "smartphone") return phone(v);
    if (field === "birth_date") return vnDate(v);
    return v == null ? "" : String(v);
  }

  // A call to /api/v1/roster/...: the Response for the caller to read; 401 logs out.
  function call(path, opts = {}) {
    const headers = { authorization: `Bearer ${state.token}`, ...opts.headers };
    return fetch(`${BASE}api/v1/roster/${path}`, { ...opts, headers, cache: "no-store" }).then((r) => {
      if (r.status === 401) {
        logout();
        throw new Error("Mã quản trị không đúng hoặc đã bị thu hồi.");
      }
      return r;
    });
  }
  /** The server's error as an Error (its message is Vietnamese). */
  const refused = (r, v) => new Error((v.error && v.error.message) || `Lỗi ${r.status}`);
  function json(path, opts) {
    return call(path, opts).then((r) => r.json().catch(() => ({})).then((v) => {
      if (!r.ok) throw refused(r, v);
      return v;
    }));
  }
  function q(params) { return new URLSearchParams(params).toString(); }

  function crumbs() {
    trail($(".roster-crumbs"), state.stack, (i) => {
      state.stack = state.stack.slice(0, i + 1);
      showUnit();
    });
    $(".update-unit").textContent = current().name;
  }

  function showUnit() {
    errBox.hidden = true;
    crumbs();
    quality();
    history();
    resetUpload();
  }

  // ---- data quality ------------------------------------------------------------------------

  function quality() {
    return json(`quality?${q({ unit: current().code })}`).then(renderQuality).catch((e) => { fail(e.message); });
  }

  function renderQuality(v) {
    panel.hidden = false;
    login.hidden = true;
    const kinds = v.kinds;
    const t = v.total;
    $(".roster-summary").textContent =
      `${t.members} đảng viên ở ${t.cells} chi bộ; ${t.members_to_fix} đảng viên có thông tin cần sửa.`;
    const table = $("table.quality");
    table.setAttribute("data-unit", v.unit.code);
    const hr = table.tHead.rows[0] || table.tHead.insertRow();
    hr.textContent = "";
    for (const h of ["Đơn vị", "Đảng viên", "Cần sửa", ...kinds.map((k) => k.label)]) {
      hr.appendChild(el("th", { scope: "col" }, h));
    }
    function row(tr, x, total) {
      const name = el(total ? "th" : "td");
      if (!total && x.unit_code !== v.unit.code) {
        const b = el("button", { type: "button", class: "link-button" }, x.unit_name);
        b.onclick = () => {
          state.stack.push({ code: x.unit_code, name: x.unit_name });
          showUnit();
        };
        name.appendChild(b);
      } else name.textContent = total ? "Tổng cộng" : x.unit_name;
      tr.appendChild(name);
      tr.appendChild(el("td", { class: "num" }, String(x.members)));
      tr.appendChild(el("td", { class: `num${x.members_to_fix ? " bad" : ""}` }, String(x.members_to_fix)));
      kinds.forEach((k) => {
        const n = x.findings[k.kind] || 0;
        tr.appendChild(el("td", { class: `num${n ? " bad" : ""}` }, String(n)));
      });
    }
    const tb = table.tBodies[0];
    tb.textContent = "";
    v.rows.forEach((x) => {
      const tr = tb.insertRow();
      tr.setAttribute("data-unit", x.unit_code);
      row(tr, x, false);
    });
    const tf = table.tFoot;
    tf.textContent = "";
    row(tf.insertRow(), t, true);
    const cell = $(".roster-cell");
    if (!v.members) {
      cell.hidden = true;
      return;
    }
    const ul = $(".cell-findings");
    ul.textContent = "";
    (v.cell_findings || []).forEach((f) => { ul.appendChild(el("li", null, f.message)); });
    const mb = $("table.cell-members tbody");
    mb.textContent = "";
    v.members.forEach((m) => {
      const tr = mb.insertRow();
      if (m.findings.length) tr.className = "to-fix";
      [m.full_name, m.card_number, vnDate(m.birth_date), ROLE[m.role] || m.role, phone(m.smartphone)]
        .forEach((c) => { tr.appendChild(el("td", null, c)); });
      tr.appendChild(el("td", { class: "fix" }, m.findings.map((f) => f.message).join("; ")));
    });
    cell.hidden = false;
  }

  function download(path, params, filename) {
    call(`${path}?${q(params)}`).then((r) => {
      if (!r.ok) return r.json().then((v) => { throw refused(r, v); });
      return r.blob();
    }).then((blob) => {
      const a = el("a", { href: URL.createObjectURL(blob), download: filename });
      document.body.appendChild(a);
      a.click();
      setTimeout(() => {
        URL.revokeObjectURL(a.href);
        a.remove();
      }, 1000);
    }).catch((e) => { fail(e.message); });
  }

  // ---- upload, preview, apply --------------------------------------------------------------

  function resetUpload() {
    state.upload = null;
    $(".roster-result").hidden = true;
    const f = $(".roster-upload");
    if (f) f.reset();
    $(".file-name").textContent = "Chưa chọn tệp";
  }

  function status(text, kind) {
    const s = $(".result-status");
    s.textContent = text;
    s.className = `result-status${kind ? ` ${kind}` : ""}`;
    $(".roster-result").hidden = false;
  }

  function problems(report) {
    const box = $(".problems");
    const tb = $("table.problems-table tbody");
    tb.textContent = "";
    (report.problems || []).forEach((p) => {
      const tr = tb.insertRow();
      tr.appendChild(el("td", { class: "place" }, p.place || (p.line ? `dòng ${p.line}` : "cả tệp")));
      tr.appendChild(el("td", { class: `level-${p.level}` }, p.level === "error" ? "Lỗi" : "Cảnh báo"));
      tr.appendChild(el("td", null, p.message));
    });
    if (report.problems_total > (report.problems || []).length) {
      const tr = tb.insertRow();
      tr.appendChild(el("td", { colspan: 3 }, `… và ${report.problems_total - report.problems.length} mục khác.`));
    }
    box.hidden = !(report.problems || []).length;
  }

  function listTable(head, rows) {
    const t = el("table");
    const hr = t.createTHead().insertRow();
    head.forEach((h) => { hr.appendChild(el("th", { scope: "col" }, h)); });
    const tb = t.createTBody();
    rows.forEach((r) => { tb.insertRow().append(...r.map((c) => el("td", null, c))); });
    return el("div", { class: "table-wrap", tabindex: 0 }, t);
  }

  function changes(fields, before, after) {
    return fields.map((f) => `${FIELD[f] || f}: ${shown(f, before[f])} → ${shown(f, after[f])}`).join("; ");
  }

  /** What an upload would change, counted: [key in the preview's counts, label]. */
  const COUNTS = [
    ["added", "Thêm mới"], ["removed", "Không còn trong danh sách"], ["moved", "Chuyển chi bộ"],
    ["changed", "Thay đổi thông tin"], ["unchanged", "Giữ nguyên"],
    ["registrations_kept", "Giữ đăng ký sử dụng sổ tay"],
    ["registrations_ended", "Thôi đăng ký (không còn trong danh sách)"],
    ["units_added", "Đơn vị thêm mới"], ["units_removed", "Đơn vị bỏ"], ["units_changed", "Đơn vị đổi thông tin"],
  ];

  function renderPreview(p) {
    const c = p.counts;
    const ul = $(".preview-counts");
    ul.textContent = "";
    for (const [key, label] of COUNTS) {
      ul.appendChild(el("li", { "data-count": key }, el("strong", null, String(c[key] || 0)), label));
    }
    const box = $(".preview-lists");
    box.textContent = "";
    function section(key, title, head, rows) {
      if (!rows.length) return;
      const more = c[key] > rows.length ? ` (hiển thị ${rows.length} đầu tiên)` : "";
      box.appendChild(el("details", { "data-list": key },
        el("summary", null, `${title}: ${c[key]}${more}`),
        listTable(head, rows)));
    }
    const kind = (u) => KIND[u.kind] || u.kind;
    section("added", "Thêm mới", ["Số thẻ", "Họ và tên", "Ngày sinh", "Chi bộ"],
      p.added.map((m) => [m.card_number, m.full_name, vnDate(m.birth_date), m.unit_name]));
    section("removed", "Không còn trong danh sách", ["Số thẻ", "Họ và tên", "Chi bộ", "Đã đăng ký"],
      p.removed.map((m) => [m.card_number, m.full_name, m.unit_name, m.registered ? "Có (sẽ thôi)" : "Không"]));
    section("moved", "Chuyển chi bộ", ["Số thẻ", "Họ và tên", "Từ", "Đến", "Đăng ký", "Thay đổi khác"],
      p.moved.map((m) => [m.card_number, m.full_name, m.from.name, m.to.name,
        m.registered ? "Giữ nguyên" : "Chưa đăng ký", m.fields.map((f) => FIELD[f] || f).join(", ")]));
    section("changed", "Thay đổi thông tin", ["Số thẻ", "Họ và tên", "Chi bộ", "Thay đổi"],
      p.changed.map((m) => [m.card_number, m.full_name, m.unit_name, changes(m.fields, m.before, m.after)]));
    section("units_added", "Đơn vị thêm mới", ["Mã", "Tên", "Cấp trên", "Loại"],
      p.units_added.map((u) => [u.code, u.name, u.parent_code || "", kind(u)]));
    section("units_removed", "Đơn vị bỏ", ["Mã", "Tên", "Loại"],
      p.units_removed.map((u) => [u.code, u.name, kind(u)]));
    section("units_changed", "Đơn vị đổi thông tin", ["Mã", "Thay đổi"],
      p.units_changed.map((u) => [u.after.code, changes(u.fields, u.before, u.after)]));
    $(".preview").hidden = false;
    $(".roster-apply").hidden = false;
    $(".roster-apply").disabled = false;
  }

  function check(file) {
    errBox.hidden = true;
    $(".preview").hidden = true;
    $(".problems").hidden = true;
    status(`Đang kiểm tra tệp ${file.name}…`);
    const path = `uploads?${q({ unit: current().code, name: file.name })}`;
    const headers = { "content-type": file.type || "application/octet-stream" };
    file.arrayBuffer()
      .then((buf) => call(path, { method: "POST", body: buf, headers }))
      .then((r) => r.json().catch(() => ({})).then((v) => ({ r, v }))).then(({ r, v }) => {
        if (r.status === 422 && v.report) {
          problems(v.report);
          status(v.error.message, "bad");
          return;
        }
        if (!r.ok) throw refused(r, v);
        state.upload = v.upload;
        problems(v.report);
        const w = v.report.warnings;
        status(`Tệp không có lỗi${w ? `, ${w} cảnh báo (xem bên dưới)` : ""}. `
          + "Kiểm tra những gì sẽ thay đổi rồi bấm \"Áp dụng\"; chưa có gì được lưu.", "ok");
        renderPreview(v.preview);
      }).catch((e) => { status(e.message, "bad"); });
  }

  function apply() {
    if (!state.upload) return;
    const btn = $(".roster-apply");
    btn.disabled = true;
    json(`uploads/${encodeURIComponent(state.upload.id)}/apply`, { method: "POST" }).then((v) => {
      const c = v.change.counts;
      state.upload = null;
      btn.hidden = true;
      status(`Đã cập nhật danh sách (lần cập nhật số ${v.change.id}): thêm ${c.added}, bỏ ${c.removed}, `
        + `chuyển chi bộ ${c.moved}, đổi thông tin ${c.changed}; `
        + `giữ đăng ký của ${c.registrations_kept} đảng viên.`, "ok");
      quality();
      history();
    }).catch((e) => {
      state.upload = null;
      btn.hidden = true;
      status(e.message, "bad");
    });
  }

  // ---- change log --------------------------------------------------------------------------

  function history() {
    return json(`changes?${q({ unit: current().code })}`).then((v) => {
      const tb = $("table.history tbody");
      tb.textContent = "";
      if (!v.changes.length) tb.insertRow().appendChild(el("td", { colspan: 9 }, "Chưa có lần cập nhật nào."));
      v.changes.forEach((ch) => {
        const tr = tb.insertRow();
        const c = ch.counts;
        const where = ch.whole ? "Toàn bộ danh sách" : ch.unit_name || ch.unit_code;
        [ch.at.replace("T", " ").slice(0, 16), ch.who, where, ch.source || "—"]
          .forEach((x) => { tr.appendChild(el("td", null, x)); });
        [c.added, c.removed, c.moved, c.changed]
          .forEach((n) => { tr.appendChild(el("td", { class: "num" }, String(n))); });
        const b = el("button", { type: "button", class: "link-button" }, "Tải về");
        b.onclick = () => { download(`changes/${ch.id}/before.xlsx`, {}, `truoc-cap-nhat-${ch.id}.xlsx`); };
        tr.appendChild(el("td", null, b));
      });
    }).catch((e) => { fail(e.message); });
  }

  // ---- tabs, session -----------------------------------------------------------------------

  function tab(id) {
    $$(".roster-tabs [role=tab]").forEach((t) => {
      const on = t.id === id;
      t.setAttribute("aria-selected", on ? "true" : "false");
      document.getElementById(t.getAttribute("aria-controls")).hidden = !on;
    });
  }

  function start() {
    errBox.hidden = true;
    json("quality").then((v) => {
      sessionStorage.setItem("sotay.admin", state.token);
      state.stack = [{ code: v.unit.code, name: v.unit.name }];
      crumbs();
      renderQuality(v);
      history();
    }).catch((e) => { fail(e.message); });
  }

  function logout() {
    sessionStorage.removeItem("sotay.admin");
    state.token = "";
    panel.hidden = true;
    login.hidden = false;
  }

  login.addEventListener("submit", (e) => {
    e.preventDefault();
    state.token = login.elements.token.value.trim();
    start();
  });
  $$(".roster-tabs [role=tab]").forEach((t) => { t.addEventListener("click", () => { tab(t.id); }); });
  $$("[data-download]").forEach((b) => {
    b.addEventListener("click", () => {
      const what = b.getAttribute("data-download");
      if (what === "template.xlsx") download("template.xlsx", {}, "mau-danh-sach-dang-vien.xlsx");
      else download("quality.xlsx", { unit: current().code }, `danh-sach-${current().code}.xlsx`);
    });
  });
  $("#r-file").addEventListener("change", (e) => {
    const file = e.currentTarget.files[0];
    $(".file-name").textContent = file ? file.name : "Chưa chọn tệp";
  });
  $(".roster-upload").addEventListener("submit", (e) => {
    e.preventDefault();
    const f = e.currentTarget.elements.file.files[0];
    if (f) check(f); else status("Hãy chọn tệp danh sách trước.", "bad");
  });
  $(".roster-apply").addEventListener("click", apply);
  $(".roster-cancel").addEventListener("click", resetUpload);
  $(".roster-logout").addEventListener("click", logout);
  if (state.token) start();
})();
