// The committee's notices (/quan-tri/thong-bao/, DESIGN.md "Notices"): write a notice to the
// members of the admin's unit or of a unit below it (title, plain text, an optional last day),
// withdraw one, and see per notice how many members it reached and how many opened it, per
// child unit (GET /reports/notices, scoped like every report; a unit's name drills down), with
// the members' replies beside it. The admin token is the dashboard's, kept for this browser
// session only.
(function () {
  "use strict";
  var $ = function (s, el) { return (el || document).querySelector(s); };
  var BASE = document.body.getAttribute("data-base") || "/";
  var root = $("[data-notices-admin]"), login = $(".notices-login"), errBox = $(".admin-error");
  if (!root || !login) return;
  var state = { token: sessionStorage.getItem("sotay.admin") || "", stack: [] };
  var STATE = { shown: "Đang hiển thị", expired: "Đã hết hạn", withdrawn: "Đã thu hồi" };

  function el(tag, text, cls) { var e = document.createElement(tag); if (text != null) e.textContent = text; if (cls) e.className = cls; return e; }
  function fail(msg) { errBox.textContent = msg; errBox.hidden = !msg; }
  function current() { return state.stack[state.stack.length - 1]; }
  function pct(a, b) { return b ? Math.round(a * 1000 / b) / 10 : 0; }
  /** "2026-12-10T08:30:00+07:00" -> "08:30 10/12/2026" */
  function viTime(s) {
    var m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(s || "");
    return m ? m[4] + ":" + m[5] + " " + m[3] + "/" + m[2] + "/" + m[1] : s || "";
  }
  function viDate(s) { var m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s || ""); return m ? m[3] + "/" + m[2] + "/" + m[1] : s || ""; }

  /** Calls the API; resolves to the JSON answer (null for 204); rejects with a message in
   *  Vietnamese (the server's own for a refused notice). */
  function call(method, path, body) {
    var headers = { authorization: "Bearer " + state.token };
    if (body) headers["content-type"] = "application/json";
    return fetch(BASE + "api/v1/" + path, { method: method, headers: headers, body: body ? JSON.stringify(body) : undefined, cache: "no-store" }).then(function (r) {
      if (r.status === 401) { logout(); throw new Error("Mã quản trị không đúng hoặc đã bị thu hồi."); }
      if (r.status === 403) throw new Error("Đơn vị này nằm ngoài phạm vi của mã quản trị.");
      if (r.status === 204) return null;
      return r.json().catch(function () { return {}; }).then(function (v) {
        if (!r.ok) throw new Error((v.error && /[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]/i.test(v.error.message || "") && v.error.message) || "Chưa thực hiện được (lỗi " + r.status + "). Vui lòng thử lại.");
        return v;
      });
    });
  }

  function crumbs() {
    var nav = $(".admin-crumbs", root);
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

  /** The units a notice may go to from here: the unit shown and its children. */
  function units(u) {
    var sel = $("select[name=unit]", root);
    sel.textContent = "";
    var own = el("option", u.name + " (toàn bộ đảng viên)");
    own.value = u.code;
    sel.appendChild(own);
    return call("GET", "reports/usage?unit=" + encodeURIComponent(u.code)).then(function (r) {
      r.rows.filter(function (x) { return x.unit_code !== u.code; }).forEach(function (x) {
        var o = el("option", x.unit_name + " (" + x.members + " đảng viên)");
        o.value = x.unit_code;
        sel.appendChild(o);
      });
    });
  }

  function reachTable(n) {
    var t = el("table");
    var h = t.createTHead().insertRow();
    [["Đơn vị", ""], ["Đảng viên nhận", "num"], ["Đã đọc", "num"], ["Tỷ lệ %", "num"]].forEach(function (c) { h.appendChild(el("th", c[0], c[1])); });
    var tb = t.createTBody();
    n.units.forEach(function (x) {
      var tr = tb.insertRow();
      var name = tr.insertCell();
      if (x.code !== current().code) {
        var b = el("button", x.name, "link-button");
        b.type = "button";
        b.onclick = function () { state.stack.push({ code: x.code, name: x.name }); show(); };
        name.appendChild(b);
      } else name.textContent = x.name;
      [x.recipients, x.read, pct(x.read, x.recipients).toFixed(1)].forEach(function (v) { tr.appendChild(el("td", String(v), "num")); });
    });
    return t;
  }

  function card(n) {
    var c = el("article", null, "notice-card");
    c.setAttribute("data-id", n.id);
    c.appendChild(el("h3", n.title));
    var meta = el("p", null, "meta");
    meta.appendChild(el("span", STATE[n.state] || n.state, "notice-state " + n.state));
    meta.appendChild(document.createTextNode(" " + n.unit.name + " · " + viTime(n.created_at) +
      (n.expires_on ? " · đến hết ngày " + viDate(n.expires_on) : "") + (n.from_above ? " · thông báo của cấp trên" : "")));
    c.appendChild(meta);
    c.appendChild(el("div", n.body, "notice-text"));
    c.appendChild(el("p", "Đã đọc: " + n.read + "/" + n.recipients + " đảng viên (" + pct(n.read, n.recipients).toFixed(1) + "%)", "notice-reach"));
    if (n.units.length) c.appendChild(reachTable(n));
    var tools = el("p");
    if (n.replies) {
      var more = el("button", "Xem " + n.replies + " góp ý", "button button-light notice-show-replies");
      more.type = "button";
      more.onclick = function () {
        more.disabled = true;
        call("GET", "reports/feedback?unit=" + encodeURIComponent(current().code) + "&notice=" + encodeURIComponent(n.id)).then(function (v) {
          var ul = el("ul", null, "notice-replies");
          v.feedback.forEach(function (f) {
            var li = el("li");
            li.appendChild(el("strong", f.full_name));
            li.appendChild(document.createTextNode(" (" + f.unit_code + ", " + viTime(f.at) + "): "));
            li.appendChild(document.createTextNode(f.text));
            ul.appendChild(li);
          });
          more.replaceWith(ul);
        }).catch(function (e) { more.disabled = false; fail(e.message); });
      };
      tools.appendChild(more);
    } else tools.appendChild(el("span", "Chưa có góp ý.", "meta"));
    if (n.state !== "withdrawn" && !n.from_above) {
      var w = el("button", "Thu hồi", "button button-light notice-withdraw");
      w.type = "button";
      w.onclick = function () {
        if (!window.confirm("Thu hồi thông báo \"" + n.title + "\"? Điện thoại của đảng viên sẽ không hiển thị thông báo này nữa.")) return;
        call("DELETE", "notices/" + encodeURIComponent(n.id)).then(show, function (e) { fail(e.message); });
      };
      tools.appendChild(document.createTextNode(" "));
      tools.appendChild(w);
    }
    c.appendChild(tools);
    return c;
  }

  function show() {
    fail("");
    var u = current();
    crumbs();
    root.hidden = false;
    login.hidden = true;
    var box = $(".notice-reports", root);
    return Promise.all([units(u), call("GET", "reports/notices?unit=" + encodeURIComponent(u.code))]).then(function (v) {
      box.textContent = "";
      if (!v[1].notices.length) box.appendChild(el("p", "Chưa có thông báo nào gửi tới đảng viên của đơn vị này.", "meta"));
      v[1].notices.forEach(function (n) { box.appendChild(card(n)); });
    }).catch(function (e) { fail(e.message); });
  }

  function start() {
    call("GET", "reports/me").then(function (v) {
      sessionStorage.setItem("sotay.admin", state.token);
      state.stack = [{ code: v.unit.code, name: v.unit.name }];
      show();
    }).catch(function (e) { fail(e.message); });
  }
  function logout() {
    sessionStorage.removeItem("sotay.admin");
    state.token = "";
    root.hidden = true;
    login.hidden = false;
  }

  var form = $(".notice-form", root), out = $(".notice-form-status", root);
  var chars = $(".notice-chars", root);
  form.elements.body.addEventListener("input", function () { chars.textContent = "(" + form.elements.body.value.length + "/5000 ký tự)"; });
  var today = new Date(Date.now() + 7 * 3600 * 1000).toISOString().slice(0, 10);
  form.elements.expires_on.min = today;
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var f = form.elements;
    var body = { title: f.title.value, body: f.body.value, unit: f.unit.value, expires_on: f.expires_on.value || null };
    out.className = "notice-form-status";
    out.textContent = "Đang gửi…";
    call("POST", "notices", body).then(function (v) {
      form.reset();
      chars.textContent = "";
      out.textContent = "Đã gửi thông báo \"" + v.notice.title + "\" tới đảng viên của " + v.notice.unit.name + ".";
      return show();
    }, function (err) {
      out.className = "notice-form-status error";
      out.textContent = err.message;
    });
  });
  login.addEventListener("submit", function (e) { e.preventDefault(); state.token = login.elements.token.value.trim(); start(); });
  $(".admin-logout", root).addEventListener("click", logout);
  if (state.token) start();
})();
