// The browser's index read by search.js in Chromium: every term's postings as `decode` makes
// them from the group files. Usage: node decode.mjs SITE_DIR KEYS_JSON
// Prints {"decoded": {key: {"list": [[doc, meta, mask]], "vars": [form]}}, "errors": [...]}.
import fs from "node:fs";
import { serve, browser, run, searchPage } from "./lib.mjs";

run(async () => {
  const [site, keysFile] = process.argv.slice(2);
  const keys = JSON.parse(fs.readFileSync(keysFile, "utf8"));
  const srv = await serve(site);
  const b = await browser();
  try {
    const { page, errors, indexUrl } = await searchPage(b, srv);
    const decoded = await page.evaluate(async ({ indexUrl, keys }) => {
      const idx = await window.SotaySearch.load(indexUrl);
      await idx.need(keys);
      const out = {};
      for (const k of keys) out[k] = idx.decode(k);
      return out;
    }, { indexUrl, keys });
    return { decoded, errors };
  } finally {
    await b.close();
    srv.close();
  }
});
