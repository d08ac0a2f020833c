// Requests to the server that never hang on a bad network: `SotayNet.request` gives up when
// no answer begins, or no part of it arrives, for WAIT_MS; `SotayNet.offerRetry` says so in
// Vietnamese next to a "Thử lại" button. Used by search, the dashboard and registration.
(() => {
  "use strict";
  const WAIT_MS = 20000;

  /** A request that failed for the network's sake (not an answer from the server). */
  class NetError extends Error {
    constructor(kind) {
      super(kind === "timeout"
        ? "Máy chủ không trả lời: mạng chậm hoặc mất kết nối."
        : "Không kết nối được với máy chủ: kiểm tra kết nối mạng.");
      this.name = "NetError";
      this.kind = kind;
    }
  }

  /** fetch(url, opts), with the whole body read: resolves to a Response, or rejects with a
   *  NetError when nothing arrives for WAIT_MS (before the answer or between its parts) or the
   *  connection fails. */
  async function request(url, opts) {
    const ctl = new AbortController();
    let timer = null;
    let timedOut = false;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        timedOut = true;
        ctl.abort();
      }, WAIT_MS);
    };
    arm();
    try {
      const res = await fetch(url, { ...opts, signal: ctl.signal });
      const reader = res.body ? res.body.getReader() : null;
      const parts = [];
      while (reader) {
        arm();
        const part = await reader.read();
        if (part.done) break;
        parts.push(part.value);
      }
      const headers = new Headers(res.headers);
      for (const h of ["content-encoding", "content-length", "transfer-encoding"]) headers.delete(h);
      const empty = res.status === 204 || res.status === 304;
      return new Response(empty ? null : new Blob(parts), {
        status: res.status,
        statusText: res.statusText,
        headers,
      });
    } catch (e) {
      throw new NetError(timedOut ? "timeout" : "network");
    } finally {
      clearTimeout(timer);
    }
  }

  /** Shows `message` in `el` with a "Thử lại" button; `retry` runs when it is pressed. */
  function offerRetry(el, message, retry) {
    el.textContent = `${message} `;
    const b = document.createElement("button");
    b.type = "button";
    b.className = "button retry";
    b.textContent = "Thử lại";
    b.addEventListener("click", () => {
      el.textContent = "Đang thử lại…";
      retry();
    });
    el.appendChild(b);
    el.hidden = false;
  }

  window.SotayNet = { request, offerRetry, NetError, WAIT_MS };
})();
