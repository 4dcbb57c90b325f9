// Progress bars for long jobs. Contract: templates/includes/progress.html.
// Every .progress-box[data-progress-url] polls its JSON URL once a second:
//   {"percent": 40, "status": "queued|running|done|failed", "done": 4, "total": 10,
//    "message": "…", "redirect": "/url/"}
// and stops when the job is done (redirect, data-done-url, or reload) or failed.
(function () {
  "use strict";
  var INTERVAL = 1000;

  function text(box, state, percent) {
    var template = box.getAttribute("data-text-" + state) || box.getAttribute("data-text-running") || "";
    return template.replace("{percent}", String(percent));
  }

  function update(box, data) {
    var percent = Math.max(0, Math.min(100, Math.round(Number(data.percent) || 0)));
    var state = data.status || "running";
    var bar = box.querySelector("progress");
    var label = box.querySelector(".progress-label");
    var count = box.querySelector(".progress-count");
    var message = box.querySelector(".progress-message");
    if (bar) { bar.value = percent; bar.textContent = percent + "%"; }
    if (label) label.textContent = text(box, state, percent);
    if (count && data.total) count.textContent = (data.done || 0) + " / " + data.total;
    if (message) {
      message.textContent = data.message || "";
      message.hidden = !data.message;
    }
    box.setAttribute("data-state", state);
    box.classList.toggle("is-failed", state === "failed");
    return state;
  }

  function poll(box) {
    var url = box.getAttribute("data-progress-url");
    var failures = 0;
    function tick() {
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin", cache: "no-store" })
        .then(function (response) {
          if (!response.ok) throw new Error(String(response.status));
          return response.json();
        })
        .then(function (data) {
          failures = 0;
          var state = update(box, data);
          if (state === "done") {
            var target = data.redirect || box.getAttribute("data-done-url");
            window.setTimeout(function () {
              if (target) window.location.assign(target); else window.location.reload();
            }, 400);
          } else if (state !== "failed") {
            window.setTimeout(tick, INTERVAL);
          }
        })
        .catch(function () {
          // Network hiccup or server restart: keep trying, slower.
          failures += 1;
          window.setTimeout(tick, Math.min(10000, INTERVAL * (1 + failures)));
        });
    }
    tick();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var boxes = document.querySelectorAll(".progress-box[data-progress-url]");
    Array.prototype.forEach.call(boxes, function (box) {
      var state = box.getAttribute("data-state");
      if (box.getAttribute("data-progress-url") && state !== "done" && state !== "failed") poll(box);
    });
  });
})();
