// Small progressive enhancements; every page works without them.
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) return;
    var text = button.getAttribute("data-copy");
    var done = function () {
      var label = button.textContent;
      button.textContent = "Copied!";
      setTimeout(function () { button.textContent = label; }, 1500);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done);
    } else {
      var source = button.parentElement.querySelector(".copy-source");
      if (source) { source.select(); document.execCommand("copy"); done(); }
    }
  });

  // Capture phase: the question is asked once, before htmx (or the browser) sends anything,
  // and Cancel stops the submission for both.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
      event.stopImmediatePropagation();
      return;
    }
    if (form.hasAttribute("data-once")) {
      // The server also ignores a repeated submission; this just avoids the wait.
      if (form.dataset.sent) { event.preventDefault(); return; }
      form.dataset.sent = "1";
      form.querySelectorAll("button[type=submit]").forEach(function (b) { b.setAttribute("aria-busy", "true"); });
    }
  }, true);

  document.addEventListener("DOMContentLoaded", function () {
    // Sign-up: preselect the browser's time zone.
    document.querySelectorAll("select[data-detect-timezone]").forEach(function (select) {
      try {
        var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
        if (zone && select.value === "UTC" && select.querySelector('option[value="' + zone + '"]')) {
          select.value = zone;
        }
      } catch (e) {}
    });
  });
})();
