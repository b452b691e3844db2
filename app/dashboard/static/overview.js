// The overview's figures, refreshed without a reload (progressive enhancement: the
// page is whole without this). Every few seconds it asks the JSON the page names
// in data-refresh and writes what changed into the aria-live list, so screen
// readers hear only the figures that moved.
(function () {
  "use strict";
  var list = document.querySelector("[data-refresh]");
  if (!list || !window.fetch) {
    return;
  }
  var url = list.getAttribute("data-refresh");
  var every = 1000 * (parseInt(list.getAttribute("data-every"), 10) || 15);
  var asOf = document.getElementById("as-of");

  function show(data) {
    Object.keys(data.figures).forEach(function (key) {
      var cell = list.querySelector('[data-figure="' + key + '"]');
      if (cell && cell.textContent !== data.figures[key]) {
        cell.textContent = data.figures[key];
      }
    });
    if (asOf) {
      asOf.textContent = data.as_of;
    }
  }

  function refresh() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok || response.redirected) {
          throw new Error("no figures: " + response.status);
        }
        return response.json();
      })
      .then(show)
      .catch(function () {
        // Signed out or offline: the figures shown stay, and the next try may work.
      });
  }

  window.setInterval(refresh, every);
})();
