/* LinkTime on your own website: the snippet from Event Types → Embed loads this file.
 *
 * - <iframe data-linktime src=".../you/event?embed=1">: the booking page inline; it is shown once it
 *   has its height (so it does not jump), and grows and shrinks to fit.
 * - <a data-linktime-popup href=".../you/event">: opens the booking page over your page; Escape (also
 *   inside the page), the close button or a click outside closes it. Without JavaScript the link
 *   simply opens the page.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  // Both snippets carry the script: a page with both loads it twice, and it must act once.
  if (!script || window.linktimeEmbed) return;
  window.linktimeEmbed = true;
  var origin = new URL(script.src).origin;

  var closePopup = null;
  var popupFrame = null;

  function show(frame) {
    frame.style.opacity = "1";
  }

  window.addEventListener("message", function (event) {
    if (event.origin !== origin || !event.data) return;
    if (event.data.linktime === "close" && popupFrame && popupFrame.contentWindow === event.source) {
      closePopup();
      return;
    }
    if (event.data.linktime !== "height") return;
    document.querySelectorAll("iframe[data-linktime]").forEach(function (frame) {
      if (frame.contentWindow !== event.source) return;
      frame.style.height = Math.max(420, event.data.value) + "px";
      show(frame);
    });
  });

  // Inline frames stay transparent until their page says how tall it is — a second at most once
  // it has loaded (a page that cannot say is shown anyway), fifteen if it never loads — and each
  // is asked once loaded, in case its first word came before this script was listening.
  function watch(frame) {
    if (frame.dataset.linktimeWatched) return;
    frame.dataset.linktimeWatched = "1";
    frame.style.transition = "opacity .15s";
    frame.style.opacity = "0";
    setTimeout(function () { show(frame); }, 15000);
    frame.addEventListener("load", function () {
      if (frame.contentWindow) frame.contentWindow.postMessage({ linktime: "height?" }, origin);
      setTimeout(function () { show(frame); }, 1000);
    });
    if (frame.contentWindow) frame.contentWindow.postMessage({ linktime: "height?" }, origin);
  }
  var watchAll = function () { document.querySelectorAll("iframe[data-linktime]").forEach(watch); };
  watchAll();
  document.addEventListener("DOMContentLoaded", watchAll);

  function framed(href) {
    var url = new URL(href, location.href);
    url.searchParams.set("embed", "1");
    return url.toString();
  }

  function openPopup(link) {
    var name = (link.textContent || "").trim() || "Book a time";
    var overlay = document.createElement("div");
    overlay.setAttribute("role", "dialog");
    overlay.setAttribute("aria-modal", "true");
    overlay.setAttribute("aria-label", name);
    overlay.setAttribute("data-linktime-overlay", "");
    // On a phone the pop-up takes the whole screen; its close button sits in a bar of its own,
    // above the page, never over it.
    var phone = window.matchMedia && window.matchMedia("(max-width: 600px)").matches;
    Object.assign(overlay.style, { position: "fixed", inset: "0", background: "rgba(0,0,0,.55)", zIndex: "2147483000",
      display: "flex", alignItems: "center", justifyContent: "center", padding: phone ? "0" : "1rem" });
    var box = document.createElement("div");
    Object.assign(box.style, { position: "relative", background: "#fff", width: phone ? "100%" : "min(1000px, 100%)",
      height: phone ? "100%" : "min(900px, 100%)", borderRadius: phone ? "0" : "10px", overflow: "hidden",
      boxShadow: "0 10px 40px rgba(0,0,0,.35)", display: "flex", flexDirection: "column" });
    var bar = document.createElement("div");
    Object.assign(bar.style, { display: "flex", justifyContent: "flex-end", alignItems: "center", flex: "0 0 auto",
      padding: "4px 8px", borderBottom: "1px solid #ddd", background: "#fff" });
    var frame = document.createElement("iframe");
    frame.src = framed(link.href);
    frame.title = name;
    Object.assign(frame.style, { width: "100%", flex: "1 1 auto", minHeight: "0", border: "0" });
    var close = document.createElement("button");
    close.type = "button";
    close.textContent = "×";
    close.setAttribute("aria-label", "Close");
    Object.assign(close.style, { font: "28px/1 sans-serif", background: "#fff", color: "#222", border: "1px solid #999",
      borderRadius: "50%", width: "40px", height: "40px", cursor: "pointer", padding: "0" });
    var shut = function () {
      overlay.remove();
      document.removeEventListener("keydown", onKey, true);
      closePopup = popupFrame = null;
      link.focus();
    };
    closePopup = shut;
    popupFrame = frame;
    var onKey = function (event) { if (event.key === "Escape") shut(); };
    close.addEventListener("click", shut);
    overlay.addEventListener("click", function (event) { if (event.target === overlay) shut(); });
    document.addEventListener("keydown", onKey, true);
    bar.appendChild(close);
    box.appendChild(bar);
    box.appendChild(frame);
    overlay.appendChild(box);
    document.body.appendChild(overlay);
    close.focus();
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-linktime-popup]");
    if (!link || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
    event.preventDefault();
    openPopup(link);
  });
})();
