// Show times in the invitee's own zone, without reloading the page: the calendar the server
// rendered (in the host's zone) is swapped for the one in the browser's zone, and the address
// gains ?tz= so that a reload or a shared link keeps it. Until then the calendar stays hidden, for
// three seconds at most; without JavaScript it shows in the host's zone, with a zone picker.
// Loaded only on booking pages opened without a zone (a file, not inline: the CSP allows no inline script).
(function () {
  "use strict";
  var zone;
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) { return; }
  if (!zone) return;
  var root = document.documentElement;
  var shown = function () { root.classList.remove("zone-pending"); };
  root.classList.add("zone-pending");
  setTimeout(shown, 3000);
  document.addEventListener("DOMContentLoaded", function () {
    var scheduler = document.getElementById("scheduler");
    if (!scheduler || scheduler.getAttribute("data-zone") === zone || !window.htmx) { shown(); return; }
    var params = new URLSearchParams(location.search);
    params.set("tz", zone);
    var url = location.pathname + "?" + params.toString();
    htmx.ajax("GET", url, { target: scheduler, swap: "outerHTML" }).then(function () {
      history.replaceState(history.state, "", url);
      shown();
    }, shown);
  });
})();
