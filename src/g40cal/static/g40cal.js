// Progressive enhancement only: every page works without this script.
// Adds a "copy" button next to each feed address and selects the address on focus.
(function () {
  "use strict";
  function copyText(input, status) {
    function done(ok) {
      status.textContent = ok
        ? "Adres gekopieerd. Plak het in uw agenda-app."
        : "Kopiëren lukte niet: selecteer het adres en kopieer het zelf.";
    }
    input.focus();
    input.select();
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(
        function () { done(true); },
        function () { done(document.execCommand && document.execCommand("copy")); });
    } else {
      done(document.execCommand && document.execCommand("copy"));
    }
  }
  var buttons = document.querySelectorAll("[data-copy-target]");
  Array.prototype.forEach.call(buttons, function (button) {
    var input = document.getElementById(button.getAttribute("data-copy-target"));
    var field = button.closest(".url-field");
    var status = field ? field.querySelector(".copy-status") : null;
    if (!input || !status) { return; }
    button.hidden = false;
    button.addEventListener("click", function () { copyText(input, status); });
    input.addEventListener("focus", function () { input.select(); });
  });
}());
