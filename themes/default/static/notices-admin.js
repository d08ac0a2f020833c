// The committee's notices (/quan-tri/thong-bao/, DESIGN.md "Notices"): write a notice to the
// members of the admin's unit or of a unit below it (title, plain text, an optional last day),
// withdraw one, and see per notice how many members it reached and how many opened it, per
// child unit (GET /reports/notices, scoped like every report; a unit's name drills down), with
// the members' replies beside it. The admin token is the dashboard's, kept for this browser
// session only.
(() => {
  "use strict";
  const { $, el, trail } = window.SotayDom;
  const BASE = document.body.getAttribute("data-base") || "/";
  const root = $("[data-notices-admin]");
  const login = $(".notices-login");
  const errBox = $(".admin-error");
  if (!root || !login) return;
  const state = { token: sessionStorage.getItem("sotay.admin") || "", stack: [] };
  const STATE = { shown: "Đang hiển thị", expired: "Đã hết hạn", withdrawn: "Đã thu hồi" };

  function fail(msg) { errBox.textContent = msg; errBox.hidden = !msg; }
  function current() { return state.stack[state.stack.length - 1]; }
  function pct(a, b) { return b ? Math.round(a * 1000 / b) / 10 : 0; }
  /** "2026-12-10T08:30:00+07:00" -> "08:30 10/12/2026" */
  function viTime(s) {
    const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(s || "");
    return m ? `${m[4]}:${m[5]} ${m[3]}/${m[2]}/${m[1]}` : s || "";
  }
  function viDate(s) {
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s || "");
    return m ? `${m[3]}/${m[2]}/${m[1]}` : s || "";
  }
  /** The server's message when it is Vietnamese (a refused notice says why), else ours. */
  const VIETNAMESE = /[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]/i;
  function refusal(v, status) {
    const said = v.error && v.error.message;
    return (VIETNAMESE.test(said || "") && said) || `Chưa thực hiện được (lỗi ${status}). Vui lòng thử lại.`;
  }

  /** Calls the API; resolves to the JSON answer (null for 204); rejects with a message in
   *  Vietnamese (the server's own for a refused notice). */
  function call(method, path, body) {
    const headers = { authorization: `Bearer ${state.token}` };
    if (body) headers["content-type"] = "application/json";
    const opts = { method, headers, body: body ? JSON.stringify(body) : undefined, cache: "no-store" };
    return fetch(`${BASE}api/v1/${path}`, opts).then((r) => {
      if (r.status === 401) {
        logout();
        throw new Error("Mã quản trị không đúng hoặc đã bị thu hồi.");
      }
      if (r.status === 403) throw new Error("Đơn vị này nằm ngoài phạm vi của mã quản trị.");
      if (r.status === 204) return null;
      return r.json().catch(() => ({})).then((v) => {
        if (!r.ok) throw new Error(refusal(v, r.status));
        return v;
      });
    });
  }

  function crumbs() {
    trail($(".admin-crumbs", root), state.stack, (i) => {
      state.stack = state.stack.slice(0, i + 1);
      show();
    });
  }

  /** The units a notice may go to from here: the unit shown and its children. */
  function units(u) {
    const sel = $("select[name=unit]", root);
    sel.textContent = "";
    sel.appendChild(el("option", { value: u.code }, `${u.name} (toàn bộ đảng viên)`));
    return call("GET", `reports/usage?unit=${encodeURIComponent(u.code)}`).then((r) => {
      r.rows.filter((x) => x.unit_code !== u.code).forEach((x) => {
        sel.appendChild(el("option", { value: x.unit_code }, `${x.unit_name} (${x.members} đảng viên)`));
      });
    });
  }

  function reachTable(n) {
    const t = el("table");
    const h = t.createTHead().insertRow();
    const heads = [["Đơn vị", ""], ["Đảng viên nhận", "num"], ["Đã đọc", "num"], ["Tỷ lệ %", "num"]];
    heads.forEach(([text, cls]) => { h.appendChild(el("th", { class: cls || null }, text)); });
    const tb = t.createTBody();
    n.units.forEach((x) => {
      const tr = tb.insertRow();
      const name = tr.insertCell();
      if (x.code !== current().code) {
        const b = el("button", { type: "button", class: "link-button" }, x.name);
        b.onclick = () => {
          state.stack.push({ code: x.code, name: x.name });
          show();
        };
        name.appendChild(b);
      } else name.textContent = x.name;
      [x.recipients, x.read, pct(x.read, x.recipients).toFixed(1)]
        .forEach((v) => { tr.appendChild(el("td", { class: "num" }, String(v))); });
    });
    return t;
  }

  function card(n) {
    const c = el("article", { class: "notice-card", "data-id": n.id });
    c.appendChild(el("h3", null, n.title));
    const until = n.expires_on ? ` · đến hết ngày ${viDate(n.expires_on)}` : "";
    const above = n.from_above ? " · thông báo của cấp trên" : "";
    c.appendChild(el("p", { class: "meta" },
      el("span", { class: `notice-state ${n.state}` }, STATE[n.state] || n.state),
      ` ${n.unit.name} · ${viTime(n.created_at)}${until}${above}`));
    c.appendChild(el("div", { class: "notice-text" }, n.body));
    const share = pct(n.read, n.recipients).toFixed(1);
    c.appendChild(el("p", { class: "notice-reach" }, `Đã đọc: ${n.read}/${n.recipients} đảng viên (${share}%)`));
    if (n.units.length) c.appendChild(reachTable(n));
    const tools = el("p");
    if (n.replies) {
      const more = el("button",
        { type: "button", class: "button button-light notice-show-replies" }, `Xem ${n.replies} góp ý`);
      more.onclick = () => {
        more.disabled = true;
        const query = `unit=${encodeURIComponent(current().code)}&notice=${encodeURIComponent(n.id)}`;
        call("GET", `reports/feedback?${query}`).then((v) => {
          more.replaceWith(el("ul", { class: "notice-replies" }, ...v.feedback.map((f) => el("li", null,
            el("strong", null, f.full_name), ` (${f.unit_code}, ${viTime(f.at)}): `, f.text))));
        }).catch((e) => {
          more.disabled = false;
          fail(e.message);
        });
      };
      tools.appendChild(more);
    } else tools.appendChild(el("span", { class: "meta" }, "Chưa có góp ý."));
    if (n.state !== "withdrawn" && !n.from_above) {
      const w = el("button", { type: "button", class: "button button-light notice-withdraw" }, "Thu hồi");
      w.onclick = () => {
        const ask = `Thu hồi thông báo "${n.title}"? Điện thoại của đảng viên sẽ không hiển thị thông báo này nữa.`;
        if (!window.confirm(ask)) return;
        call("DELETE", `notices/${encodeURIComponent(n.id)}`).then(show, (e) => { fail(e.message); });
      };
      tools.append(" ", w);
    }
    c.appendChild(tools);
    return c;
  }

  function show() {
    fail("");
    const u = current();
    crumbs();
    root.hidden = false;
    login.hidden = true;
    const box = $(".notice-reports", root);
    const reports = call("GET", `reports/notices?unit=${encodeURIComponent(u.code)}`);
    return Promise.all([units(u), reports]).then(([, r]) => {
      box.textContent = "";
      if (!r.notices.length) {
        box.appendChild(el("p", { class: "meta" }, "Chưa có thông báo nào gửi tới đảng viên của đơn vị này."));
      }
      r.notices.forEach((n) => { box.appendChild(card(n)); });
    }).catch((e) => { fail(e.message); });
  }

  function start() {
    call("GET", "reports/me").then((v) => {
      sessionStorage.setItem("sotay.admin", state.token);
      state.stack = [{ code: v.unit.code, name: v.unit.name }];
      show();
    }).catch((e) => { fail(e.message); });
  }
  function logout() {
    sessionStorage.removeItem("sotay.admin");
    state.token = "";
    root.hidden = true;
    login.hidden = false;
  }

  const form = $(".notice-form", root);
  const out = $(".notice-form-status", root);
  const chars = $(".notice-chars", root);
  form.elements.body.addEventListener("input", () => {
    chars.textContent = `(${form.elements.body.value.length}/5000 ký tự)`;
  });
  const today = new Date(Date.now() + 7 * 3600 * 1000).toISOString().slice(0, 10);
  form.elements.expires_on.min = today;
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const f = form.elements;
    const body = {
      title: f.title.value, body: f.body.value, unit: f.unit.value, expires_on: f.expires_on.value || null,
    };
    out.className = "notice-form-status";
    out.textContent = "Đang gửi…";
    call("POST", "notices", body).then((v) => {
      form.reset();
      chars.textContent = "";
      out.textContent = `Đã gửi thông báo "${v.notice.title}" tới đảng viên của ${v.notice.unit.name}.`;
      return show();
    }, (err) => {
      out.className = "notice-form-status error";
      out.textContent = err.message;
    });
  });
  login.addEventListener("submit", (e) => {
    e.preventDefault();
    state.token = login.elements.token.value.trim();
    start();
  });
  $(".admin-logout", root).addEventListener("click", logout);
  if (state.token) start();
})();
