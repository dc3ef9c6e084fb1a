"use strict";
// Ticket form: while the subject is typed, list help-center articles that may already answer it.
// Progressive enhancement only: the form works the same without this file.

(function () {
  var SUGGEST_URL = "/api/v1/search/suggest/";
  var DELAY = 250;
  var CJK = /[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]/g;
  var LATIN = /[A-Za-z]/g;

  function longEnough(text) {
    return (text.match(CJK) || []).length >= 2 || (text.match(LATIN) || []).length >= 3;
  }

  function init(box) {
    var input = document.getElementById(box.getAttribute("data-for"));
    var list = box.querySelector("ul");
    if (!input || !list || !window.fetch) return;
    var timer = null;
    var pending = null;

    function show(items) {
      list.textContent = "";
      items.forEach(function (item) {
        var li = document.createElement("li");
        var link = document.createElement("a");
        link.href = item.url;
        link.textContent = item.title;
        // A new tab, so what was typed into the form is still there when the customer comes back.
        link.target = "_blank";
        link.rel = "noopener";
        li.appendChild(link);
        list.appendChild(li);
      });
      box.hidden = items.length === 0;
    }

    function lookup() {
      var text = input.value.trim();
      if (!longEnough(text)) return show([]);
      if (pending) pending.abort();
      pending = new AbortController();
      var url = SUGGEST_URL + "?q=" + encodeURIComponent(text) + "&lang=" + encodeURIComponent(document.documentElement.lang);
      fetch(url, { headers: { Accept: "application/json" }, signal: pending.signal, credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.json() : { suggestions: [] }; })
        .then(function (data) { if (input.value.trim() === text) show(data.suggestions || []); })
        .catch(function () {});
    }

    input.setAttribute("aria-describedby", ((input.getAttribute("aria-describedby") || "") + " " + box.id).trim());
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(lookup, DELAY);
    });
    if (input.value.trim()) lookup();
  }

  function start() {
    document.querySelectorAll("[data-ticket-suggestions]").forEach(function (box, index) {
      box.id = box.id || "ticket-suggestions-" + index;
      init(box);
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
