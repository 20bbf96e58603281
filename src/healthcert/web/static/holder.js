// The traveller's pages' enhancements; without them every page still reads and every form posts.
(function () {
  "use strict";
  var CACHE = "healthcert-holder";
  var note = document.getElementById("offline-note");

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/holder/sw.js", { scope: "/holder" }).catch(function () {});
  }
  // Signed out: the copies kept for offline reading go too.
  if (document.getElementById("signed-out") && window.caches) {
    caches.delete(CACHE);
  }
  var showConnection = function () { if (note) note.hidden = navigator.onLine; };
  window.addEventListener("online", showConnection);
  window.addEventListener("offline", showConnection);
  showConnection();

  // The certificates list keeps each certificate's page for offline reading.
  var kept = document.querySelectorAll("a[data-offline]");
  if (kept.length && window.caches && navigator.onLine) {
    caches.open(CACHE).then(function (cache) {
      kept.forEach(function (link) { cache.add(link.href).catch(function () {}); });
    });
  }

  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });

  steps(document.getElementById("declaration"));
  live(document.getElementById("health-code"));

  // The declaration one step at a time; each step's fields are checked before the next.
  function steps(form) {
    if (!form || document.querySelector(".problem")) return;
    var all = Array.prototype.slice.call(form.querySelectorAll("fieldset.step"));
    var back = form.querySelector("[data-step='-1']");
    var next = form.querySelector("[data-step='1']");
    var file = document.getElementById("file");
    var at = 0;
    var show = function (index, focus) {
      at = index;
      all.forEach(function (step, i) { step.hidden = i !== index; });
      back.hidden = index === 0;
      next.hidden = index === all.length - 1;
      file.hidden = index !== all.length - 1;
      if (focus) {
        var first = all[index].querySelector("input, select, textarea");
        if (first) first.focus();
        all[index].scrollIntoView();
      }
    };
    var valid = function (step) {
      var fields = step.querySelectorAll("input, select, textarea");
      for (var i = 0; i < fields.length; i++) {
        if (!fields[i].checkValidity()) { fields[i].reportValidity(); return false; }
      }
      return true;
    };
    next.addEventListener("click", function () { if (valid(all[at])) show(at + 1, true); });
    back.addEventListener("click", function () { show(at - 1, true); });
    show(0, false);
  }

  // The health code: the clock ticks every second and the code is fetched again every minute
  // while online, so the page is visibly alive and its colour current.
  function live(code) {
    if (!code) return;
    var clock = document.getElementById("clock");
    var tick = function () { clock.textContent = new Date().toISOString().slice(0, 19).replace("T", " "); };
    tick();
    setInterval(tick, 1000);
    var marks = { green: "✓", yellow: "!", red: "✗" };
    var refresh = function () {
      if (!navigator.onLine) return;
      fetch(code.getAttribute("data-refresh"), { credentials: "same-origin", cache: "no-store" })
        .then(function (answer) { return answer.ok ? answer.json() : null; })
        .then(function (found) {
          if (!found) return;
          code.className = "health-code " + found.colour;
          document.getElementById("colour-mark").textContent = marks[found.colour] || "";
          document.getElementById("colour-label").textContent = found.label;
          document.getElementById("code-qr").src = found.qr;
          document.getElementById("valid-until").textContent = found.valid_until;
          document.getElementById("signed-at").textContent = found.signed_at + " UTC";
        })
        .catch(function () {});
    };
    setInterval(refresh, 60000);
    window.addEventListener("online", refresh);
  }
})();
