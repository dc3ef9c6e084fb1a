"use strict";
// The agent desk in the admin (tickets/admin.py): live SLA countdowns and inserting canned replies.
// Progressive enhancement only: without this file the badges show the server's text and "Insert" submits the form.

(function () {
  var words = null;

  function fill(pattern, values) {
    return pattern.replace(/%\((\w+)\)[sd]/g, function (_match, name) {
      return String(values[name]);
    });
  }

  // Whole minutes rounded up, as tickets/templatetags/desk.py: duration_words.
  function duration(ms) {
    var minutes = Math.ceil(Math.abs(ms) / 60000);
    var days = Math.floor(minutes / 1440);
    var hours = Math.floor((minutes % 1440) / 60);
    if (days) return fill(words.days, { days: days, hours: hours });
    if (hours) return fill(words.hours, { hours: hours, minutes: minutes % 60 });
    return fill(words.minutes, { minutes: minutes });
  }

  function update(badge, now) {
    var due = Date.parse(badge.getAttribute("data-sla-due"));
    if (isNaN(due)) return;
    var warnText = badge.getAttribute("data-sla-warn");
    var warn = warnText ? Date.parse(warnText) : NaN;
    var left = due - now;
    var state = left <= 0 ? "breached" : !isNaN(warn) && warn <= now ? "risk" : "ok";
    badge.classList.remove("desk-sla-ok", "desk-sla-risk", "desk-sla-breached");
    badge.classList.add("desk-sla-" + state);
    badge.textContent = fill(left > 0 ? words["in"] : words.overdue, { time: duration(left) });
  }

  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-sla-due]").forEach(function (badge) {
      update(badge, now);
    });
  }

  // "Insert" puts the chosen canned reply (filled in by the server for this ticket) where the cursor is.
  function insertCanned(event) {
    var button = event.currentTarget;
    var form = button.form;
    var select = form.querySelector("select[name=canned]");
    var textarea = form.querySelector("textarea[name=reply]");
    var option = select && select.options[select.selectedIndex];
    if (!option || !option.hasAttribute("data-text") || !textarea) return; // let the server say what is missing
    event.preventDefault();
    var text = option.getAttribute("data-text");
    var start = textarea.selectionStart;
    var end = textarea.selectionEnd;
    var before = textarea.value.slice(0, start);
    var after = textarea.value.slice(end);
    if (before && !/\n\n$/.test(before)) before = before.replace(/\s*$/, "") + "\n\n";
    textarea.value = before + text + after;
    var caret = (before + text).length;
    textarea.focus();
    textarea.setSelectionRange(caret, caret);
  }

  function start() {
    var source = document.getElementById("desk-sla-words");
    if (source) {
      words = {
        in: source.getAttribute("data-in"),
        overdue: source.getAttribute("data-overdue"),
        days: source.getAttribute("data-days"),
        hours: source.getAttribute("data-hours"),
        minutes: source.getAttribute("data-minutes"),
      };
      tick();
      window.setInterval(tick, 30000);
    }
    document.querySelectorAll("[data-canned-insert]").forEach(function (button) {
      button.addEventListener("click", insertCanned);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
