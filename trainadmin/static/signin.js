/* Émargement numérique: the signature pads of the sign-in pages (vendor/signature_pad), and the
   trainer's page refreshing its QR code and its list of signatures. */
(function () {
  "use strict";

  function setUpPad(box) {
    var canvas = box.querySelector("canvas");
    var input = box.querySelector("[data-signature-input]");
    var empty = box.querySelector("[data-signature-empty]");
    var form = box.closest("form");
    var pad = new window.SignaturePad(canvas, { minWidth: 1, maxWidth: 2.8, penColor: "#10206b" });
    var width = 0;

    function resize() {
      if (canvas.offsetWidth === width) { return; }  // a phone's address bar moving: keep the drawing
      width = canvas.offsetWidth;
      var ratio = Math.max(window.devicePixelRatio || 1, 1);
      var strokes = pad.toData();
      canvas.width = canvas.offsetWidth * ratio;
      canvas.height = canvas.offsetHeight * ratio;
      canvas.getContext("2d").scale(ratio, ratio);
      pad.clear();
      if (strokes.length) { pad.fromData(strokes); }
    }
    window.addEventListener("resize", resize);
    resize();
    if (input.value) {  // the page shown again after a refusal: the signature drawn before
      pad.fromDataURL(input.value, { width: canvas.offsetWidth, height: canvas.offsetHeight });
    }
    pad.addEventListener("beginStroke", function () { empty.classList.add("d-none"); });
    box.querySelector("[data-signature-clear]").addEventListener("click", function () {
      pad.clear();
      input.value = "";
    });
    form.addEventListener("submit", function (event) {
      if (pad.isEmpty()) {
        event.preventDefault();
        empty.classList.remove("d-none");
        return;
      }
      input.value = pad.toDataURL("image/png");
      var button = form.querySelector("[type=submit]");
      if (button) { window.setTimeout(function () { button.disabled = true; }, 0); }
    });
  }

  function setUpState(box) {
    var url = box.getAttribute("data-signin-state");
    var signedLabel = box.getAttribute("data-signed-label");
    var waitingLabel = box.getAttribute("data-waiting-label");
    var qr = document.getElementById("signin-qr");
    var code = document.getElementById("signin-code");
    var count = document.getElementById("signin-count");
    var list = document.getElementById("signin-participants");

    function badge(signedAt) {
      var span = document.createElement("span");
      span.className = signedAt ? "badge badge-success" : "badge badge-light border";
      span.setAttribute(signedAt ? "data-signed" : "data-waiting", "");
      span.textContent = signedAt ? signedLabel.replace("__TIME__", signedAt) : waitingLabel;
      return span;
    }

    function show(state) {
      if (state.closed) {
        box.querySelector("[data-qr-section]").hidden = true;
        document.getElementById("signin-closed-note").classList.remove("d-none");
      } else {
        if (qr.getAttribute("src") !== state.qr) { qr.setAttribute("src", state.qr); }
        code.textContent = state.code.slice(0, 3) + " " + state.code.slice(3);
      }
      count.textContent = state.signed + " / " + state.enrolled;
      if (!state.participants.length) { return; }
      var items = state.participants.map(function (person) {
        var item = document.createElement("li");
        item.className = "list-group-item d-flex justify-content-between align-items-center px-0";
        item.setAttribute("data-signer", "");
        var name = document.createElement("span");
        name.textContent = person.name;
        item.appendChild(name);
        item.appendChild(badge(person.signed_at));
        return item;
      });
      list.replaceChildren.apply(list, items);
    }

    function schedule(seconds) {
      window.setTimeout(poll, Math.max(1, Math.min(10, seconds)) * 1000);
    }

    function poll() {
      fetch(url, { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!response.ok) { throw new Error(String(response.status)); }
          return response.json();
        })
        .then(function (state) {
          show(state);
          schedule(state.closed ? 10 : state.changes_in + 0.3);
        })
        .catch(function () { schedule(10); });
    }

    schedule(parseFloat(box.getAttribute("data-changes-in")) + 0.3);
  }

  document.querySelectorAll("[data-signature-pad]").forEach(setUpPad);
  document.querySelectorAll("[data-signin-state]").forEach(setUpState);
})();
