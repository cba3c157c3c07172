// The check-in desk and clerk pages (issue 15). Works without it; it only polishes:
// - a form submits once (a double tap is one request; the server is idempotent anyway);
// - an "Undo" button disappears a minute after the check-in it undoes;
// - the search box keeps the focus, so a hardware scanner's "code + Enter" always lands there.
(function () {
  "use strict";
  document.querySelectorAll("form[data-once]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (form.dataset.sent) { event.preventDefault(); return; }
      form.dataset.sent = "1";
      // Keep the clicked button's name/value (disabled buttons are not submitted): disable later.
      window.setTimeout(function () {
        form.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
      }, 0);
    });
  });
  var undoSeconds = 60;
  function hideExpiredUndo() {
    var now = Date.now() / 1000;
    document.querySelectorAll("[data-undo-until]").forEach(function (button) {
      if (now - Number(button.dataset.undoUntil) > undoSeconds) { button.hidden = true; }
    });
  }
  hideExpiredUndo();
  window.setInterval(hideExpiredUndo, 5000);
  var search = document.getElementById("desk-q");
  if (search) {
    if (search.value && document.activeElement === search) { search.select(); }
    document.addEventListener("keydown", function (event) {
      var t = event.target;
      var typing = t && (t.tagName === "INPUT" || t.tagName === "SELECT" || t.tagName === "TEXTAREA");
      if (!typing && event.key.length === 1 && !event.ctrlKey && !event.metaKey && !event.altKey) {
        search.focus();
      }
    });
  }
})();
