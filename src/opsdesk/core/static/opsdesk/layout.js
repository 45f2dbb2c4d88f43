// Positions and sizes the server computes (calendar bands and items, the dispatch board's bars)
// come as data-left / data-width / data-top / data-height, in percent of their track. They are
// set here through the CSSOM, which the Content-Security-Policy (style-src 'self') allows, where
// style="" attributes in the markup would be refused. Also: [data-select-on-focus] selects its
// text when focused (the calendar's feed link), instead of an inline onfocus handler.
(function () {
  "use strict";
  var SIDES = ["left", "width", "top", "height"];
  function place(root) {
    root.querySelectorAll("[data-left],[data-width],[data-top],[data-height]").forEach(function (el) {
      SIDES.forEach(function (side) {
        var value = el.dataset[side];
        if (value !== undefined && value !== "" && isFinite(value)) el.style[side] = value + "%";
      });
    });
    root.querySelectorAll("[data-select-on-focus]").forEach(function (el) {
      el.addEventListener("focus", function () { el.select(); });
    });
  }
  // A deferred script runs once the document is parsed; htmx:load covers swapped-in content.
  place(document);
  document.addEventListener("htmx:load", function (e) {
    if (e.target && e.target.querySelectorAll && e.target !== document.body) place(e.target);
  });
})();
