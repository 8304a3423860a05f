// The tracking page follows a running step by itself (issue 13, item 12): while routing, a removal or an
// e-mail is under way, it asks state.json (a few cheap queries) every few seconds and, when the version
// changes, swaps in the page's new content. Nothing the submitter is typing is replaced: with a form
// touched, a notice offers the reload instead. Polling stops when no step runs, after 15 minutes, and
// while the tab is hidden. The texts come from data- attributes (translated by the template).
(function () {
  "use strict";
  var FIRST_DELAY_MS = 2000, MAX_DELAY_MS = 30000, GIVE_UP_MS = 15 * 60 * 1000;
  var started = Date.now(), delay = FIRST_DELAY_MS, timer = null;

  function root() { return document.getElementById("tracking"); }

  function typing() {
    var fields = document.querySelectorAll("#main form input, #main form textarea, #main form select");
    for (var i = 0; i < fields.length; i++) {
      var field = fields[i];
      if (field.type === "hidden" || field.type === "submit") { continue; }
      if (field.type === "checkbox" || field.type === "radio") {
        if (field.checked !== field.defaultChecked) { return true; }
      } else if (field.type === "file") {
        if (field.files && field.files.length) { return true; }
      } else if (field.tagName === "SELECT") {
        for (var j = 0; j < field.options.length; j++) {
          if (field.options[j].selected !== field.options[j].defaultSelected) { return true; }
        }
      } else if (field.value !== field.defaultValue) { return true; }
    }
    var active = document.activeElement;
    return !!(active && active.closest && active.closest("#main form"));
  }

  function announce(text) {
    var status = document.getElementById("tracking-status");
    if (status) { status.textContent = text; }
  }

  function offerReload(page) {
    var news = document.getElementById("tracking-news");
    if (!news) { return; }
    news.hidden = false;
    announce(page.dataset.textNews);
  }

  function swapIn(html) {
    var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("main");
    var main = document.getElementById("main");
    if (!fresh || !main) { return false; }
    main.innerHTML = fresh.innerHTML;
    var page = root();
    if (page) { announce(page.dataset.textUpdated); }
    return true;
  }

  function schedule() {
    var page = root();
    if (!page || page.dataset.running !== "true" || Date.now() - started > GIVE_UP_MS) { return; }
    timer = window.setTimeout(poll, delay);
    delay = Math.min(delay * 1.5, MAX_DELAY_MS);
  }

  function poll() {
    timer = null;
    var page = root();
    if (!page) { return; }
    if (document.visibilityState === "hidden") { return; }  // resumed by visibilitychange
    fetch(page.dataset.stateUrl, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) { if (!response.ok) { throw new Error(response.status); } return response.json(); })
      .then(function (state) {
        if (state.version === page.dataset.version) {
          page.dataset.running = state.running ? "true" : "false";
          return schedule();
        }
        if (typing()) { return offerReload(page); }
        return fetch(window.location.pathname, { credentials: "same-origin", cache: "no-store" })
          .then(function (response) { if (!response.ok) { throw new Error(response.status); } return response.text(); })
          .then(function (html) { if (swapIn(html)) { delay = FIRST_DELAY_MS; schedule(); } });
      })
      .catch(function () { schedule(); });  // a hiccup (server restarting, network): try again later
  }

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible" && timer === null) { delay = FIRST_DELAY_MS; poll(); }
  });
  document.addEventListener("click", function (event) {
    if (event.target && event.target.id === "tracking-reload") { window.location.reload(); }
  });
  schedule();
})();
