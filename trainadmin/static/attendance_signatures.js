/* « Présences »: participants signing online appear in the grid as they sign, without a reload.
   A cell with no mark set by hand shows « présent (signé HH:MM) »; nothing typed is touched. */
(function () {
  "use strict";
  var grid = document.getElementById("attendance-grid");
  if (!grid || !grid.getAttribute("data-signatures-url")) { return; }
  var url = grid.getAttribute("data-signatures-url");
  var label = grid.getAttribute("data-signed-label");
  var EVERY = 15000;

  function show(signed) {
    Object.keys(signed).forEach(function (key) {
      var parts = key.split("-");
      var row = grid.querySelector('tr[data-request="' + parts[0] + '"]');
      var cell = row && row.querySelector('[data-cell="' + parts[1] + "-" + parts[2] + '"]');
      if (!cell || cell.hasAttribute("data-signed-shown")) { return; }
      var text = label.replace("__TIME__", signed[key]);
      var select = cell.querySelector("select");
      if (select) {
        select.options[0].textContent = text;  // the blank choice: « no mark by hand, the signature »
      } else if (cell.textContent.trim() === "—") {
        cell.textContent = text;
      }
      cell.setAttribute("data-signed-shown", "");
    });
  }

  function poll() {
    if (document.hidden) { window.setTimeout(poll, EVERY); return; }
    fetch(url, { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : { signed: {} }; })
      .then(function (state) { show(state.signed); })
      .catch(function () { return null; })
      .then(function () { window.setTimeout(poll, EVERY); });
  }
  window.setTimeout(poll, EVERY);
})();
