// The small DOM helpers every page script uses (loaded before them, from base.html): the theme
// builds its HTML with elements and text nodes only, never from strings, so what a member,
// a committee or the server wrote is always shown as text.
(() => {
  "use strict";

  /** The first element matching `sel` in `root` (the document by default), or null. */
  const $ = (sel, root) => (root || document).querySelector(sel);

  /** Every element matching `sel` in `root` (the document by default), as an array. */
  const $$ = (sel, root) => Array.from((root || document).querySelectorAll(sel));

  /** <tag …attrs>children</tag>. `attrs` are attributes ("class" too); one that is null,
   *  undefined or false is left out, true gives an empty one. `children` are nodes or text
   *  (strings and numbers are added as text; null, undefined and false are skipped). */
  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value != null && value !== false) e.setAttribute(name, value === true ? "" : value);
    }
    for (const child of children) {
      if (child != null && child !== false) e.append(child);
    }
    return e;
  }

  /** The committee pages' trail of the units drilled into, "Tỉnh › Huyện › Xã", in `nav`: each
   *  but the last a button that calls `pick(i)` to go back to the i-th. */
  function trail(nav, units, pick) {
    nav.textContent = "";
    units.forEach((u, i) => {
      if (i) nav.append(" › ");
      if (i === units.length - 1) {
        nav.appendChild(el("strong", null, u.name));
        return;
      }
      const b = el("button", { type: "button", class: "link-button" }, u.name);
      b.onclick = () => pick(i);
      nav.appendChild(b);
    });
  }

  window.SotayDom = { $, $$, el, trail };
})();
