// The check-in desk without reloads: each desk form (data-desk) is posted with
// fetch, and the answer's result, count and name list replace this page's. The
// answer is the very page a browser without JavaScript gets, so both show the
// same. Scans are sent one after another, in the order they were made; the input
// is emptied and keeps the focus at once, ready for the next ticket.
(function () {
  "use strict";
  if (!window.fetch || !window.DOMParser) return;
  var REGIONS = ["scan-result", "desk-count", "name-results"];
  var queue = Promise.resolve();

  function swap(html) {
    var fresh = new DOMParser().parseFromString(html, "text/html");
    REGIONS.forEach(function (id) {
      var here = document.getElementById(id);
      var there = fresh.getElementById(id);
      // The live regions stay in place (so screen readers announce the change);
      // only what they hold is replaced.
      if (here && there) here.innerHTML = there.innerHTML;
    });
    bind(document.getElementById("name-results"));
  }

  function send(form) {
    var body = new FormData(form);
    var code = document.getElementById("code");
    if (code) {
      code.value = "";
      code.focus();
    }
    queue = queue.then(function () {
      return fetch(form.action, { method: "POST", body: body, credentials: "same-origin" })
        .then(function (response) { return response.text(); })
        .then(swap)
        .catch(function () {
          // No answer (the network): post it the plain way, as typed.
          if (code && body.has("code")) code.value = body.get("code");
          form.submit();
        });
    });
  }

  function bind(root) {
    if (!root) return;
    root.querySelectorAll("form[data-desk]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        send(form);
      });
    });
  }

  bind(document);
  document.documentElement.setAttribute("data-desk-ready", "");
})();
