/* TrainAdmin behaviours on top of Flask-Admin: live pre-fill from a formation, the duplicate
 * wizard's search, and a warning before leaving a page or a tab with unsaved edits. */
(function () {
  "use strict";

  document.documentElement.classList.add("ta-js");
  document.querySelectorAll(".ta-without-js").forEach(function (el) { el.classList.add("d-none"); });

  /* --- Copy buttons (a calendar feed's addresses, shown once) ------------------------------ */
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var field = document.getElementById(button.getAttribute("data-copy"));
      if (!field) { return; }
      var copied = function () { button.textContent = button.getAttribute("data-copied"); };
      var byCommand = function () { if (document.execCommand("copy")) { copied(); } };
      field.select();
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(field.value).then(copied, byCommand);
      } else {
        byCommand();
      }
    });
  });

  /* --- Unsaved changes --------------------------------------------------------------------- */
  var dirty = false;
  var watched = "form.admin-form, form[data-unsaved-warning]";
  var inWatchedForm = function (el) { return el && el.form && el.form.matches(watched); };
  document.addEventListener("input", function (event) { if (inWatchedForm(event.target)) { dirty = true; } });
  document.addEventListener("change", function (event) { if (inWatchedForm(event.target)) { dirty = true; } });
  document.addEventListener("submit", function (event) {
    if (event.target.matches && event.target.matches(watched) && !event.defaultPrevented) { dirty = false; }
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

  /* --- A year that follows a date (« Année » from « Date de début ») until the user types one -- */
  document.querySelectorAll("input[data-year-of]").forEach(function (year) {
    var date = year.form && year.form.elements[year.getAttribute("data-year-of")];
    if (!date) { return; }
    var typed = year.value !== "";
    var follow = function () {
      var found = /^(\d{4})-/.exec(date.value);
      if (!typed && found) { year.value = found[1]; }
    };
    year.addEventListener("input", function () { typed = year.value !== ""; });
    date.addEventListener("change", follow);
    follow();  // a date typed, or kept by the browser, before this ran
  });

  /* --- Dialogs opened from a plain link (the link still works without JavaScript) ---------- */
  document.querySelectorAll("a[data-dialog]").forEach(function (link) {
    link.addEventListener("click", function (event) {
      if (!window.jQuery) { return; }
      event.preventDefault();
      window.jQuery(link.getAttribute("data-dialog")).modal("show");
    });
  });

  /* --- « Imprimer ou enregistrer en PDF » (Rapports): the browser's own print dialog -------- */
  document.querySelectorAll("button[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });

  /* --- Confirmations (delegated: forms redrawn later are covered too) ------------------------ */
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.matches && form.matches("form[data-confirm]") && !window.confirm(form.getAttribute("data-confirm"))) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

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

  /* --- Planning editor: forms sent in the background, the editor redrawn --------------------- */
  function setupPlanning(root) {
    root.querySelectorAll("[data-location-select]").forEach(function (locationSelect) {
      var roomSelect = locationSelect.form.querySelector("[data-room-select]");
      var filter = function () {
        Array.prototype.forEach.call(roomSelect.options, function (option) {
          var location = option.getAttribute("data-location");
          option.hidden = Boolean(location) && Boolean(locationSelect.value) && location !== locationSelect.value;
        });
        var chosen = roomSelect.options[roomSelect.selectedIndex];
        if (chosen && chosen.hidden) { roomSelect.value = ""; }
      };
      locationSelect.addEventListener("change", filter);
      filter();
    });
    root.querySelectorAll("[data-add-date]").forEach(function (button) {
      button.classList.remove("d-none");
      button.addEventListener("click", function () {
        var rows = button.form.querySelector("[data-date-rows]");
        var all = rows.querySelectorAll("[data-date-row]");
        var last = all[all.length - 1];
        var copy = last.cloneNode(true);
        var next = all.length;
        copy.querySelectorAll("input, label, .invalid-feedback").forEach(function (el) {
          ["name", "id", "for", "data-for"].forEach(function (attr) {
            var value = el.getAttribute(attr);
            if (value) { el.setAttribute(attr, value.replace(/dates-\d+-/, "dates-" + next + "-")); }
          });
          if (el.tagName === "INPUT") { el.value = ""; el.classList.remove("is-invalid"); }
          if (el.classList.contains("invalid-feedback")) { el.textContent = ""; }
        });
        rows.appendChild(copy);
      });
    });
  }

  /* Other forms of the editor being filled in are kept as they are (typed values, added date rows,
   * selections) and put back in the redrawn editor, in the same place. */
  function keepUnsaved(editor, submitted) {
    var pending = [];
    editor.querySelectorAll("form[data-planning-form]").forEach(function (other) {
      if (other === submitted || other.dataset.changed !== "1") { return; }
      var holder = other.parentElement ? other.parentElement.closest("[id]") : null;
      if (holder) { pending.push({ form: other, holder: holder.id }); }
    });
    return pending;
  }

  function restoreUnsaved(editor, pending) {
    pending.forEach(function (saved) {
      var holder = editor.querySelector("#" + saved.holder);
      if (!holder) { return; }
      var twin = holder.querySelector('form[action="' + saved.form.getAttribute("action") + '"]');
      if (twin) { twin.replaceWith(saved.form); } else { holder.innerHTML = ""; holder.appendChild(saved.form); }
      holder.classList.remove("d-none");
      var panel = holder.classList.contains("collapse") ? holder : holder.closest(".collapse");
      while (panel) {
        panel.classList.add("show");
        panel = panel.parentElement ? panel.parentElement.closest(".collapse") : null;
      }
    });
    return pending.length > 0;
  }

  function showErrors(form, errors) {
    form.querySelectorAll(".is-invalid").forEach(function (el) { el.classList.remove("is-invalid"); });
    form.querySelectorAll("[data-for]").forEach(function (el) { el.textContent = ""; el.classList.add("d-none-empty"); });
    Object.keys(errors).forEach(function (name) {
      var box = form.querySelector('[data-for="' + name + '"]');
      if (!box) { box = form.querySelector('[data-for="_form"]'); }
      // A button's small form (move, delete) has no message box: the editor shows the reason.
      if (!box) { flashMessage(errors[name], "danger"); return; }
      box.textContent = errors[name];
      box.classList.remove("d-none");
      box.style.display = "block";
      var field = form.querySelector('[name="' + name + '"], [name="' + name + '_id"], [name="' + name + '_ids"]');
      if (field) { field.classList.add("is-invalid"); }
    });
    if (errors.room) {
      var override = form.querySelector("[data-override]");
      if (override) { override.classList.remove("d-none"); }
    }
  }

  function flashMessage(text, tone) {
    var editor = document.getElementById("planning-editor");
    if (!editor || !text) { return; }
    var box = document.createElement("div");
    box.className = "alert alert-" + tone + " ta-planning-message";
    box.setAttribute("role", "status");
    box.textContent = text;
    editor.insertBefore(box, editor.firstChild);
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-planning-form]") || !window.fetch) { return; }
    event.preventDefault();
    var button = form.querySelector("[type=submit]");
    if (button) { button.disabled = true; }
    var sent = new FormData(form);
    // The redrawn editor draws again the sequences opened here (forms being typed may sit in them).
    document.querySelectorAll("#planning-editor [id^=sequence-body-]:not([data-sequence-body])").forEach(function (body) {
      sent.append("_open", body.id.slice("sequence-body-".length));
    });
    fetch(form.action, {
      method: "POST", body: sent, credentials: "same-origin",
      headers: { "Accept": "application/json" }
    }).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      if (type.indexOf("application/json") === -1) {
        return response.text().then(function () { return { ok: false, status: response.status }; });
      }
      return response.json();
    }).then(function (answer) {
      if (button) { button.disabled = false; }
      if (answer.applied && answer.redirect) {
        // This form was already saved (sent twice): the page as it is now, with the message.
        dirty = false;
        window.location.assign(answer.redirect);
      } else if (answer.ok) {
        var editor = document.getElementById("planning-editor");
        // Only this form's changes were saved; other open forms on the page keep theirs.
        var others = document.querySelectorAll("form[data-unsaved-warning]");
        var keep = Array.prototype.some.call(others, function (other) {
          return other !== form && other.dataset.changed === "1";
        });
        var pending = keepUnsaved(editor, form);
        var holder = document.createElement("div");
        holder.innerHTML = answer.html;
        var fresh = holder.firstElementChild;
        editor.replaceWith(fresh);
        setupPlanning(fresh);
        dirty = restoreUnsaved(fresh, pending) || keep;
        flashMessage(answer.message, "success");
        (answer.warnings || []).forEach(function (warning) { flashMessage(warning, "warning"); });
      } else if (answer.errors) {
        dirty = true;
        showErrors(form, answer.errors);
      } else {
        showErrors(form, { _form: form.getAttribute("data-refused") || "403" });
        window.location.reload();
      }
    }).catch(function () {
      if (button) { button.disabled = false; }
      form.submit();
    });
  });
  document.addEventListener("input", function (event) {
    var form = event.target.form;
    if (form && form.matches("form[data-planning-form]")) { form.dataset.changed = "1"; }
  });
  /* A row's button (move, delete) links to a small page holding its form; here the editor's one
   * form of that kind is sent to the same address, in the background like the others. */
  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a[data-planning-action]") : null;
    if (!link || !window.fetch) { return; }
    var editor = link.closest("#planning-editor");
    var form = editor ? editor.querySelector('form[data-action-kind="' + link.getAttribute("data-planning-action") + '"]') : null;
    if (!form || !form.requestSubmit) { return; }
    event.preventDefault();
    var question = link.getAttribute("data-confirm");
    if (question && !window.confirm(question)) { return; }
    form.action = link.href;
    form.requestSubmit();
  });
  /* A sequence's slots are fetched when it is opened (the page draws only the open one); the link
   * reloads the page with that sequence open when they cannot be. */
  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a[data-open-sequence]") : null;
    var body = link ? document.querySelector(link.getAttribute("data-target")) : null;
    if (!body || !body.hasAttribute("data-sequence-body") || !window.fetch) { return; }
    event.preventDefault();
    var url = body.getAttribute("data-sequence-body");
    body.removeAttribute("data-sequence-body");
    fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) { return response.ok ? response.text() : Promise.reject(response.status); })
      .then(function (html) {
        body.innerHTML = html;
        setupPlanning(body);
      })
      .catch(function () { window.location.href = link.href; });
  });
  // Slot forms are fetched when opened: a big session has hundreds of slots.
  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a[data-slot-form]") : null;
    if (!link || !window.fetch) { return; }
    event.preventDefault();
    var target = document.querySelector(link.getAttribute("data-target"));
    if (!target) { return; }
    if (target.querySelector("form")) {
      target.classList.toggle("d-none");
      return;
    }
    fetch(link.getAttribute("data-slot-form"), { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) { return response.ok ? response.text() : Promise.reject(response.status); })
      .then(function (html) {
        target.innerHTML = html;
        target.classList.remove("d-none");
        setupPlanning(target);
        var first = target.querySelector("select, input:not([type=hidden])");
        if (first) { first.focus(); }
      })
      .catch(function () { window.location.href = link.href; });
  });
  setupPlanning(document);

  /* --- Duplicate wizard: search as you type ------------------------------------------------ */
  var search = document.getElementById("duplicate-search");
  var list = document.getElementById("duplicate-source");
  if (search && list) {
    var timer = null;
    var asked = 0;  /* answers can come back out of order: only the latest question's answer is shown */
    var runSearch = function () {
      var question = ++asked;
      fetch(search.getAttribute("data-search-url") + "?q=" + encodeURIComponent(search.value), {
        credentials: "same-origin", headers: { "Accept": "application/json" }
      })
        .then(function (response) { return response.json(); })
        .then(function (data) {
          if (question !== asked) { return; }
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
    };
    search.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(runSearch, 200);
    });
    /* Typed before this script ran (slow page): search for it now. */
    if (search.value && search.value !== search.defaultValue) { runSearch(); }
    search.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); }
    });
  }
})();
