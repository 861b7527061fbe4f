/* TrainAdmin behaviours on top of Flask-Admin: live pre-fill from a formation, the duplicate
 * wizard's search, and a warning before leaving a page or a tab with unsaved edits. */
(function () {
  "use strict";

  document.documentElement.classList.add("ta-js");
  document.querySelectorAll(".ta-without-js").forEach(function (el) { el.classList.add("d-none"); });

  /* --- Unsaved changes --------------------------------------------------------------------- */
  var dirty = false;
  var watched = "form.admin-form, form[data-unsaved-warning]";
  document.querySelectorAll(watched).forEach(function (form) {
    form.addEventListener("input", function () { dirty = true; });
    form.addEventListener("change", function (event) { if (event.isTrusted !== false) { dirty = true; } });
    form.addEventListener("submit", function () { dirty = false; });
  });
  window.addEventListener("beforeunload", function (event) {
    if (!dirty) { return undefined; }
    event.preventDefault();
    event.returnValue = "";
    return "";
  });
  window.trainadminForgetChanges = function () { dirty = false; };
  if (window.jQuery) {
    // Select2 reports a user's choice through jQuery only, with the chosen value attached.
    window.jQuery(watched).on("change", function (event) {
      if (event.val !== undefined || event.added || event.removed) { dirty = true; }
    });
  }

  /* --- Dialogs opened from a plain link (the link still works without JavaScript) ---------- */
  document.querySelectorAll("a[data-dialog]").forEach(function (link) {
    link.addEventListener("click", function (event) {
      if (!window.jQuery) { return; }
      event.preventDefault();
      window.jQuery(link.getAttribute("data-dialog")).modal("show");
    });
  });

  /* --- Confirmations ----------------------------------------------------------------------- */
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) {
        event.preventDefault();
        dirty = true;
      }
    });
  });

  /* --- Live pre-fill from the formation --------------------------------------------------- */
  var create = document.getElementById("session-create");
  if (create && window.jQuery) {
    var $ = window.jQuery;
    var setField = function (name, value) {
      var el = document.getElementById(name);
      if (!el) { return; }
      if (el.type === "checkbox") {
        el.checked = Boolean(value);
      } else if (el.tagName === "SELECT") {
        var wanted = value === null || value === undefined || value === "" ? "__None" : String(value);
        if (!Array.prototype.some.call(el.options, function (o) { return o.value === wanted; })) { wanted = ""; }
        $(el).val(wanted).trigger("change");
      } else {
        el.value = value === null || value === undefined ? "" : value;
      }
    };
    $("#training").on("change", function () {
      var id = $(this).val();
      if (!id || id === "__None") { return; }
      fetch(create.getAttribute("data-defaults-url") + "?id=" + encodeURIComponent(id), {
        credentials: "same-origin", headers: { "Accept": "application/json" }
      })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (values) {
          if (!values) { return; }
          Object.keys(values).forEach(function (name) { setField(name, values[name]); });
          var form = create.querySelector("form");
          if (form && !form.querySelector("input[name=_prefilled]")) {
            var marker = document.createElement("input");
            marker.type = "hidden";
            marker.name = "_prefilled";
            marker.value = "1";
            form.appendChild(marker);
          }
          create.dispatchEvent(new CustomEvent("trainadmin:prefilled", { bubbles: true }));
        });
    });
  }

  /* --- Duplicate wizard: search as you type ------------------------------------------------ */
  var search = document.getElementById("duplicate-search");
  var list = document.getElementById("duplicate-source");
  if (search && list) {
    var timer = null;
    search.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(function () {
        fetch(search.getAttribute("data-search-url") + "?q=" + encodeURIComponent(search.value), {
          credentials: "same-origin", headers: { "Accept": "application/json" }
        })
          .then(function (response) { return response.json(); })
          .then(function (data) {
            list.innerHTML = "";
            data.results.forEach(function (row) {
              var option = document.createElement("option");
              option.value = row.id;
              option.textContent = row.text;
              list.appendChild(option);
            });
            var empty = document.getElementById("duplicate-empty");
            if (empty) { empty.classList.toggle("d-none", data.results.length > 0); }
          });
      }, 200);
    });
    search.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); }
    });
  }
})();
