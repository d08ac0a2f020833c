// The handbook over HTTPS, as a phone meets it: Chromium, trusting the test's certificate (by
// the SHA-256 of its public key, as --ignore-certificate-errors-spki-list takes it), opens
// BASE_URL — sotay's own HTTPS, or a proxy in front, at the root or under a path — the service
// worker saves the whole handbook, and with the network cut the pages still open.
// Usage: node https.mjs BASE_URL SPKI_SHA256_BASE64
import { browser, run, until } from "./lib.mjs";



run(async () => {
  const [base, spki] = process.argv.slice(2);
  const path = new URL(base).pathname;
  const b = await browser([`--ignore-certificate-errors-spki-list=${spki}`]);
  const result = {};
  try {
    const ctx = await b.newContext();
    const page = await ctx.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
    const first = await page.goto(base);
    result.status = first && first.status();
    result.hsts = first && (await first.allHeaders())["strict-transport-security"];
    result.secure = await page.evaluate(() => window.isSecureContext);
    result.protocol = await page.evaluate(() => performance.getEntriesByType("navigation")[0].nextHopProtocol);
    result.installed = await until("the whole handbook saved", () => page.evaluate(async (p) => {
      const reg = await navigator.serviceWorker.getRegistration();
      if (!reg || !reg.active) return null;
      for (const n of await caches.keys()) {
        if (!n.startsWith("sotay-v-")) continue;
        const st = await (await caches.open(n)).match(p + "__sotay/state.json");
        if (!st) continue;
        const s = await st.json();
        if (s.missing.length === 0) return { total: s.total, scope: reg.scope };
      }
      return null;
    }, path), 60000);
    await page.reload();
    result.controlled = await page.evaluate(() => !!navigator.serviceWorker.controller);
    // The API under the same origin and path, from the page.
    result.api = await page.evaluate(async (p) => (await fetch(p + "api/v1/search?q=dieu+le")).status, path);

    await ctx.setOffline(true);
    result.offline = {};
    for (const p of ["", "dieu-le/dieu-le-mau/", "hoi-dap/", "tim-kiem/", "moi-cap-nhat/"]) {
      const r = await page.goto(base + p);
      result.offline[p || "/"] = { status: r && r.status(), h1: await page.textContent("h1").catch(() => null) };
    }
    result.errors = errors.filter((e) => !/net::ERR_|Failed to fetch|ERR_INTERNET_DISCONNECTED/.test(e));
    return result;
  } finally {
    await b.close();
  }
});
