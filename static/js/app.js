// Behaviour that templates ask for with data attributes, so pages need no inline script
// (the Content-Security-Policy allows scripts from this site only).
//   data-confirm="Question?"  on a submit button or link: ask before going ahead.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var target = event.target instanceof Element ? event.target.closest("[data-confirm]") : null;
    if (target && !window.confirm(target.getAttribute("data-confirm"))) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);
})();
