// The "Copy" button beside an API key or a webhook secret shown once (organisations' private page, issue 15).
// A static file: the pages' Content-Security-Policy allows no inline script. Without JavaScript, or where the
// clipboard is refused (plain http outside localhost), the field is selected for the user to copy by hand.
(function () {
  "use strict";
  function selectField(field) {
    field.focus();
    field.select();
  }
  document.querySelectorAll("[data-copy-target]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var field = document.getElementById(button.getAttribute("data-copy-target"));
      var status = document.getElementById(button.getAttribute("data-copy-status"));
      if (!field) {
        return;
      }
      var done = function () {
        if (status) {
          status.textContent = button.getAttribute("data-copied");
        }
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(field.value).then(done, function () { selectField(field); });
      } else {
        selectField(field);
      }
    });
  });
})();
