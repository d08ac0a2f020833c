// ESLint for the theme's JavaScript (themes/default: classic scripts, no bundler, ES2018+)
// and for these browser test scripts. Run from the repository's root, as tests/js_lint.rs does:
//   tests/browser/node_modules/.bin/eslint --config tests/browser/eslint.config.mjs
// (with --config, paths below are relative to the directory ESLint runs in.)
import js from "@eslint/js";
import globals from "globals";

/** One modern style: block-scoped names, arrow callbacks, strict equality, short lines. */
const style = {
  "no-var": "error",
  "prefer-const": "error",
  "prefer-arrow-callback": "error",
  "object-shorthand": ["error", "always"],
  "arrow-body-style": ["error", "as-needed"],
  "prefer-template": "error",
  "one-var": ["error", "never"],
  eqeqeq: ["error", "always", { null: "ignore" }],
  "no-unused-vars": ["error", { args: "after-used", caughtErrors: "none" }],
  "no-undef": "error",
  "no-shadow": ["error", { builtinGlobals: false }],
  "no-implicit-globals": "error",
  "max-len": ["error", { code: 120, ignoreUrls: false }],
};

/** The page's DOM is built with createElement/textContent (SotayDom.el in static/dom.js);
 *  no HTML strings, no constructors on prototypes. */
const noHtmlStrings = [
  "error",
  {
    selector: "AssignmentExpression[left.property.name=/^(innerHTML|outerHTML)$/][right.value!='']",
    message: "Build the DOM with SotayDom.el / textContent, not with an HTML string.",
  },
  {
    selector: "CallExpression[callee.property.name=/^(insertAdjacentHTML|write|writeln)$/]",
    message: "Build the DOM with SotayDom.el / textContent, not with an HTML string.",
  },
  {
    selector: "AssignmentExpression[left.object.property.name='prototype']",
    message: "Use a class (or a plain function), not a prototype assignment.",
  },
];

export default [
  { ignores: ["**/node_modules/**"] },
  js.configs.recommended,
  {
    files: ["themes/default/**/*.js"],
    languageOptions: {
      ecmaVersion: 2018,
      sourceType: "script",
      // outbox.js runs in the page and, through importScripts, in the service worker.
      globals: { ...globals.browser },
    },
    rules: { ...style, "no-restricted-syntax": noHtmlStrings },
  },
  {
    files: ["themes/default/sw.js", "themes/default/static/outbox.js"],
    languageOptions: { globals: { ...globals.serviceworker } },
  },
  {
    // The service worker has a global scope of its own: its top-level names are its own.
    files: ["themes/default/sw.js"],
    rules: { "no-implicit-globals": "off" },
  },
  {
    files: ["tests/browser/**/*.mjs"],
    languageOptions: {
      ecmaVersion: "latest",
      sourceType: "module",
      // Callbacks given to page.evaluate run in the page: browser names are allowed there.
      globals: { ...globals.node, ...globals.browser, ...globals.serviceworker },
    },
    // Test scripts keep their own layout (long assertion lines): the rules that catch
    // mistakes hold, not the theme's layout.
    rules: {
      "no-var": "error",
      "prefer-const": "error",
      eqeqeq: ["error", "always", { null: "ignore" }],
      "no-unused-vars": ["error", { args: "after-used", caughtErrors: "none" }],
      "no-undef": "error",
    },
  },
];
