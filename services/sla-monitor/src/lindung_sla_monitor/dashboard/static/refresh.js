// Refreshes the dashboard in place every data-refresh seconds, keeping the scroll position.
// Signed out or the session over (the page answers with a redirect to sign in), it reloads,
// so the browser goes to the identity provider as for any page.
(function () {
  "use strict";
  var main = document.querySelector("main[data-dashboard]");
  if (!main) { return; }
  var seconds = Number(main.getAttribute("data-refresh")) || 15;
  function refresh() {
    fetch(window.location.href, { credentials: "same-origin", cache: "no-store", redirect: "manual" })
      .then(function (response) {
        if (response.type === "opaqueredirect") { window.location.reload(); return Promise.reject(303); }
        return response.ok ? response.text() : Promise.reject(response.status);
      })
      .then(function (html) {
        var next = new DOMParser().parseFromString(html, "text/html").querySelector("main[data-dashboard]");
        if (!next) { window.location.reload(); return; }
        main.innerHTML = next.innerHTML;
      })
      .catch(function () { /* the next turn tries again; the page says when it was updated */ })
      .then(function () { window.setTimeout(refresh, seconds * 1000); });
  }
  window.setTimeout(refresh, seconds * 1000);
}());
