// Applies the member's font size before the page is drawn, so text never jumps.
// Loaded synchronously in <head>; everything else lives in app.js.
(() => {
  "use strict";
  try {
    const f = localStorage.getItem("sotay.font");
    if (f) document.documentElement.setAttribute("data-font", f);
  } catch (e) {
    // Storage blocked: keep the default size.
  }
})();
