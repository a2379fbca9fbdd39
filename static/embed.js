/* LinkTime on your own website: the snippet from Event Types → Embed loads this file.
 *
 * - <iframe data-linktime src=".../you/event?embed=1">: the booking page inline; it grows to fit.
 * - <a data-linktime-popup href=".../you/event">: opens the booking page over your page; Escape,
 *   the close button or a click outside closes it. Without JavaScript the link simply opens the page.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  // Both snippets carry the script: a page with both loads it twice, and it must act once.
  if (!script || window.linktimeEmbed) return;
  window.linktimeEmbed = true;
  var origin = new URL(script.src).origin;

  window.addEventListener("message", function (event) {
    if (event.origin !== origin || !event.data || event.data.linktime !== "height") return;
    document.querySelectorAll("iframe[data-linktime]").forEach(function (frame) {
      if (frame.contentWindow === event.source) frame.style.height = Math.max(420, event.data.value) + "px";
    });
  });

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
    Object.assign(overlay.style, { position: "fixed", inset: "0", background: "rgba(0,0,0,.55)", zIndex: "2147483000",
      display: "flex", alignItems: "center", justifyContent: "center", padding: "1rem" });
    var box = document.createElement("div");
    Object.assign(box.style, { position: "relative", background: "#fff", width: "min(1000px, 100%)",
      height: "min(900px, 100%)", borderRadius: "10px", overflow: "hidden", boxShadow: "0 10px 40px rgba(0,0,0,.35)" });
    var frame = document.createElement("iframe");
    frame.src = framed(link.href);
    frame.title = name;
    Object.assign(frame.style, { width: "100%", height: "100%", border: "0" });
    var close = document.createElement("button");
    close.type = "button";
    close.textContent = "×";
    close.setAttribute("aria-label", "Close");
    Object.assign(close.style, { position: "absolute", top: ".4rem", right: ".6rem", font: "28px/1 sans-serif",
      background: "#fff", color: "#222", border: "1px solid #999", borderRadius: "50%", width: "40px", height: "40px",
      cursor: "pointer", zIndex: "1" });
    var shut = function () {
      overlay.remove();
      document.removeEventListener("keydown", onKey, true);
      link.focus();
    };
    var onKey = function (event) { if (event.key === "Escape") shut(); };
    close.addEventListener("click", shut);
    overlay.addEventListener("click", function (event) { if (event.target === overlay) shut(); });
    document.addEventListener("keydown", onKey, true);
    box.appendChild(close);
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
