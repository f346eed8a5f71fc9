/* The console's only script of its own (no inline scripts: the CSP forbids them).
   Every page works without it; htmx, when loaded, sends the session's CSRF token on
   its requests and the subscriber search filters as you type. */
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="csrf-token"]');
  document.body.addEventListener("htmx:configRequest", function (event) {
    if (meta) { event.detail.headers["X-CSRF-Token"] = meta.content; }
  });
})();
