/* The entry page's counter "12/34 tiêu chí đã trả lời" in the sticky bar (#entry-bar): recounted
 * on every change of a criterion's buttons (a group counts once one of its real answers, not
 * "Chưa đánh giá", is checked). The server renders the same count, so it is right without script. */
(function () {
  "use strict";
  var form = document.getElementById("assessment-form");
  var out = form && form.querySelector("[data-answered]");
  if (!out) return;

  function recount() {
    var answered = {};
    form.querySelectorAll('input[type="radio"][name^="value-"]').forEach(function (radio) {
      if (radio.checked && radio.value) answered[radio.name] = true;
    });
    out.textContent = String(Object.keys(answered).length);
  }

  form.addEventListener("change", function (event) {
    if (event.target.name && event.target.name.indexOf("value-") === 0) recount();
  });
})();
