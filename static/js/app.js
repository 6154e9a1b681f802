// Behaviour that templates ask for with data attributes or classes, so pages need no inline script
// (the Content-Security-Policy allows scripts from this site only). Every page works without it.
//   data-confirm="Question?"  on a submit button or link: ask before going ahead.
//   .table-scroll             a table's wrapper: when the table is wider than the screen and the
//                             wrapper scrolls, it gets a tab stop so the keyboard can scroll it too.
//   data-unanswered-check     on a form of [data-question] groups: submitting with unanswered ones
//                             shows its [data-unanswered-panel] instead, to go back or to go ahead.
//   data-countdown-to="ISO"   the time left until then, every second, against the server's clock
//                             (data-countdown-now); at zero the [data-countdown-done] beside it shows.
//   data-copy="text"          on a button: copy the text (a tag to paste into Lever), then say so.
//   data-select-all="name"    on a checkbox: checks or clears every checkbox named `name` of its form.
//   data-poll-list            on an htmx-polled list: it asks for the page as the address bar now
//                             says (filters kept), and waits while rows are selected or a control
//                             inside it has the focus, so a refresh never drops what a person chose.
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    var target = event.target instanceof Element ? event.target.closest("[data-confirm]") : null;
    if (target && !window.confirm(target.getAttribute("data-confirm"))) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  // -- copy a tag -----------------------------------------------------------------------------------

  function selectText(button) {
    var code = button.parentElement && button.parentElement.querySelector("code");
    if (code && window.getSelection) {
      var range = document.createRange();
      range.selectNodeContents(code);
      window.getSelection().removeAllRanges();
      window.getSelection().addRange(range);
    }
  }

  document.addEventListener("click", function (event) {
    var button = event.target instanceof Element ? event.target.closest("button[data-copy]") : null;
    if (!button) {
      return;
    }
    var text = button.getAttribute("data-copy");
    var done = function () { button.textContent = "Copied"; };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () { selectText(button); });
    } else {
      selectText(button);  // without clipboard access the tag is selected, ready for Ctrl+C
    }
  });

  // -- tables that scroll sideways ----------------------------------------------------------------

  function markScrollingTables() {
    document.querySelectorAll(".table-scroll").forEach(function (box) {
      if (box.scrollWidth > box.clientWidth) {
        box.setAttribute("tabindex", "0");
      } else {
        box.removeAttribute("tabindex");
      }
    });
  }

  // -- unanswered questions -----------------------------------------------------------------------

  function isAnswered(question) {
    return Array.prototype.some.call(question.querySelectorAll("input, textarea, select"), function (input) {
      if (input.type === "radio" || input.type === "checkbox") {
        return input.checked;
      }
      return input.type !== "hidden" && input.value.trim() !== "";
    });
  }

  function questionName(question) {
    var legend = question.querySelector("legend");
    return legend ? legend.textContent.trim() : "A question";
  }

  function showUnanswered(form, missing, total) {
    var panel = form.querySelector("[data-unanswered-panel]");
    if (!panel) {
      return false;
    }
    form.querySelector("[data-unanswered-count]").textContent = missing.length + " of " + total;
    var list = form.querySelector("[data-unanswered-list]");
    list.textContent = "";
    missing.forEach(function (question, index) {
      if (index) {
        list.appendChild(document.createTextNode(", "));
      }
      var link = document.createElement("a");
      link.href = "#" + question.id;
      link.textContent = questionName(question);
      list.appendChild(link);
    });
    panel.hidden = false;
    panel.focus();
    return true;
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-unanswered-check")) {
      return;
    }
    if (event.submitter && event.submitter.hasAttribute("data-unanswered-submit")) {
      return;  // the candidate has seen the list and chose to submit anyway
    }
    var questions = Array.prototype.slice.call(form.querySelectorAll("[data-question]"));
    var missing = questions.filter(function (question) { return !isAnswered(question); });
    if (missing.length && showUnanswered(form, missing, questions.length)) {
      event.preventDefault();
    }
  });

  document.addEventListener("click", function (event) {
    var back = event.target instanceof Element ? event.target.closest("[data-unanswered-back]") : null;
    if (!back) {
      return;
    }
    var form = back.closest("form");
    form.querySelector("[data-unanswered-panel]").hidden = true;
    var first = Array.prototype.find.call(form.querySelectorAll("[data-question]"), function (question) {
      return !isAnswered(question);
    });
    var input = first && first.querySelector("input:not([type=hidden]), textarea, select");
    if (input) {
      input.focus();
    }
  });

  // -- countdown ----------------------------------------------------------------------------------

  function clock(seconds) {
    var hours = Math.floor(seconds / 3600);
    var minutes = Math.floor((seconds % 3600) / 60);
    var secs = seconds % 60;
    var mm = hours ? String(minutes).padStart(2, "0") : String(minutes);
    return (hours ? hours + ":" : "") + mm + ":" + String(secs).padStart(2, "0");
  }

  function startCountdown(timer) {
    var end = Date.parse(timer.getAttribute("data-countdown-to"));
    var serverNow = Date.parse(timer.getAttribute("data-countdown-now"));
    if (isNaN(end)) {
      return;
    }
    // The server's clock is the truth: measure how far this device's clock is from it once.
    var skew = isNaN(serverNow) ? 0 : serverNow - Date.now();
    var box = timer.closest("[data-countdown]") || document;
    var done = box.querySelector("[data-countdown-done]");

    function tick() {
      var left = end - (Date.now() + skew);
      timer.textContent = clock(Math.max(0, Math.ceil(left / 1000)));
      if (left <= 0) {
        if (done) {
          done.hidden = false;
        }
        return;
      }
      // Wake just after the displayed second changes, rather than drifting with setInterval.
      window.setTimeout(tick, (left % 1000) + 20);
    }
    tick();
  }

  // -- select every row ------------------------------------------------------------------------------

  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!(box instanceof HTMLInputElement) || !box.hasAttribute("data-select-all")) {
      return;
    }
    var name = box.getAttribute("data-select-all");
    var owner = box.form;
    document.querySelectorAll("input[type=checkbox][name=\"" + name + "\"]").forEach(function (row) {
      if (!owner || row.form === owner) {
        row.checked = box.checked;
      }
    });
  });

  // -- polled lists ----------------------------------------------------------------------------------

  function pollingList(event) {
    var elt = event.detail && event.detail.elt;
    return elt instanceof Element && elt.hasAttribute("data-poll-list") ? elt : null;
  }

  document.addEventListener("htmx:configRequest", function (event) {
    if (pollingList(event)) {
      event.detail.path = window.location.pathname + window.location.search;
    }
  });

  document.addEventListener("htmx:beforeRequest", function (event) {
    var list = pollingList(event);
    if (list && (list.querySelector("input[type=checkbox]:checked") || list.contains(document.activeElement))) {
      event.preventDefault();
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    markScrollingTables();
    document.querySelectorAll("[data-countdown-to]").forEach(startCountdown);
  });
  document.addEventListener("htmx:afterSettle", markScrollingTables);
  window.addEventListener("resize", markScrollingTables);
})();
