// Small progressive enhancements; every page works without them.
(function () {
  "use strict";

  // The page's words for what scripts write (a signed-in host's pages carry them, in their language: <body
  // data-words>), else English.
  var words = {};
  try {
    words = JSON.parse(document.body.getAttribute("data-words") || "{}");
  } catch (ignored) { words = {}; }
  function say(english, values) {
    var text = words[english] || english;
    Object.keys(values || {}).forEach(function (key) { text = text.split("{" + key + "}").join(values[key]); });
    return text;
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) return;
    var text = button.getAttribute("data-copy");
    var done = function () {
      var label = button.textContent;
      button.textContent = say("Copied!");
      setTimeout(function () { button.textContent = label; }, 1500);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done);
    } else {
      var source = button.parentElement.querySelector(".copy-source");
      if (source) { source.select(); document.execCommand("copy"); done(); }
    }
  });

  // What each form held once the page was ready (scripts may fill fields in as they enhance them):
  // a form differs from that when something in it was changed and not saved.
  var asServed = new WeakMap();
  function sent(form) { return new URLSearchParams(new FormData(form)).toString(); }
  window.addEventListener("load", function () {
    setTimeout(function () {
      document.querySelectorAll("form[method=post]").forEach(function (form) { asServed.set(form, sent(form)); });
    }, 0);
  });
  function changed(form) {
    if (!asServed.has(form)) return false;
    var files = Array.prototype.some.call(form.querySelectorAll("input[type=file]"), function (input) {
      return input.files && input.files.length > 0;
    });
    return files || asServed.get(form) !== sent(form);
  }

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
    // Several forms on one page (Settings → Profile): saving one must not silently drop what was
    // changed in another.
    if ((form.method || "").toLowerCase() === "post" && !event.defaultPrevented) {
      var unsaved = Array.prototype.filter.call(document.querySelectorAll("form[method=post]"), function (other) {
        return other !== form && changed(other);
      });
      if (unsaved.length) {
        var heading = unsaved[0].closest("section");
        heading = heading && heading.querySelector("h2");
        var question = heading
          ? say("Your changes under “{section}” are not saved yet and will be lost. Go on?", {section: heading.textContent.trim()})
          : say("Your changes in another form on this page are not saved yet and will be lost. Go on?");
        if (!window.confirm(question)) {
          event.preventDefault();
          event.stopImmediatePropagation();
          return;
        }
      }
    }
    if (form.hasAttribute("data-once")) {
      // The server also ignores a repeated submission; this just avoids the wait.
      if (form.dataset.sent) { event.preventDefault(); return; }
      form.dataset.sent = "1";
      form.querySelectorAll("button[type=submit]").forEach(function (b) { b.setAttribute("aria-busy", "true"); });
    }
  }, true);


  // ---- Booking page: zone search, the time there now, a calendar driven by arrow keys, and focus
  // and announcements that follow what htmx swaps in. Without JavaScript the page is plain links
  // and forms.

  function clockIn(zone, hours, at) {
    try {
      var lang = document.documentElement.lang || "en";
      if (lang === "en") lang = hours === "12" ? "en-US" : "en-GB";
      return new Intl.DateTimeFormat(lang,
        { timeZone: zone, hour: hours === "12" ? "numeric" : "2-digit", minute: "2-digit", hour12: hours === "12" }).format(at);
    } catch (e) { return ""; }
  }

  // One zone picker everywhere: the <select> (which works without JavaScript) gives way to a search
  // box whose suggestions come from the server (/zones), which knows cities, countries,
  // abbreviations and offsets. An ARIA combobox: arrows move, Enter picks, Escape closes.
  function enhanceZonePicker(select) {
    if (select.dataset.enhanced) return;
    select.dataset.enhanced = "1";
    var group = select.closest("[role=group]") || select;
    var id = select.id + "-search";
    var input = document.createElement("input");
    var list = document.createElement("ul");
    var wrap = document.createElement("div");
    var chosenLabel = function () {
      var option = select.options[select.selectedIndex];
      return option ? option.textContent : "";
    };
    wrap.className = "zone-search";
    input.type = "text";
    input.id = id;
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", id + "-list");
    input.setAttribute("autocomplete", "off");
    input.setAttribute("spellcheck", "false");
    var hint = select.getAttribute("aria-describedby");
    if (hint) input.setAttribute("aria-describedby", hint);
    input.placeholder = select.getAttribute("data-placeholder") || "City, country or UTC offset";
    input.value = chosenLabel();
    input.dataset.focusKey = select.dataset.focusKey || "";
    list.id = id + "-list";
    list.className = "zone-choices";
    list.setAttribute("role", "listbox");
    list.hidden = true;
    var active = -1;
    var asked = 0;
    var pickWhenShown = false;  // Enter pressed before the suggestions came: take the first
    var options = function () { return list.querySelectorAll("[data-zone]"); };
    var show = function (open) {
      list.hidden = !open;
      input.setAttribute("aria-expanded", open ? "true" : "false");
      if (!open) { input.removeAttribute("aria-activedescendant"); active = -1; }
    };
    var highlight = function (index) {
      var all = options();
      if (!all.length) return;
      active = (index + all.length) % all.length;
      all.forEach(function (option, i) { option.setAttribute("aria-selected", i === active ? "true" : "false"); });
      input.setAttribute("aria-activedescendant", all[active].id);
      all[active].scrollIntoView({ block: "nearest" });
    };
    var choose = function (option) {
      var zone = option.getAttribute("data-zone");
      if (!select.querySelector('option[value="' + zone + '"]')) {
        var extra = document.createElement("option");
        extra.value = zone;
        extra.textContent = option.firstChild.textContent.trim();
        select.insertBefore(extra, select.firstChild);
      }
      show(false);
      input.removeAttribute("aria-invalid");
      if (zone !== select.value) {
        select.value = zone;
        input.value = chosenLabel();
        select.dispatchEvent(new Event("change", { bubbles: true }));
      } else {
        input.value = chosenLabel();
      }
    };
    var search = function () {
      var text = input.value.trim();
      input.removeAttribute("aria-invalid");
      var ticket = ++asked;
      if (!text) { show(false); return; }
      fetch(select.getAttribute("data-zone-search") + "?q=" + encodeURIComponent(text), { credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.text() : ""; })
        .then(function (html) {
          if (ticket !== asked || document.activeElement !== input) return;
          list.innerHTML = html;
          if (!options().length) input.setAttribute("aria-invalid", "true");
          var hours = (document.querySelector("[data-now-in]") || select).getAttribute("data-hours") || "24";
          var now = new Date();
          options().forEach(function (option) {
            option.id = id + "-" + option.id;
            var at = clockIn(option.getAttribute("data-zone"), hours, now);
            if (at) option.lastElementChild.textContent += " · " + (select.getAttribute("data-now-short") || "{time} now").replace("{time}", at);
          });
          show(true);
          highlight(0);
          if (pickWhenShown) {
            pickWhenShown = false;
            var first = options()[0];
            if (first) choose(first);
          }
        }, function () {});
    };
    var timer = null;
    // The form sends the <select>: the search box's own events must not reach htmx.
    input.addEventListener("input", function (event) {
      event.stopPropagation();
      clearTimeout(timer);
      timer = setTimeout(search, 120);
    });
    input.addEventListener("change", function (event) { event.stopPropagation(); });
    input.addEventListener("focus", function () { input.select(); });
    input.addEventListener("blur", function () {
      setTimeout(function () { show(false); if (!input.value.trim()) input.value = chosenLabel(); }, 150);
    });
    input.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        if (list.hidden) { search(); return; }
        highlight(active + (event.key === "ArrowDown" ? 1 : -1));
      } else if (event.key === "Enter") {
        var all = options();
        if (!list.hidden && all.length) {
          event.preventDefault();
          choose(all[Math.max(active, 0)]);
        } else if (input.value.trim() && input.value !== chosenLabel()) {
          event.preventDefault();
          pickWhenShown = true;
          clearTimeout(timer);
          search();
        }
      } else if (event.key === "Escape" && !list.hidden) {
        event.preventDefault();
        event.stopPropagation();
        show(false);
        input.value = chosenLabel();
      }
    });
    list.addEventListener("mousedown", function (event) { event.preventDefault(); });
    list.addEventListener("click", function (event) {
      var option = event.target.closest("[data-zone]");
      if (option) choose(option);
    });
    group.hidden = true;
    wrap.appendChild(input);
    wrap.appendChild(list);
    group.parentElement.insertBefore(wrap, group);
    var label = document.querySelector('label[for="' + select.id + '"]');
    if (label) label.htmlFor = input.id;
    // A new visitor's browser knows their zone: preselect it where the page asks (sign-up).
    if (select.hasAttribute("data-detect-timezone") && select.value === "UTC") {
      try {
        var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
        fetch(select.getAttribute("data-zone-search") + "?q=" + encodeURIComponent(zone))
          .then(function (response) { return response.text(); })
          .then(function (html) {
            var holder = document.createElement("ul");
            holder.innerHTML = html;
            var found = holder.querySelector("[data-zone]");
            if (found && select.value === "UTC") choose(found);
          }, function () {});
      } catch (e) {}
    }
  }

  function showTimeThere(element) {
    var at = clockIn(element.getAttribute("data-now-in"), element.getAttribute("data-hours"), new Date());
    if (at && !element.dataset.shown) {
      element.dataset.shown = "1";
      element.textContent += " " + (element.getAttribute("data-now-text") || "It is {time} there now.").replace("{time}", at);
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
          off.textContent = say("Unavailable");
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
            input.setAttribute("aria-label", say(which === "from" ? "{day} from" : "{day} until", {day: name}) +
              (pairs.length > 1 ? " (" + (n + 1) + ")" : ""));
            input.addEventListener("change", write);
            row.appendChild(input);
            if (!k) row.appendChild(document.createTextNode("–"));
          });
          var remove = button("×", say("Remove {day} {hours}", {day: name, hours: pair[0] + "–" + pair[1]}), function () {
            var now = read();
            now.splice(n, 1); draw(now); write(); editor.querySelector("button").focus();
          });
          row.appendChild(remove);
          editor.appendChild(row);
        });
        editor.appendChild(button(say("Add hours"), say("Add hours") + ": " + name, function () {
          var now = read();
          var last = now[now.length - 1];
          now.push(last ? [last[1], last[1] < "17:00" ? "17:00" : "23:55"] : ["09:00", "17:00"]);
          draw(now); write();
          var times = editor.querySelectorAll("input[type=time]");
          times[times.length - 2].focus();
        }));
        if (index === 0) {
          var copy = say("Copy to all weekdays");  // (its accessible name begins with what it shows)
          editor.appendChild(button(copy, copy + ": " + say("{day}’s hours to Tuesday to Friday", {day: name}), function () {
            write();
            days.slice(1, 5).forEach(function (other) {
              var otherText = other.querySelector("input");
              otherText.value = text.value;
              editors[other.getAttribute("data-day")](parseHours(text.value));
            });
            status.textContent = say("Copied {day}’s hours to Tuesday to Friday.", {day: name});
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

  // An event type keeping a shared schedule's hours hides its own (they are kept, unused).
  function enhanceSchedule(select) {
    var own = document.querySelector("[data-own-hours]");
    if (!own || select.dataset.enhanced) return;
    select.dataset.enhanced = "1";
    var fit = function () { own.hidden = select.value !== "0"; };
    select.addEventListener("change", fit);
    fit();
  }

  function enhance(root) {
    root.querySelectorAll("select[data-schedule-select]").forEach(enhanceSchedule);
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

  // Inside another site's frame (Event Types → Embed): tell embed.js how tall the page is (at once,
  // on every change and whenever it asks), and pass on an Escape nothing here used, which closes a pop-up.
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
    window.addEventListener("message", function (event) {
      if (event.source === window.parent && event.data && event.data.linktime === "height?") report();
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && !event.defaultPrevented) window.parent.postMessage({ linktime: "close" }, "*");
    });
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
