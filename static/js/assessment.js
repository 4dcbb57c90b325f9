// Assessment entry page: save one row (or the figures / the dossier) as soon as it changes,
// without reloading. The page is a normal form: without JavaScript the "Save" button posts
// everything and the server redirects back.
//
// Protocol (certification:assessment-save): POST the row's fields plus "version" and
// "only" (= the answer id, "figures" or "dossier") with Accept: application/json.
//   200 {"ok": true, "version": n, "message": "Đã lưu"}
//   409 {"ok": false, "conflict": true, "message": "...", "version": n}  someone else saved
//   400 {"ok": false, "message": "..."}                                   refused
// Saves go out one at a time, each with the version the previous one returned: a quick
// tapper (or a slow phone line) never gets a conflict with their own earlier save. A row
// already waiting in the queue is not queued twice; it sends its latest values when its turn
// comes. "Đã lưu" appears only when nothing was edited in the row after its values were sent
// (a date saved while the chair's name is still being typed is not "saved").
// Also: forms with data-once are submitted only once (double click), and
// [data-check-all=name] ticks every checkbox of that name.
(function () {
  "use strict";

  function rowFields(container) {
    return container.querySelectorAll("input, textarea, select");
  }

  function edits(container) {
    return Number(container.dataset.edits || 0);
  }

  function edited(container) {
    container.dataset.edits = String(edits(container) + 1);
  }

  function collect(container, only, form) {
    var data = new FormData();
    data.append("csrfmiddlewaretoken", form.querySelector("[name=csrfmiddlewaretoken]").value);
    data.append("version", form.querySelector("#assessment-version").value);
    data.append("only", only);
    rowFields(container).forEach(function (field) {
      if (!field.name || field.disabled) return;
      if ((field.type === "radio" || field.type === "checkbox") && !field.checked) return;
      data.append(field.name, field.value);
    });
    return data;
  }

  function setState(container, text, kind) {
    var state = container.querySelector(".save-state");
    if (!state) return;
    state.textContent = text;
    state.classList.remove("saved", "error");
    if (kind) state.classList.add(kind);
  }

  function showConflict(message) {
    var box = document.getElementById("conflict-message");
    if (!box) return;
    box.querySelector(".text").textContent = message;
    box.hidden = false;
    box.scrollIntoView({ behavior: "smooth", block: "center" });
  }

  var queue = Promise.resolve();

  function save(form, container, only) {
    setState(container, form.dataset.textSaving, null);
    if (container.dataset.queued) return;
    container.dataset.queued = "1";
    queue = queue.then(function () {
      delete container.dataset.queued;
      return send(form, container, only);
    });
  }

  function send(form, container, only) {
    var texts = form.dataset;
    var sent = edits(container);
    return fetch(form.action, {
      method: "POST",
      body: collect(container, only, form),
      headers: { Accept: "application/json", "X-Requested-With": "fetch" },
      credentials: "same-origin",
    })
      .then(function (response) {
        return response.json().then(function (body) {
          return { status: response.status, body: body };
        });
      })
      .then(function (result) {
        var body = result.body;
        if (body.ok) {
          form.querySelector("#assessment-version").value = body.version;
          // Edited meanwhile: the save that follows will report.
          if (edits(container) === sent) setState(container, body.message || texts.textSaved, "saved");
        } else if (body.conflict) {
          setState(container, texts.textFailed, "error");
          showConflict(body.message);
        } else {
          setState(container, body.message || texts.textFailed, "error");
        }
      })
      .catch(function () {
        setState(container, texts.textFailed, "error");
      });
  }

  function debounce(fn, ms) {
    var timer;
    return function () {
      clearTimeout(timer);
      timer = setTimeout(fn, ms);
    };
  }

  function watch(form, container, only) {
    var later = debounce(function () {
      save(form, container, only);
    }, 700);
    container.addEventListener("change", function (event) {
      edited(container);
      if (event.target.type === "radio" || event.target.type === "date" || event.target.tagName === "SELECT") {
        save(form, container, only);
      } else {
        later();
      }
    });
    container.addEventListener("input", function (event) {
      if (event.target.tagName === "TEXTAREA" || event.target.type === "text" || event.target.type === "number") {
        edited(container);
        setState(container, "", null);
        later();
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("assessment-form");
    if (form && window.fetch && window.FormData) {
      form.querySelectorAll("[data-row]").forEach(function (row) {
        watch(form, row, row.dataset.row);
      });
      form.querySelectorAll("fieldset[data-section]").forEach(function (section) {
        if (!section.disabled) watch(form, section, section.dataset.section);
      });
    }
    document.querySelectorAll("form[data-once]").forEach(function (once) {
      once.addEventListener("submit", function (event) {
        // A draft preview opens in another tab and changes nothing: the form stays usable.
        if (event.submitter && event.submitter.name === "preview") return;
        if (once.dataset.sent) {
          event.preventDefault();
          return;
        }
        once.dataset.sent = "1";
        once.querySelectorAll("button[type=submit]").forEach(function (b) {
          b.setAttribute("aria-disabled", "true");
        });
      });
    });
    document.querySelectorAll("[data-check-all]").forEach(function (button) {
      button.addEventListener("click", function () {
        document.querySelectorAll("input[type=checkbox][name=" + button.dataset.checkAll + "]").forEach(function (box) {
          box.checked = true;
        });
      });
    });
  });
})();
