// Live reload for `sotay serve` (served at /__sotay/live.js in dev mode only, never published):
// reload on rebuild, keeping the scroll position; an overlay with the errors while the content
// has them.
(() => {
  "use strict";
  const key = `sotay.live.scroll:${location.pathname}`;
  const y = sessionStorage.getItem(key);
  if (y !== null) {
    sessionStorage.removeItem(key);
    window.addEventListener("load", () => window.scrollTo(0, parseFloat(y)));
  }
  let overlay = null;
  let reloading = false;
  const reload = () => {
    if (reloading) return;
    reloading = true;
    sessionStorage.setItem(key, String(window.scrollY));
    location.reload();
  };
  // The output file this page was made from ("nghi-quyet/nq-05/index.html"), and whether
  // it is in a list of files.
  const mine = (files) => {
    let f = location.pathname.replace(/^\//, "");
    try {
      f = decodeURIComponent(f);
    } catch (err) {
      // A path that is not valid percent-encoding is compared as it is.
    }
    if (f === "" || /\/$/.test(f)) f += "index.html";
    return (files || []).some((x) => x === f || f.slice(-x.length - 1) === `/${x}`);
  };
  const show = (errors) => {
    if (!overlay) {
      overlay = document.createElement("div");
      overlay.className = "sotay-error-overlay";
      overlay.setAttribute("role", "alert");
      document.body.appendChild(overlay);
    }
    overlay.textContent = "";
    const h = document.createElement("p");
    h.className = "sotay-error-title";
    h.textContent = `Nội dung có lỗi — trang vẫn hiển thị bản tốt gần nhất (${errors.length} lỗi):`;
    overlay.appendChild(h);
    const pre = document.createElement("pre");
    pre.textContent = errors.join("\n");
    overlay.appendChild(pre);
  };
  const connect = () => {
    const es = new EventSource("/__sotay/events");
    es.onmessage = (e) => {
      const m = JSON.parse(e.data);
      if (m.type === "reload" || m.type === "built") {
        // Only a page whose own file changed or went (or one showing errors) reloads:
        // editing one document leaves the editor's other open pages alone.
        if (overlay || mine(m.changed) || mine(m.removed)) reload();
      } else if (m.type === "error") {
        show(m.errors || []);
      } else if (m.type === "hello" && m.errors && m.errors.length) {
        show(m.errors);
      }
    };
    es.onerror = () => {
      es.close();
      setTimeout(connect, 1000);
    };
  };
  connect();
})();
