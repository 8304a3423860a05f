// Progressive enhancement for the notice form: add listing rows, and disable the submit
// button after the first click (the server also refuses a second notice from one form).
(function () {
  "use strict";
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
  form.addEventListener("submit", function () {
    var button = document.getElementById("submit-notice");
    if (button) { button.disabled = true; button.textContent = "Sending…"; }
  });
})();
