// The member database kept by the units themselves (/quan-tri/danh-sach/): the data-quality
// view of the admin's subtree with drill-down to a cell's members and an Excel export to fix;
// an upload of a unit's roster, checked and previewed (problems at their cells, what would
// change) before "Áp dụng"; the change log with the state before each change. Uses the admin
// token of the dashboard's session (sessionStorage "sotay.admin").
(function () {
  "use strict";
  var $ = function (s, el) { return (el || document).querySelector(s); };
  var BASE = document.body.getAttribute("data-base") || "/";
  var login = $(".roster-login"), panel = $(".roster-panel"), errBox = $(".roster-error");
  if (!login) return;
  var state = { token: sessionStorage.getItem("sotay.admin") || "", stack: [], upload: null };
  var STATUS = { "chinh-thuc": "Chính thức", "du-bi": "Dự bị", "mien-sinh-hoat": "Miễn sinh hoạt" };
  var ROLE = { "dang-vien": "Đảng viên", "bi-thu": "Bí thư", "pho-bi-thu": "Phó bí thư", "cap-uy-vien": "Cấp ủy viên" };
  var KIND = { "tinh-uy": "Tỉnh ủy", "dang-bo": "Đảng bộ", "dang-bo-co-so": "Đảng bộ cơ sở", "chi-bo-co-so": "Chi bộ cơ sở", "chi-bo": "Chi bộ" };
  var FIELD = { full_name: "Họ và tên", birth_date: "Ngày sinh", status: "Tình trạng", role: "Chức vụ", smartphone: "Điện thoại thông minh", name: "Tên", parent_code: "Đơn vị cấp trên", kind: "Loại" };

  function el(tag, text, cls) { var e = document.createElement(tag); if (text != null) e.textContent = text; if (cls) e.className = cls; return e; }
  function fail(msg) { errBox.textContent = msg; errBox.hidden = false; }
  function current() { return state.stack[state.stack.length - 1]; }
  function vnDate(iso) { var p = String(iso || "").split("-"); return p.length === 3 ? p[2] + "/" + p[1] + "/" + p[0] : String(iso || ""); }
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
  function call(path, opts) {
    opts = opts || {};
    opts.headers = Object.assign({ authorization: "Bearer " + state.token }, opts.headers || {});
    opts.cache = "no-store";
    return fetch(BASE + "api/v1/roster/" + path, opts).then(function (r) {
      if (r.status === 401) { logout(); throw new Error("Mã quản trị không đúng hoặc đã bị thu hồi."); }
      return r;
    });
  }
  function json(path, opts) {
    return call(path, opts).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (v) {
        if (!r.ok) throw new Error((v.error && v.error.message) || "Lỗi " + r.status);
        return v;
      });
    });
  }
  function q(params) { return new URLSearchParams(params).toString(); }

  function crumbs() {
    var nav = $(".roster-crumbs");
    nav.textContent = "";
    state.stack.forEach(function (u, i) {
      if (i) nav.appendChild(document.createTextNode(" › "));
      if (i === state.stack.length - 1) { nav.appendChild(el("strong", u.name)); return; }
      var b = el("button", u.name, "link-button");
      b.type = "button";
      b.onclick = function () { state.stack = state.stack.slice(0, i + 1); showUnit(); };
      nav.appendChild(b);
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
    return json("quality?" + q({ unit: current().code })).then(renderQuality).catch(function (e) { fail(e.message); });
  }

  function renderQuality(v) {
    panel.hidden = false;
    login.hidden = true;
    var kinds = v.kinds;
    var t = v.total;
    $(".roster-summary").textContent = t.members + " đảng viên ở " + t.cells + " chi bộ; " + t.members_to_fix + " đảng viên có thông tin cần sửa.";
    var table = $("table.quality");
    table.setAttribute("data-unit", v.unit.code);
    var hr = table.tHead.rows[0] || table.tHead.insertRow();
    hr.textContent = "";
    ["Đơn vị", "Đảng viên", "Cần sửa"].concat(kinds.map(function (k) { return k.label; })).forEach(function (h) { var th = el("th", h); th.scope = "col"; hr.appendChild(th); });
    function row(tr, x, total) {
      var name = el(total ? "th" : "td");
      if (!total && x.unit_code !== v.unit.code) {
        var b = el("button", x.unit_name, "link-button");
        b.type = "button";
        b.onclick = function () { state.stack.push({ code: x.unit_code, name: x.unit_name }); showUnit(); };
        name.appendChild(b);
      } else name.textContent = total ? "Tổng cộng" : x.unit_name;
      tr.appendChild(name);
      tr.appendChild(el("td", String(x.members), "num"));
      tr.appendChild(el("td", String(x.members_to_fix), "num" + (x.members_to_fix ? " bad" : "")));
      kinds.forEach(function (k) {
        var n = x.findings[k.kind] || 0;
        tr.appendChild(el("td", String(n), "num" + (n ? " bad" : "")));
      });
    }
    var tb = table.tBodies[0]; tb.textContent = "";
    v.rows.forEach(function (x) { var tr = tb.insertRow(); tr.setAttribute("data-unit", x.unit_code); row(tr, x, false); });
    var tf = table.tFoot; tf.textContent = "";
    row(tf.insertRow(), t, true);
    var cell = $(".roster-cell");
    if (!v.members) { cell.hidden = true; return; }
    var ul = $(".cell-findings"); ul.textContent = "";
    (v.cell_findings || []).forEach(function (f) { ul.appendChild(el("li", f.message)); });
    var mb = $("table.cell-members tbody"); mb.textContent = "";
    v.members.forEach(function (m) {
      var tr = mb.insertRow();
      if (m.findings.length) tr.className = "to-fix";
      [m.full_name, m.card_number, vnDate(m.birth_date), ROLE[m.role] || m.role, phone(m.smartphone)].forEach(function (c) { tr.appendChild(el("td", c)); });
      tr.appendChild(el("td", m.findings.map(function (f) { return f.message; }).join("; "), "fix"));
    });
    cell.hidden = false;
  }

  function download(path, params, filename) {
    call(path + "?" + q(params)).then(function (r) {
      if (!r.ok) return r.json().then(function (v) { throw new Error((v.error && v.error.message) || "Lỗi " + r.status); });
      return r.blob();
    }).then(function (blob) {
      var a = document.createElement("a");
      a.href = URL.createObjectURL(blob);
      a.download = filename;
      document.body.appendChild(a);
      a.click();
      setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
    }).catch(function (e) { fail(e.message); });
  }

  // ---- upload, preview, apply --------------------------------------------------------------

  function resetUpload() {
    state.upload = null;
    $(".roster-result").hidden = true;
    var f = $(".roster-upload"); if (f) f.reset();
    $(".file-name").textContent = "Chưa chọn tệp";
  }

  function status(text, kind) {
    var s = $(".result-status");
    s.textContent = text;
    s.className = "result-status" + (kind ? " " + kind : "");
    $(".roster-result").hidden = false;
  }

  function problems(report) {
    var box = $(".problems"), tb = $("table.problems-table tbody");
    tb.textContent = "";
    (report.problems || []).forEach(function (p) {
      var tr = tb.insertRow();
      tr.appendChild(el("td", p.place || (p.line ? "dòng " + p.line : "cả tệp"), "place"));
      tr.appendChild(el("td", p.level === "error" ? "Lỗi" : "Cảnh báo", "level-" + p.level));
      tr.appendChild(el("td", p.message));
    });
    if (report.problems_total > (report.problems || []).length) {
      var tr = tb.insertRow(); var td = el("td", "… và " + (report.problems_total - report.problems.length) + " mục khác."); td.colSpan = 3; tr.appendChild(td);
    }
    box.hidden = !(report.problems || []).length;
  }

  function listTable(head, rows) {
    var wrap = el("div", null, "table-wrap"); wrap.tabIndex = 0;
    var t = el("table"); var hr = t.createTHead().insertRow();
    head.forEach(function (h) { var th = el("th", h); th.scope = "col"; hr.appendChild(th); });
    var tb = t.createTBody();
    rows.forEach(function (r) { var tr = tb.insertRow(); r.forEach(function (c) { tr.appendChild(el("td", c)); }); });
    wrap.appendChild(t);
    return wrap;
  }

  function changes(fields, before, after) {
    return fields.map(function (f) { return (FIELD[f] || f) + ": " + shown(f, before[f]) + " → " + shown(f, after[f]); }).join("; ");
  }

  function renderPreview(p) {
    var c = p.counts;
    var ul = $(".preview-counts"); ul.textContent = "";
    [["added", "Thêm mới"], ["removed", "Không còn trong danh sách"], ["moved", "Chuyển chi bộ"], ["changed", "Thay đổi thông tin"], ["unchanged", "Giữ nguyên"],
     ["registrations_kept", "Giữ đăng ký sử dụng sổ tay"], ["registrations_ended", "Thôi đăng ký (không còn trong danh sách)"],
     ["units_added", "Đơn vị thêm mới"], ["units_removed", "Đơn vị bỏ"], ["units_changed", "Đơn vị đổi thông tin"]].forEach(function (x) {
      var li = el("li"); li.setAttribute("data-count", x[0]);
      li.appendChild(el("strong", String(c[x[0]] || 0)));
      li.appendChild(document.createTextNode(x[1]));
      ul.appendChild(li);
    });
    var box = $(".preview-lists"); box.textContent = "";
    function section(key, title, head, rows) {
      if (!rows.length) return;
      var d = el("details"); d.setAttribute("data-list", key);
      var more = c[key] > rows.length ? " (hiển thị " + rows.length + " đầu tiên)" : "";
      d.appendChild(el("summary", title + ": " + c[key] + more));
      d.appendChild(listTable(head, rows));
      box.appendChild(d);
    }
    section("added", "Thêm mới", ["Số thẻ", "Họ và tên", "Ngày sinh", "Chi bộ"], p.added.map(function (m) { return [m.card_number, m.full_name, vnDate(m.birth_date), m.unit_name]; }));
    section("removed", "Không còn trong danh sách", ["Số thẻ", "Họ và tên", "Chi bộ", "Đã đăng ký"], p.removed.map(function (m) { return [m.card_number, m.full_name, m.unit_name, m.registered ? "Có (sẽ thôi)" : "Không"]; }));
    section("moved", "Chuyển chi bộ", ["Số thẻ", "Họ và tên", "Từ", "Đến", "Đăng ký", "Thay đổi khác"], p.moved.map(function (m) { return [m.card_number, m.full_name, m.from.name, m.to.name, m.registered ? "Giữ nguyên" : "Chưa đăng ký", m.fields.map(function (f) { return FIELD[f] || f; }).join(", ")]; }));
    section("changed", "Thay đổi thông tin", ["Số thẻ", "Họ và tên", "Chi bộ", "Thay đổi"], p.changed.map(function (m) { return [m.card_number, m.full_name, m.unit_name, changes(m.fields, m.before, m.after)]; }));
    section("units_added", "Đơn vị thêm mới", ["Mã", "Tên", "Cấp trên", "Loại"], p.units_added.map(function (u) { return [u.code, u.name, u.parent_code || "", KIND[u.kind] || u.kind]; }));
    section("units_removed", "Đơn vị bỏ", ["Mã", "Tên", "Loại"], p.units_removed.map(function (u) { return [u.code, u.name, KIND[u.kind] || u.kind]; }));
    section("units_changed", "Đơn vị đổi thông tin", ["Mã", "Thay đổi"], p.units_changed.map(function (u) { return [u.after.code, changes(u.fields, u.before, u.after)]; }));
    $(".preview").hidden = false;
    $(".roster-apply").hidden = false;
    $(".roster-apply").disabled = false;
  }

  function check(file) {
    errBox.hidden = true;
    $(".preview").hidden = true;
    $(".problems").hidden = true;
    status("Đang kiểm tra tệp " + file.name + "…");
    file.arrayBuffer().then(function (buf) {
      return call("uploads?" + q({ unit: current().code, name: file.name }), { method: "POST", body: buf, headers: { "content-type": file.type || "application/octet-stream" } });
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (v) { return { r: r, v: v }; });
    }).then(function (x) {
      var v = x.v;
      if (x.r.status === 422 && v.report) {
        problems(v.report);
        status(v.error.message, "bad");
        return;
      }
      if (!x.r.ok) throw new Error((v.error && v.error.message) || "Lỗi " + x.r.status);
      state.upload = v.upload;
      problems(v.report);
      var w = v.report.warnings;
      status("Tệp không có lỗi" + (w ? ", " + w + " cảnh báo (xem bên dưới)" : "") + ". Kiểm tra những gì sẽ thay đổi rồi bấm \"Áp dụng\"; chưa có gì được lưu.", "ok");
      renderPreview(v.preview);
    }).catch(function (e) { status(e.message, "bad"); });
  }

  function apply() {
    if (!state.upload) return;
    var btn = $(".roster-apply"); btn.disabled = true;
    json("uploads/" + encodeURIComponent(state.upload.id) + "/apply", { method: "POST" }).then(function (v) {
      var c = v.change.counts;
      state.upload = null;
      btn.hidden = true;
      status("Đã cập nhật danh sách (lần cập nhật số " + v.change.id + "): thêm " + c.added + ", bỏ " + c.removed + ", chuyển chi bộ " + c.moved + ", đổi thông tin " + c.changed + "; giữ đăng ký của " + c.registrations_kept + " đảng viên.", "ok");
      quality();
      history();
    }).catch(function (e) {
      state.upload = null;
      btn.hidden = true;
      status(e.message, "bad");
    });
  }

  // ---- change log --------------------------------------------------------------------------

  function history() {
    return json("changes?" + q({ unit: current().code })).then(function (v) {
      var tb = $("table.history tbody"); tb.textContent = "";
      if (!v.changes.length) { var tr = tb.insertRow(); var td = el("td", "Chưa có lần cập nhật nào."); td.colSpan = 9; tr.appendChild(td); }
      v.changes.forEach(function (ch) {
        var tr = tb.insertRow();
        var c = ch.counts;
        [ch.at.replace("T", " ").slice(0, 16), ch.who, ch.whole ? "Toàn bộ danh sách" : ch.unit_name || ch.unit_code, ch.source || "—"].forEach(function (x) { tr.appendChild(el("td", x)); });
        [c.added, c.removed, c.moved, c.changed].forEach(function (n) { tr.appendChild(el("td", String(n), "num")); });
        var td = el("td"); var b = el("button", "Tải về", "link-button"); b.type = "button";
        b.onclick = function () { download("changes/" + ch.id + "/before.xlsx", {}, "truoc-cap-nhat-" + ch.id + ".xlsx"); };
        td.appendChild(b); tr.appendChild(td);
      });
    }).catch(function (e) { fail(e.message); });
  }

  // ---- tabs, session -----------------------------------------------------------------------

  function tab(id) {
    document.querySelectorAll(".roster-tabs [role=tab]").forEach(function (t) {
      var on = t.id === id;
      t.setAttribute("aria-selected", on ? "true" : "false");
      document.getElementById(t.getAttribute("aria-controls")).hidden = !on;
    });
  }

  function start() {
    errBox.hidden = true;
    json("quality").then(function (v) {
      sessionStorage.setItem("sotay.admin", state.token);
      state.stack = [{ code: v.unit.code, name: v.unit.name }];
      crumbs();
      renderQuality(v);
      history();
    }).catch(function (e) { fail(e.message); });
  }

  function logout() {
    sessionStorage.removeItem("sotay.admin");
    state.token = "";
    panel.hidden = true;
    login.hidden = false;
  }

  login.addEventListener("submit", function (e) { e.preventDefault(); state.token = login.elements.token.value.trim(); start(); });
  document.querySelectorAll(".roster-tabs [role=tab]").forEach(function (t) { t.addEventListener("click", function () { tab(t.id); }); });
  document.querySelectorAll("[data-download]").forEach(function (b) {
    b.addEventListener("click", function () {
      var what = b.getAttribute("data-download");
      if (what === "template.xlsx") download("template.xlsx", {}, "mau-danh-sach-dang-vien.xlsx");
      else download("quality.xlsx", { unit: current().code }, "danh-sach-" + current().code + ".xlsx");
    });
  });
  $("#r-file").addEventListener("change", function () { $(".file-name").textContent = this.files[0] ? this.files[0].name : "Chưa chọn tệp"; });
  $(".roster-upload").addEventListener("submit", function (e) {
    e.preventDefault();
    var f = this.elements.file.files[0];
    if (f) check(f); else status("Hãy chọn tệp danh sách trước.", "bad");
  });
  $(".roster-apply").addEventListener("click", apply);
  $(".roster-cancel").addEventListener("click", resetUpload);
  $(".roster-logout").addEventListener("click", logout);
  if (state.token) start();
})();
