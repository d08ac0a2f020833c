// Requests to the server that never hang on a bad network: `SotayNet.request` gives up when
// no answer begins, or no part of it arrives, for WAIT_MS; `SotayNet.offerRetry` says so in
// Vietnamese next to a "Thử lại" button. Used by search, the dashboard and registration.
(function (g) {
  "use strict";
  var WAIT_MS = 20000;

  /** A request that failed for the network's sake (not an answer from the server). */
  function NetError(kind) {
    this.name = "NetError";
    this.kind = kind;
    this.message = kind === "timeout"
      ? "Máy chủ không trả lời: mạng chậm hoặc mất kết nối."
      : "Không kết nối được với máy chủ: kiểm tra kết nối mạng.";
  }

  /** fetch(url, opts), with the whole body read: resolves to a Response, or rejects with a
   *  NetError when nothing arrives for WAIT_MS (before the answer or between its parts) or the
   *  connection fails. */
  function request(url, opts) {
    var ctl = new AbortController(), timer = null, timedOut = false;
    function arm() {
      clearTimeout(timer);
      timer = setTimeout(function () { timedOut = true; ctl.abort(); }, WAIT_MS);
    }
    function fail() { throw new NetError(timedOut ? "timeout" : "network"); }
    opts = Object.assign({}, opts || {}, { signal: ctl.signal });
    arm();
    return fetch(url, opts).then(function (res) {
      var reader = res.body ? res.body.getReader() : null, parts = [];
      function more() {
        if (!reader) return null;
        arm();
        return reader.read().then(function (r) {
          if (r.done) return null;
          parts.push(r.value);
          return more();
        });
      }
      return Promise.resolve(more()).then(function () {
        clearTimeout(timer);
        var headers = new Headers(res.headers);
        ["content-encoding", "content-length", "transfer-encoding"].forEach(function (h) { headers.delete(h); });
        var empty = res.status === 204 || res.status === 304;
        return new Response(empty ? null : new Blob(parts), { status: res.status, statusText: res.statusText, headers: headers });
      }, fail);
    }, fail).catch(function (e) {
      clearTimeout(timer);
      throw e;
    });
  }

  /** Shows `message` in `el` with a "Thử lại" button; `retry` runs when it is pressed. */
  function offerRetry(el, message, retry) {
    el.textContent = message + " ";
    var b = document.createElement("button");
    b.type = "button";
    b.className = "button retry";
    b.textContent = "Thử lại";
    b.addEventListener("click", function () {
      el.textContent = "Đang thử lại…";
      retry();
    });
    el.appendChild(b);
    el.hidden = false;
  }

  g.SotayNet = { request: request, offerRetry: offerRetry, NetError: NetError, WAIT_MS: WAIT_MS };
})(window);
