"use strict";
// Progressive enhancement only: every page works without this file.

(function () {
  // "Was this helpful?": vote without leaving the page; after "No", offer the optional comment box.
  function initFeedback(form) {
    var status = form.querySelector("[role=status]");
    var commentBox = form.querySelector("[data-feedback-comment]");
    var textarea = form.querySelector("textarea[name=comment]");
    var voteButtons = form.querySelectorAll("[data-vote]");
    var busy = false;

    function say(message, isError) {
      status.textContent = message || "";
      status.classList.toggle("is-error", Boolean(isError));
    }

    function press(value) {
      voteButtons.forEach(function (button) {
        button.setAttribute("aria-pressed", button.getAttribute("data-vote") === value ? "true" : "false");
      });
    }

    function send(helpful, comment) {
      var token = form.querySelector("input[name=csrfmiddlewaretoken]");
      var body = new FormData();
      body.append("csrfmiddlewaretoken", token ? token.value : "");
      body.append("helpful", helpful);
      body.append("comment", comment);
      return fetch(form.action, {
        method: "POST",
        body: body,
        credentials: "same-origin",
        headers: { Accept: "application/json", "X-CSRFToken": token ? token.value : "" },
      }).then(function (response) {
        return response.json().then(
          function (data) { return { ok: response.ok && data.ok, data: data }; },
          function () { return { ok: false, data: {} }; }
        );
      });
    }

    form.addEventListener("submit", function (event) {
      var submitter = event.submitter;
      if (!submitter || !window.fetch) return; // fall back to a normal POST
      event.preventDefault();
      if (busy) return;
      var isComment = submitter.hasAttribute("data-feedback-send");
      var helpful = isComment ? "no" : submitter.value;
      var comment = isComment && textarea ? textarea.value.trim() : "";
      if (isComment && !comment) {
        textarea.focus();
        return;
      }
      busy = true;
      submitter.disabled = true;
      send(helpful, comment)
        .then(function (result) {
          if (!result.ok) {
            say(result.data.detail || form.getAttribute("data-error"), true);
            return;
          }
          press(helpful);
          if (isComment) {
            commentBox.hidden = true;
            say(form.getAttribute("data-thanks-comment"));
          } else if (helpful === "no") {
            commentBox.hidden = false;
            say(form.getAttribute("data-thanks-no"));
            textarea.focus();
          } else {
            commentBox.hidden = true;
            say(form.getAttribute("data-thanks"));
          }
        })
        .catch(function () {
          say(form.getAttribute("data-error"), true);
        })
        .then(function () {
          busy = false;
          submitter.disabled = false;
        });
    });
  }

  // Table of contents: mark the heading being read.
  function initToc() {
    var links = document.querySelectorAll(".toc a[href^='#']");
    if (!links.length || !("IntersectionObserver" in window)) return;
    var byId = {};
    links.forEach(function (link) {
      var id = decodeURIComponent(link.getAttribute("href").slice(1));
      (byId[id] = byId[id] || []).push(link);
    });
    var headings = Object.keys(byId)
      .map(function (id) { return document.getElementById(id); })
      .filter(Boolean);
    var visible = new Set();

    function mark() {
      var current = null;
      headings.forEach(function (heading) {
        if (visible.has(heading) && current === null) current = heading;
      });
      if (current === null) {
        // Between headings: the last one scrolled past is the section being read.
        headings.forEach(function (heading) {
          if (heading.getBoundingClientRect().top < 120) current = heading;
        });
      }
      links.forEach(function (link) { link.removeAttribute("aria-current"); });
      if (current) byId[current.id].forEach(function (link) { link.setAttribute("aria-current", "true"); });
    }

    var observer = new IntersectionObserver(function (entries) {
      entries.forEach(function (entry) {
        if (entry.isIntersecting) visible.add(entry.target);
        else visible.delete(entry.target);
      });
      mark();
    }, { rootMargin: "-70px 0px -55% 0px" });
    headings.forEach(function (heading) { observer.observe(heading); });

    // On phones, close the inline contents once a heading was chosen.
    document.querySelectorAll(".toc-inline details").forEach(function (details) {
      details.addEventListener("click", function (event) {
        if (event.target.closest("a")) details.open = false;
      });
    });
  }

  // Search results: report which result was opened, as a beacon so following the link never waits for it.
  function initClickLog(form) {
    var log = form.querySelector("input[name=log]");
    var token = form.querySelector("input[name=csrfmiddlewaretoken]");
    if (!log || !log.value || !token || !navigator.sendBeacon) return;
    function report(event) {
      if (event.type === "auxclick" && event.button !== 1) return;
      var link = event.target.closest("a[data-article][data-rank]");
      if (!link) return;
      var body = new FormData();
      body.append("csrfmiddlewaretoken", token.value);
      body.append("log", log.value);
      body.append("article", link.getAttribute("data-article"));
      body.append("rank", link.getAttribute("data-rank"));
      navigator.sendBeacon(form.action, body);
    }
    document.addEventListener("click", report);
    document.addEventListener("auxclick", report);
  }

  // As-you-type suggestions: titles of the best matches once 2 Chinese characters or 3 letters are typed.
  var SUGGEST_URL = "/api/v1/search/suggest/";
  var CJK = /[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]/g;
  var LATIN = /[A-Za-z0-9]/g;
  var suggestCount = 0;

  function longEnough(text) {
    return (text.match(CJK) || []).length >= 2 || (text.match(LATIN) || []).length >= 3;
  }

  // Calls show(titles) `delay` ms after typing stops (show([]) while the text is too short); a newer lookup cancels
  // an older one still under way. Shared by the search boxes and the ticket form (`mode`: the endpoint's mode).
  function watchSuggestions(input, delay, show, mode) {
    var timer = null;
    var pending = null;

    function lookup() {
      var text = input.value.trim();
      if (!longEnough(text)) return show([]);
      if (pending) pending.abort();
      pending = new AbortController();
      var url = SUGGEST_URL + "?q=" + encodeURIComponent(text) + "&lang=" + encodeURIComponent(document.documentElement.lang);
      if (mode) url += "&mode=" + encodeURIComponent(mode);
      fetch(url, { headers: { Accept: "application/json" }, signal: pending.signal, credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.json() : { suggestions: [] }; })
        .then(function (data) { if (input.value.trim() === text) show(data.suggestions || []); })
        .catch(function () {});
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(lookup, delay);
    });
    return lookup;
  }

  // Ticket form: while the subject is typed, list help-center articles that may already answer it. Subjects are
  // sentences ("deposit not arrived after 2 hours"), so the endpoint ranks whole articles, not title prefixes.
  function initTicketSuggestions(box, index) {
    var input = document.getElementById(box.getAttribute("data-for"));
    var list = box.querySelector("ul");
    if (!input || !list || !window.fetch) return;
    box.id = box.id || "ticket-suggestions-" + index;
    input.setAttribute("aria-describedby", ((input.getAttribute("aria-describedby") || "") + " " + box.id).trim());
    var lookup = watchSuggestions(input, 250, function (items) {
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
    }, "ticket");
    if (input.value.trim()) lookup();
  }

  function initSuggest(input) {
    var form = input.form;
    if (!form || !window.fetch) return;
    var id = "suggestions-" + ++suggestCount;
    var list = document.createElement("ul");
    list.id = id;
    list.className = "suggestions";
    list.setAttribute("role", "listbox");
    list.hidden = true;
    form.appendChild(list);
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-controls", id);
    input.setAttribute("aria-expanded", "false");
    var active = -1;

    function close() {
      list.hidden = true;
      list.textContent = "";
      active = -1;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
    }

    function show(items) {
      list.textContent = "";
      active = -1;
      items.forEach(function (item, index) {
        var li = document.createElement("li");
        li.id = id + "-" + index;
        li.setAttribute("role", "option");
        var link = document.createElement("a");
        link.href = item.url;
        link.textContent = item.title;
        link.tabIndex = -1;
        li.appendChild(link);
        list.appendChild(li);
      });
      list.hidden = items.length === 0;
      input.setAttribute("aria-expanded", items.length ? "true" : "false");
    }

    function move(step) {
      var options = list.querySelectorAll("[role=option]");
      if (!options.length) return;
      if (active >= 0) options[active].removeAttribute("aria-selected");
      active = (active + step + options.length) % options.length;
      options[active].setAttribute("aria-selected", "true");
      input.setAttribute("aria-activedescendant", options[active].id);
    }

    watchSuggestions(input, 200, function (items) {
      if (items.length) show(items);
      else close();
    });
    input.addEventListener("keydown", function (event) {
      if (list.hidden) return;
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        move(event.key === "ArrowDown" ? 1 : -1);
      } else if (event.key === "Enter" && active >= 0) {
        event.preventDefault();
        window.location.href = list.querySelectorAll("[role=option] a")[active].href;
      } else if (event.key === "Escape") {
        close();
      }
    });
    input.addEventListener("blur", function () { setTimeout(close, 150); });
  }

  // Site banners: the close button (hidden without JavaScript) hides a banner on every page until the announcement
  // changes, because the remembered key is its slug and update time.
  var DISMISSED_KEY = "hd:dismissed-banners";
  var DISMISSED_KEEP = 20;

  function dismissedBanners() {
    try {
      var keys = JSON.parse(window.localStorage.getItem(DISMISSED_KEY));
      return Array.isArray(keys) ? keys : [];
    } catch (error) {
      return []; // storage blocked or unreadable: every banner shows
    }
  }

  function initBanner(banner) {
    var key = banner.getAttribute("data-banner");
    if (dismissedBanners().indexOf(key) !== -1) {
      banner.hidden = true;
      return;
    }
    var button = banner.querySelector("[data-banner-close]");
    if (!button) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      banner.hidden = true;
      var keys = dismissedBanners().filter(function (other) { return other !== key; });
      keys.push(key);
      try {
        window.localStorage.setItem(DISMISSED_KEY, JSON.stringify(keys.slice(-DISMISSED_KEEP)));
      } catch (error) {
        // Not remembered: the banner shows again on the next page.
      }
      var main = document.getElementById("main");
      if (main) main.focus({ preventScroll: true });
    });
  }

  // The error summary's links move the focus into the field they name, not only the scroll position.
  function initErrorSummary(summary) {
    summary.addEventListener("click", function (event) {
      var link = event.target.closest("a[href^='#']");
      var field = link && document.getElementById(link.getAttribute("href").slice(1));
      if (!field) return;
      event.preventDefault();
      field.focus();
      field.scrollIntoView({ block: "center" });
    });
  }

  // Copy buttons (hidden without JavaScript): copy the named field's text and say "Copied". Where the clipboard API
  // is missing (plain http, older browsers) or refused, the text is selected and the older copy command tried; if
  // that fails too, the selection stays for the device's own copy menu.
  function initCopy(button) {
    var field = document.getElementById(button.getAttribute("data-copy"));
    if (!field) return;
    var status = button.parentNode.querySelector(".copy-status");
    var timer = null;

    function say(text, done) {
      if (status) status.textContent = text;
      clearTimeout(timer);
      // "Copied" goes after a while, so a second copy is announced again; the advice to copy by hand stays.
      if (done) timer = setTimeout(function () { if (status) status.textContent = ""; }, 4000);
    }

    function select() {
      field.focus();
      field.select();
      field.setSelectionRange(0, field.value.length); // iOS selects nothing with select() alone
    }

    function fallback() {
      select();
      var copied = false;
      try {
        copied = document.execCommand("copy");
      } catch (error) {
        copied = false;
      }
      if (copied) say(button.getAttribute("data-copied"), true);
      else say(button.getAttribute("data-select"), false);
    }

    button.hidden = false;
    field.addEventListener("focus", function () { field.select(); });
    button.addEventListener("click", function () {
      if (!navigator.clipboard || !window.isSecureContext) return fallback();
      navigator.clipboard.writeText(field.value).then(function () {
        say(button.getAttribute("data-copied"), true);
      }, fallback);
    });
  }

  function init() {
    document.querySelectorAll("[data-banner]").forEach(initBanner);
    document.querySelectorAll("[data-error-summary]").forEach(initErrorSummary);
    document.querySelectorAll("input[data-suggest]").forEach(initSuggest);
    document.querySelectorAll("[data-ticket-suggestions]").forEach(initTicketSuggestions);
    document.querySelectorAll("form[data-feedback]").forEach(initFeedback);
    document.querySelectorAll("form[data-click-log]").forEach(initClickLog);
    document.querySelectorAll("button[data-copy]").forEach(initCopy);
    initToc();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
