// Collapsible top bar on phones: the menu button shows/hides the navigation.
// Without JavaScript the navigation simply stays open (the .js class is never set).
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  // File boxes (antt/web/forms.FileInput): show the chosen file's name beside the button.
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.classList || !input.classList.contains("file-input")) return;
    var name = input.parentNode.querySelector(".file-name");
    if (!name) return;
    var files = Array.prototype.map.call(input.files || [], function (f) { return f.name; });
    name.textContent = files.length ? files.join(", ") : name.getAttribute("data-empty");
  });
  document.addEventListener("DOMContentLoaded", function () {
    var bar = document.querySelector(".topbar");
    var button = bar && bar.querySelector(".nav-toggle");
    if (!button) return;
    button.addEventListener("click", function () {
      var open = bar.classList.toggle("nav-open");
      button.setAttribute("aria-expanded", open ? "true" : "false");
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && bar.classList.contains("nav-open")) {
        bar.classList.remove("nav-open");
        button.setAttribute("aria-expanded", "false");
        button.focus();
      }
    });
  });
})();
