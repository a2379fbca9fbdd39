// Show times in the invitee's own zone: add the browser's time zone to the address once.
// Loaded only on booking pages opened without a zone (a file, not inline: the CSP allows no inline script).
(function () {
  "use strict";
  try {
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (zone) {
      var params = new URLSearchParams(location.search);
      params.set("tz", zone);
      location.replace(location.pathname + "?" + params.toString());
    }
  } catch (e) {}
})();
