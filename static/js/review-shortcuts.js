// Keyboard shortcuts on the reviewer's notice page (documented on the page, "Keyboard shortcuts").
// Additive only: every decision can still be made with the menus and buttons, and no key fires
// while the reviewer types in a field or holds Ctrl, Alt or Meta. Loaded from /static/ (the
// Content-Security-Policy allows no inline script). Announces what it did through #shortcut-status,
// in the page's own words (the listing's heading and the chosen option's text), so no text lives here.
(function () {
  "use strict";
  var form = document.getElementById("decide-form");
  if (!form) { return; }
  var listings = Array.prototype.slice.call(document.querySelectorAll(".review-listing"));
  var help = document.getElementById("shortcuts-help");
  var status = document.getElementById("shortcut-status");
  var current = -1;

  function typing(target) {
    if (!target || !target.tagName) { return false; }
    var tag = target.tagName.toLowerCase();
    return tag === "input" || tag === "textarea" || tag === "select" || target.isContentEditable;
  }

  function announce(text) {
    if (status) { status.textContent = text; }
  }

  function heading(listing) {
    var title = listing.querySelector("h3");
    return title ? title.textContent.replace(/\s+/g, " ").trim() : "";
  }

  function go(step) {
    if (!listings.length) { return; }
    current = Math.max(0, Math.min(listings.length - 1, current + step));
    listings.forEach(function (listing, index) { listing.classList.toggle("border-primary", index === current); });
    listings[current].focus();
    listings[current].scrollIntoView({block: "nearest"});
  }

  function undecided() {
    if (current < 0) { go(1); }
    return current >= 0 ? listings[current] : null;
  }

  function choose(action) {
    var listing = undecided();
    var select = listing && listing.querySelector("select[name$='-action']");
    if (!select) { return; }
    select.value = action;
    select.dispatchEvent(new Event("change", {bubbles: true}));
    var option = select.options[select.selectedIndex];
    announce(heading(listing) + ": " + (option ? option.text : action));
  }

  function reasonCode() {
    var listing = undecided();
    var select = listing && listing.querySelector("select[name$='-reason_code']");
    if (select) { select.focus(); }
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.altKey || event.metaKey || typing(event.target)) { return; }
    var handled = true;
    switch (event.key) {
      case "j": go(1); break;
      case "k": go(-1); break;
      case "r": choose("remove"); break;
      case "x": choose("reject"); break;
      case "a": choose("ask"); break;
      case "c": reasonCode(); break;
      case "?": if (help) { help.open = !help.open; } break;
      default: handled = false;
    }
    if (handled) { event.preventDefault(); }
  });
}());
