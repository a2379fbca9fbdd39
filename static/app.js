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

  // ---- Booking page: zone search, the time there now, a calendar driven by arrow keys, and focus
  // and announcements that follow what htmx swaps in. Without JavaScript the page is plain links
  // and forms.

  function clockIn(zone, hours, at) {
    try {
      return new Intl.DateTimeFormat(hours === "12" ? "en-US" : "en-GB",
        { timeZone: zone, hour: hours === "12" ? "numeric" : "2-digit", minute: "2-digit", hour12: hours === "12" }).format(at);
    } catch (e) { return ""; }
  }

  function enhanceZonePicker(select) {
    if (select.dataset.enhanced) return;
    select.dataset.enhanced = "1";
    var group = select.parentElement;
    var hours = (document.querySelector("[data-now-in]") || select).getAttribute("data-hours") || "24";
    var now = new Date();
    var input = document.createElement("input");
    var list = document.createElement("datalist");
    var zoneOf = {};
    input.type = "search";
    input.id = select.id + "-search";
    input.setAttribute("list", input.id + "-choices");
    input.setAttribute("autocomplete", "off");
    input.setAttribute("spellcheck", "false");
    input.setAttribute("aria-describedby", "tz-now");
    input.placeholder = "Search a city or UTC offset";
    input.dataset.focusKey = "tz";
    list.id = input.id + "-choices";
    Array.prototype.forEach.call(select.options, function (option) {
      var region = option.parentElement.tagName === "OPTGROUP" ? option.parentElement.label : "";
      var label = option.textContent + (region && region !== "Universal" ? " · " + region : "") +
        " · " + clockIn(option.value, hours, now);
      zoneOf[label.toLowerCase()] = option.value;
      var choice = document.createElement("option");
      choice.value = label;
      list.appendChild(choice);
      if (option.selected) input.value = option.textContent;
    });
    var pick = function (loose) {
      var text = input.value.trim().toLowerCase();
      var zone = zoneOf[text];
      if (!zone && loose && text) {
        var found = Object.keys(zoneOf).filter(function (label) { return label.indexOf(text) !== -1; });
        zone = found.length ? zoneOf[found[0]] : null;
      }
      if (zone && zone !== select.value) {
        select.value = zone;
        select.dispatchEvent(new Event("change", { bubbles: true }));
      }
      return zone;
    };
    // The form sends the <select>: the search box's own events must not reach htmx.
    input.addEventListener("input", function (event) { event.stopPropagation(); pick(false); });
    input.addEventListener("change", function (event) { event.stopPropagation(); });
    input.addEventListener("focus", function () { input.select(); });
    input.addEventListener("keydown", function (event) {
      if (event.key !== "Enter") return;
      event.preventDefault();
      if (!pick(true)) input.setAttribute("aria-invalid", "true");
    });
    group.hidden = true;
    group.parentElement.insertBefore(input, group);
    group.parentElement.insertBefore(list, group);
    var label = document.querySelector('label[for="' + select.id + '"]');
    if (label) label.htmlFor = input.id;
  }

  function showTimeThere(element) {
    var at = clockIn(element.getAttribute("data-now-in"), element.getAttribute("data-hours"), new Date());
    if (at && !element.dataset.shown) {
      element.dataset.shown = "1";
      element.textContent += " It is " + at + " there now.";
    }
  }

  function isoDay(text, step) {
    var parts = text.split("-").map(Number);
    return new Date(Date.UTC(parts[0], parts[1] - 1, parts[2] + step)).toISOString().slice(0, 10);
  }

  // One tab stop for the whole month (the chosen or first free day); arrows, Home/End and
  // PageUp/PageDown move from there, as in the ARIA date-grid pattern.
  function enhanceCalendar(table) {
    if (table.dataset.enhanced) return;
    table.dataset.enhanced = "1";
    var days = table.querySelectorAll(".day[data-date]");
    if (!days.length) return;
    var start = table.querySelector(".day.selected") || table.querySelector("a.day") || days[0];
    days.forEach(function (day) { day.tabIndex = day === start ? 0 : -1; });
    table.addEventListener("keydown", function (event) {
      var day = event.target.closest(".day[data-date]");
      if (!day) return;
      var steps = { ArrowLeft: -1, ArrowRight: 1, ArrowUp: -7, ArrowDown: 7 };
      var row = day.closest("tr").querySelectorAll(".day[data-date]");
      var target = null;
      if (event.key in steps) {
        target = table.querySelector('.day[data-date="' + isoDay(day.getAttribute("data-date"), steps[event.key]) + '"]');
      } else if (event.key === "Home") {
        target = row[0];
      } else if (event.key === "End") {
        target = row[row.length - 1];
      } else if (event.key === "PageUp" || event.key === "PageDown") {
        var link = document.querySelector(event.key === "PageUp" ? '[data-focus-key="previous-month"]' : '[data-focus-key="next-month"]');
        if (link) { focusAfterSwap = "calendar"; link.click(); }
        event.preventDefault();
        return;
      } else if (event.key === " " && day.tagName === "A") {
        event.preventDefault();
        day.click();
        return;
      } else {
        return;
      }
      event.preventDefault();
      if (!target) return;
      day.tabIndex = -1;
      target.tabIndex = 0;
      target.focus();
    });
  }

  // ---- Event-type form: only the fields the chosen location needs; weekly hours as time inputs.

  function enhanceLocation(group) {
    var select = group.querySelector("select");
    var form = group.closest("form");
    if (!select || group.dataset.enhanced) return;
    group.dataset.enhanced = "1";
    var show = function () {
      form.querySelectorAll("[data-show-for]").forEach(function (element) {
        element.hidden = element.getAttribute("data-show-for").split(" ").indexOf(select.value) === -1;
        var labels = element.getAttribute("data-labels");
        if (labels && !element.hidden) {
          element.querySelector("label").textContent = JSON.parse(labels)[select.value];
        }
      });
    };
    select.addEventListener("change", show);
    show();
  }

  function parseHours(text) {
    return text.split(",").map(function (part) { return part.trim().split("-"); })
      .filter(function (pair) { return pair.length === 2 && /^\d\d:\d\d$/.test(pair[0]) && /^\d\d:\d\d$/.test(pair[1]); });
  }

  // Each weekday's text field (the fallback, and what is sent) is written from rows of time inputs.
  function enhanceWeeklyHours(grid) {
    if (grid.dataset.enhanced) return;
    var days = Array.prototype.slice.call(grid.querySelectorAll("[data-day]"));
    if (days.some(function (day) { return parseHours(day.querySelector("input").value).length === 0 && day.querySelector("input").value.trim(); })) {
      return;  // something the time inputs cannot show (a mistake being corrected): keep the text
    }
    grid.dataset.enhanced = "1";
    var editors = {};
    days.forEach(function (day, index) {
      var name = day.getAttribute("data-day");
      var text = day.querySelector("input");
      var editor = document.createElement("fieldset");
      editor.className = "hours-day";
      var read = function () {  // the rows as they are now, edits included
        return Array.prototype.map.call(editor.querySelectorAll(".hours-row"), function (row) {
          var times = row.querySelectorAll("input");
          return [times[0].value, times[1].value];
        });
      };
      var write = function () {
        text.value = read().filter(function (pair) { return pair[0] && pair[1]; })
          .map(function (pair) { return pair[0] + "-" + pair[1]; }).join(", ");
      };
      var draw = function (pairs) {
        editor.textContent = "";
        var title = document.createElement("legend");
        title.textContent = name;
        editor.appendChild(title);
        if (!pairs.length) {
          var off = document.createElement("span");
          off.className = "hours-off";
          off.textContent = "Unavailable";
          editor.appendChild(off);
        }
        pairs.forEach(function (pair, n) {
          var row = document.createElement("div");
          row.className = "hours-row";
          ["from", "until"].forEach(function (which, k) {
            var input = document.createElement("input");
            input.type = "time";
            input.step = 300;
            input.value = pair[k];
            input.setAttribute("aria-label", name + " " + which + (pairs.length > 1 ? " (" + (n + 1) + ")" : ""));
            input.addEventListener("change", write);
            row.appendChild(input);
            if (!k) row.appendChild(document.createTextNode("–"));
          });
          var remove = button("×", "Remove " + name + " " + pair[0] + "–" + pair[1], function () {
            var now = read();
            now.splice(n, 1); draw(now); write(); editor.querySelector("button").focus();
          });
          row.appendChild(remove);
          editor.appendChild(row);
        });
        editor.appendChild(button("Add hours", "Add hours on " + name, function () {
          var now = read();
          var last = now[now.length - 1];
          now.push(last ? [last[1], last[1] < "17:00" ? "17:00" : "23:55"] : ["09:00", "17:00"]);
          draw(now); write();
          var times = editor.querySelectorAll("input[type=time]");
          times[times.length - 2].focus();
        }));
        if (index === 0) {
          editor.appendChild(button("Copy to all weekdays", "Copy to all weekdays: " + name + "’s hours to Tuesday to Friday", function () {
            write();
            days.slice(1, 5).forEach(function (other) {
              var otherText = other.querySelector("input");
              otherText.value = text.value;
              editors[other.getAttribute("data-day")](parseHours(text.value));
            });
            status.textContent = "Copied " + name + "’s hours to Tuesday to Friday.";
          }));
        }
      };
      editors[name] = draw;
      day.querySelector("label").hidden = true;
      text.hidden = true;
      day.appendChild(editor);
      draw(parseHours(text.value));
    });
    var status = document.createElement("p");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    grid.parentElement.insertBefore(status, grid.nextSibling);
  }

  function button(label, name, onClick) {
    var element = document.createElement("button");
    element.type = "button";
    element.className = "secondary outline small";
    element.textContent = label;
    if (name !== label) element.setAttribute("aria-label", name);
    element.addEventListener("click", onClick);
    return element;
  }

  function enhance(root) {
    root.querySelectorAll("[data-location-fields]").forEach(enhanceLocation);
    root.querySelectorAll("[data-hours-editor]").forEach(enhanceWeeklyHours);
    root.querySelectorAll("select[data-tz-select]").forEach(enhanceZonePicker);
    root.querySelectorAll("[data-now-in]").forEach(showTimeThere);
    root.querySelectorAll("table.month").forEach(enhanceCalendar);
    root.querySelectorAll("[data-js-hide]").forEach(function (element) { element.hidden = true; });
  }

  // What had focus before the calendar was replaced decides what has it after: a day leads to its
  // times, any other control to its counterpart in the new calendar.
  var focusAfterSwap = null;
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (!event.detail.target || event.detail.target.id !== "scheduler") return;
    var active = document.activeElement;
    if (focusAfterSwap || !active || !event.detail.target.contains(active)) return;
    focusAfterSwap = active.matches(".day[data-date]") ? "times" : active.getAttribute("data-focus-key");
  });
  document.addEventListener("htmx:afterSettle", function () {
    var scheduler = document.getElementById("scheduler");
    if (!scheduler || !focusAfterSwap) return;
    enhance(scheduler);
    var want = focusAfterSwap;
    focusAfterSwap = null;
    var target = null;
    if (want === "times") {
      target = scheduler.querySelector(".slot") || document.getElementById("slots-title");
    } else if (want === "calendar") {
      target = scheduler.querySelector('table.month [tabindex="0"]');
    } else {
      target = scheduler.querySelector('[data-focus-key="' + want + '"]');
    }
    if (target) target.focus();
    var status = document.getElementById("scheduler-status");
    var said = scheduler.querySelector("[data-announce]");
    if (status && said) status.textContent = said.getAttribute("data-announce");
  });

  // Inside another site's frame (Event Types → Embed): tell embed.js how tall the page is.
  document.addEventListener("DOMContentLoaded", function () {
    if (!document.body.classList.contains("embedded") || window.parent === window) return;
    var report = function () {
      // The body's own height: the document's is never less than the frame, so it could not shrink.
      var style = getComputedStyle(document.body);
      var height = document.body.getBoundingClientRect().height + parseFloat(style.marginTop) + parseFloat(style.marginBottom);
      window.parent.postMessage({ linktime: "height", value: Math.ceil(height) }, "*");
    };
    if (window.ResizeObserver) new ResizeObserver(report).observe(document.body);
    report();
  });

  // The main menu is served open; on a phone it folds behind "Menu" until opened.
  document.addEventListener("DOMContentLoaded", function () {
    var menu = document.querySelector("details.main-menu");
    if (!menu || !window.matchMedia) return;
    var phone = window.matchMedia("(max-width: 767px)");
    var fit = function () { menu.open = !phone.matches; };
    fit();
    phone.addEventListener("change", fit);
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && phone.matches && menu.open) { menu.open = false; menu.querySelector("summary").focus(); }
    });
  });

  if (window.htmx) {
    htmx.onLoad(enhance);
  } else {
    document.addEventListener("DOMContentLoaded", function () { enhance(document); });
  }
})();
