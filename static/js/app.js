// Behaviour that templates ask for with data attributes or classes, so pages need no inline script
// (the Content-Security-Policy allows scripts from this site only). Every page works without it.
//   data-confirm="Question?"  on a submit button or link: ask before going ahead.
//   .table-scroll             a table's wrapper: when the table is wider than the screen and the
//                             wrapper scrolls, it gets a tab stop so the keyboard can scroll it too.
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    var target = event.target instanceof Element ? event.target.closest("[data-confirm]") : null;
    if (target && !window.confirm(target.getAttribute("data-confirm"))) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  function markScrollingTables() {
    document.querySelectorAll(".table-scroll").forEach(function (box) {
      if (box.scrollWidth > box.clientWidth) {
        box.setAttribute("tabindex", "0");
      } else {
        box.removeAttribute("tabindex");
      }
    });
  }

  document.addEventListener("DOMContentLoaded", markScrollingTables);
  document.addEventListener("htmx:afterSettle", markScrollingTables);
  window.addEventListener("resize", markScrollingTables);
})();
