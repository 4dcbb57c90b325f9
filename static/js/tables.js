/* Phones show each .table as a stack of cards (static/css/antt.css): the CSS display change makes
 * browsers drop the table's semantics, so screen readers would hear loose text. The roles are put
 * back here, once, for every table that stacks (not .table-scroll, which keeps its columns). */
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
  document.querySelectorAll("table.table:not(.table-scroll)").forEach(function (table) {
    ROLES.forEach(function (pair) {
      var elements = pair[0] ? table.querySelectorAll(pair[0]) : [table];
      Array.prototype.forEach.call(elements, function (element) {
        if (element.closest("table") === table && !element.hasAttribute("role")) element.setAttribute("role", pair[1]);
      });
    });
  });
})();
