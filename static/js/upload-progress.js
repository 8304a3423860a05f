// The CSV upload's page follows its checking and filing (issue 15): while the worker runs, it asks the
// progress URL every two seconds and moves the bar (a class per 5 %: the CSP allows no inline style) and
// its text; when the step ends it reloads the page, which then shows the report, the summary or the
// notices filed. Polling stops after 30 minutes and while the tab is hidden. Texts come from data- attributes.
(function () {
  "use strict";
  var DELAY_MS = 2000, GIVE_UP_MS = 30 * 60 * 1000;
  var started = Date.now(), timer = null;

  function root() { return document.getElementById("upload-progress"); }

  function show(state) {
    var bar = document.querySelector("#upload-bar .progress-bar");
    var holder = document.getElementById("upload-bar");
    if (bar) {
      bar.className = bar.className.replace(/\bupload-bar-\d+\b/, "upload-bar-" + state.step);
    }
    if (holder) { holder.setAttribute("aria-valuenow", String(state.percent)); }
    var page = root();
    var filing = state.status === "filing" || state.status === "filed";
    var text = (filing ? page.dataset.textFiling : page.dataset.textChecking) || "";
    var count = document.getElementById("upload-count");
    if (count) { count.textContent = text.replace("{done}", state.done).replace("{total}", state.total); }
    var label = document.getElementById("upload-status");
    if (label) { label.textContent = state.status_label; }
  }

  function schedule() {
    var page = root();
    if (!page || page.dataset.running !== "true" || Date.now() - started > GIVE_UP_MS) { return; }
    timer = window.setTimeout(poll, DELAY_MS);
  }

  function poll() {
    timer = null;
    var page = root();
    if (!page) { return; }
    if (document.visibilityState === "hidden") { return; }  // resumed by visibilitychange
    fetch(page.dataset.progressUrl, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) { if (!response.ok) { throw new Error(response.status); } return response.json(); })
      .then(function (state) {
        show(state);
        if (state.status !== page.dataset.status) { window.location.reload(); return; }
        schedule();
      })
      .catch(function () { schedule(); });  // a hiccup (server restarting, network): try again later
  }

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible" && timer === null) { poll(); }
  });
  schedule();
})();
