// Progressive enhancement for the notice form: add listing rows, move the focus to the error summary
// after a failed send, and disable the submit button after the first click (the server also refuses a
// second notice from one form). Its texts come translated from the form's data-text-* attributes.
(function () {
  "use strict";
  var summary = document.getElementById("form-errors-heading");
  if (summary) { summary.focus(); }
  var form = document.getElementById("notice-form");
  if (!form) { return; }
  var addButton = document.getElementById("add-item-row");
  var rows = document.getElementById("item-rows");
  var template = document.getElementById("item-row-template");
  var total = form.querySelector("input[name='items-TOTAL_FORMS']");
  var maxRows = parseInt(form.querySelector("input[name='items-MAX_NUM_FORMS']").value, 10);
  if (addButton) {
    addButton.addEventListener("click", function () {
      var index = parseInt(total.value, 10);
      if (index >= maxRows) { return; }
      var html = template.innerHTML.replace(/__prefix__/g, String(index)).replace(/__number__/g, String(index + 1));
      rows.insertAdjacentHTML("beforeend", html);
      total.value = String(index + 1);
    });
  }
  function text(name, values) {
    var result = form.getAttribute("data-text-" + name) || "";
    Object.keys(values || {}).forEach(function (key) { result = result.split("{" + key + "}").join(values[key]); });
    return result;
  }
  // The server refuses a body over data-max-body before reading it, and so cannot keep what was
  // typed: files that could not fit are caught here, before anything is sent or lost.
  var maxBody = parseInt(form.getAttribute("data-max-body") || "0", 10);
  function attachedBytes() {
    var bytes = 0;
    form.querySelectorAll("input[type='file']").forEach(function (input) {
      Array.prototype.forEach.call(input.files || [], function (file) { bytes += file.size; });
    });
    return bytes;
  }
  function megabytes(bytes) {
    var size = (bytes / 1048576).toLocaleString(document.documentElement.lang || undefined,
      { minimumFractionDigits: 1, maximumFractionDigits: 1 });
    return text("megabytes", { size: size });
  }
  form.addEventListener("submit", function (event) {
    // Switching the page language re-shows the form with what was typed; chosen files are not kept
    // (the page says so), so they are not uploaded either, and the send button stays as it is.
    if (event.submitter && event.submitter.name === "switch_language") {
      form.querySelectorAll('input[type="file"]').forEach(function (input) { input.disabled = true; });
      return;
    }
    var attached = attachedBytes();
    var warning = document.getElementById("upload-too-large");
    if (maxBody && attached > maxBody - 1048576) {
      event.preventDefault();
      warning.textContent = text("too-large", { attached: megabytes(attached), limit: megabytes(maxBody - 1048576) });
      warning.hidden = false;
      warning.scrollIntoView();
      return;
    }
    var button = document.getElementById("submit-notice");
    if (button) { button.disabled = true; button.textContent = text("sending"); }
  });
})();
