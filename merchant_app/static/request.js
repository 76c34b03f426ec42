// The full-screen dynamic QR page: poll the request's status so the vendor sees "Đã trả" without
// touching the phone. Polling (not SSE) because the page may stay open for the whole expiry.
(function () {
  "use strict";
  var script = document.currentScript;
  var statusEl = document.getElementById("request-status");
  var paidEl = document.getElementById("request-paid");
  if (!script || !statusEl) { return; }
  var url = script.dataset.statusUrl;
  var POLL_MS = 2000;
  var FINAL = { paid: true, overpaid: true, expired: true };
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (body) {
        if (body) {
          statusEl.textContent = body.status_text;
          statusEl.className = "status " + body.status;
          statusEl.dataset.status = body.status;
          if (paidEl) { paidEl.textContent = body.paid_text; }
          if (FINAL[body.status]) { return; }
        }
        setTimeout(poll, POLL_MS);
      })
      .catch(function () { setTimeout(poll, POLL_MS); });
  }
  setTimeout(poll, POLL_MS);
})();
