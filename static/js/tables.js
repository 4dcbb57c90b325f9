/* Tables (static/css/antt.css):
 * - Phones show a .table-stack as a stack of cards. That CSS display change makes browsers drop
 *   the table's semantics, so screen readers would hear loose text: the roles are put back here.
 * - A .table-wrap whose table is wider than the screen (a phone, a tablet) scrolls
 *   sideways: while it does, it is a focusable region named after its table (tabindex="0",
 *   role="region", aria-label), so keyboard users can scroll it too (WCAG 2.1.1). */
(function () {
  "use strict";
  var ROLES = [
    ["", "table"],
    ["thead, tbody, tfoot", "rowgroup"],
    ["tr", "row"],
    ["thead th", "columnheader"],
    ["tbody th, tfoot th", "rowheader"],
    ["td", "cell"]
  ];
  document.querySelectorAll("table.table-stack").forEach(function (table) {
    ROLES.forEach(function (pair) {
      var elements = pair[0] ? table.querySelectorAll(pair[0]) : [table];
      Array.prototype.forEach.call(elements, function (element) {
        if (element.closest("table") === table && !element.hasAttribute("role")) element.setAttribute("role", pair[1]);
      });
    });
  });

  function text(element) {
    return element ? element.textContent.replace(/\s+/g, " ").trim() : "";
  }

  function nameOf(wrap) {
    var table = wrap.querySelector("table");
    var box = wrap.closest("section, .card, fieldset");
    return text(table && table.querySelector("caption")) ||
      text(box && box.querySelector("h2, h3, legend")) ||
      text(document.querySelector("h1"));
  }

  var wraps = Array.prototype.slice.call(document.querySelectorAll(".table-wrap"));
  var added = new Map(); // wrap → the attributes set here (those the markup set stay)
  function update() {
    wraps.forEach(function (wrap) {
      var scrolls = wrap.scrollWidth > wrap.clientWidth + 1;
      if (scrolls && !added.has(wrap)) {
        var names = [];
        [["tabindex", "0"], ["role", "region"], ["aria-label", null]].forEach(function (pair) {
          if (wrap.hasAttribute(pair[0])) return;
          wrap.setAttribute(pair[0], pair[1] === null ? nameOf(wrap) : pair[1]);
          names.push(pair[0]);
        });
        added.set(wrap, names);
      } else if (!scrolls && added.has(wrap)) {
        added.get(wrap).forEach(function (name) { wrap.removeAttribute(name); });
        added.delete(wrap);
      }
    });
  }
  update();
  var pending = null;
  window.addEventListener("resize", function () {
    if (pending) window.cancelAnimationFrame(pending);
    pending = window.requestAnimationFrame(update);
  });
})();
