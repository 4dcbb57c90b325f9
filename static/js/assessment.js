// Assessment entry page: every change is kept in this browser until the server has it.
// The page is a normal form: without JavaScript the "Save" button posts everything and the
// server redirects back.
//
// Items: each criterion row ([data-row] = the answer's id), the figures and the dossier
// (fieldset[data-section]). An edit of an item is written at once to localStorage under
// "antt:pending:<user>:<assessment>:<item>" as {seq, base, rev, fields}: `fields` are the item's
// inputs, `base` the version of the record the user last saw the item at. Saving never depends
// on timing: typing sends after a pause, a change (radio, date, leaving a field) sends at once,
// an edit made before this script ran is found by comparing each field with the page's value,
// and leaving the page (a link, another form, "Save") first sends what waits.
//
// Protocol (certification:assessment-save): POST the item's fields, "version" (= its base) and
// "only" (= the item) with Accept: application/json.
//   200 {"ok": true, "version": n, "message": "Đã lưu"}
//   409 {"ok": false, "conflict": true, "message": "..."}   someone changed the same item since
//   400 {"ok": false, "message": "..."}                     refused (the reason is shown)
// Anything else (no network, a timeout, a server error, an ended session) keeps the item and
// tries again: at once when the browser is back online, else after 2, 4 … 30 s. Items go out
// one at a time, oldest first. The status bar (#save-bar, aria-live) says how many wait and
// why; leaving the page while some wait asks first (beforeunload).
// Also: forms with data-once are submitted only once (double click), and
// [data-check-all=name] ticks every checkbox of that name.
(function () {
  "use strict";

  var PREFIX = "antt:pending:";
  var TYPING_PAUSE_MS = 700;
  var TIMEOUT_MS = 20000;
  var FIRST_RETRY_MS = 2000;
  var LAST_RETRY_MS = 30000;

  var form, texts, versionInput, bar;
  var items = {}; // id -> {id, container, base}
  var pending = {}; // id -> {seq, base, rev, fields}
  var busy = false;
  var retryTimer = null;
  var retryDelay = FIRST_RETRY_MS;
  var trouble = null; // null | "network" | "session"
  var waiters = [];
  var lastSeq = 0;
  var touched = false;

  // --- storage -----------------------------------------------------------------------------

  function keyPrefix() {
    return PREFIX + form.dataset.user + ":" + form.dataset.assessment + ":";
  }

  function store(id) {
    try {
      if (pending[id]) localStorage.setItem(keyPrefix() + id, JSON.stringify(pending[id]));
      else localStorage.removeItem(keyPrefix() + id);
    } catch (e) {
      // Private mode or a full storage: the changes still wait in this page.
    }
  }

  function loadStored() {
    var prefix = keyPrefix();
    try {
      var keys = [];
      for (var i = 0; i < localStorage.length; i++) {
        var key = localStorage.key(i);
        if (key && key.indexOf(prefix) === 0) keys.push(key);
      }
      keys.forEach(function (key) {
        var entry = JSON.parse(localStorage.getItem(key));
        if (entry && entry.fields) {
          pending[key.slice(prefix.length)] = entry;
          lastSeq = Math.max(lastSeq, entry.seq || 0);
        }
      });
    } catch (e) {
      // Unreadable storage: nothing to restore.
    }
  }

  function count() {
    return Object.keys(pending).length;
  }

  // --- the fields of an item ---------------------------------------------------------------

  function fieldsOf(container) {
    return Array.prototype.filter.call(container.querySelectorAll("input, textarea, select"), function (field) {
      return field.name && !field.disabled && field.type !== "file" && field.type !== "hidden";
    });
  }

  function snapshot(container) {
    var fields = [];
    fieldsOf(container).forEach(function (field) {
      if ((field.type === "radio" || field.type === "checkbox") && !field.checked) return;
      fields.push([field.name, field.value]);
    });
    return fields;
  }

  function restore(container, fields) {
    var values = {};
    fields.forEach(function (pair) {
      (values[pair[0]] = values[pair[0]] || []).push(pair[1]);
    });
    var seen = {};
    fieldsOf(container).forEach(function (field) {
      var list = values[field.name];
      if (!list) return;
      if (field.type === "radio" || field.type === "checkbox") {
        field.checked = list.indexOf(field.value) !== -1;
        return;
      }
      var i = seen[field.name] || 0;
      seen[field.name] = i + 1;
      if (i < list.length) field.value = list[i];
    });
  }

  // Edited before this script ran (a slow phone): the page's own values differ. The form has
  // autocomplete="off", so the browser never puts back older values on Back or reload (they
  // would be sent over someone else's newer ones).
  function differsFromPage(container) {
    return fieldsOf(container).some(function (field) {
      if (field.type === "radio" || field.type === "checkbox") return field.checked !== field.defaultChecked;
      if (field.tagName === "SELECT") {
        return Array.prototype.some.call(field.options, function (o) {
          return o.selected !== o.defaultSelected;
        });
      }
      return field.value !== field.defaultValue;
    });
  }

  // --- what the user sees ------------------------------------------------------------------

  function setState(item, text, kind) {
    var state = item && item.container.querySelector(".save-state");
    if (!state) return;
    state.textContent = text;
    state.classList.remove("saved", "error", "waiting");
    if (kind) state.classList.add(kind);
  }

  function showConflict(message) {
    var box = document.getElementById("conflict-message");
    if (!box) return;
    box.querySelector(".text").textContent = message;
    box.hidden = false;
    box.scrollIntoView({ behavior: "smooth", block: "center" });
  }

  // What still blocks submission, as the server said after the last save.
  function showMissing(missing) {
    var note = document.getElementById("missing-note");
    if (!note || !Array.isArray(missing)) return;
    note.textContent = missing.length ? note.dataset.label + " " + missing.join(" ") : "";
  }

  function problem(message) {
    var line = bar && bar.querySelector(".save-bar-problem");
    if (line) line.textContent = message;
  }

  function updateBar() {
    if (!bar) return;
    var n = count();
    var text = "";
    if (n) {
      var template = texts.textPendingCount;
      if (trouble === "session") template = texts.textSession;
      else if (trouble === "network") template = navigator.onLine === false ? texts.textOffline : texts.textRetry;
      text = template.replace("{count}", String(n));
    } else if (touched) {
      text = texts.textAllSaved;
    }
    var status = bar.querySelector(".save-bar-status");
    if (status.textContent !== text) status.textContent = text;
    bar.setAttribute("data-state", n ? (trouble ? "waiting" : "sending") : touched ? "saved" : "idle");
    bar.querySelector(".save-bar-now").hidden = !(n && trouble);
  }

  // --- the queue ---------------------------------------------------------------------------

  function edited(item) {
    var entry = pending[item.id];
    if (!entry) {
      lastSeq = Math.max(lastSeq + 1, Date.now());
      entry = pending[item.id] = { seq: lastSeq, base: item.base, rev: 0 };
    }
    entry.fields = snapshot(item.container);
    entry.rev += 1;
    store(item.id);
    touched = true;
    setState(item, texts.textWaiting, "waiting");
    updateBar();
  }

  // The oldest item that waits, but not one still being typed in (its pause sends it).
  function oldest() {
    var best = null;
    Object.keys(pending).forEach(function (id) {
      if (items[id] && items[id].typing) return;
      if (best === null || pending[id].seq < pending[best].seq) best = id;
    });
    return best;
  }

  function settle(allSent) {
    var list = waiters;
    waiters = [];
    list.forEach(function (resolve) {
      resolve(allSent);
    });
  }

  function pump() {
    clearTimeout(retryTimer);
    retryTimer = null;
    if (busy) return;
    var id = oldest();
    if (id === null) {
      updateBar();
      if (!count()) settle(true);
      return;
    }
    busy = true;
    var entry = pending[id];
    var rev = entry.rev;
    setState(items[id], texts.textSaving, null);
    send(id, entry).then(function (result) {
      busy = false;
      handle(id, rev, result);
    });
  }

  function send(id, entry) {
    // Form-encoded, not multipart: a row's few fields, no file (the server parses it ~10× faster).
    var data = new URLSearchParams();
    data.append("csrfmiddlewaretoken", form.querySelector("[name=csrfmiddlewaretoken]").value);
    data.append("version", String(entry.base));
    data.append("only", id);
    entry.fields.forEach(function (pair) {
      data.append(pair[0], pair[1]);
    });
    var controller = window.AbortController ? new AbortController() : null;
    var timer = controller
      ? setTimeout(function () {
          controller.abort();
        }, TIMEOUT_MS)
      : null;
    return fetch(form.action, {
      method: "POST",
      body: data,
      headers: { Accept: "application/json", "X-Requested-With": "fetch" },
      credentials: "same-origin",
      signal: controller ? controller.signal : undefined,
    })
      .then(function (response) {
        clearTimeout(timer);
        var json = (response.headers.get("Content-Type") || "").indexOf("application/json") !== -1;
        if (!json || response.redirected) {
          // The login page (session ended), a CSRF refusal after logging in again elsewhere,
          // a proxy's error page: keep the change; a reload after logging in sends it.
          var session = response.redirected || response.status === 403;
          return { kind: session ? "session" : "network" };
        }
        return response.json().then(function (body) {
          return { kind: body.ok ? "ok" : body.conflict ? "conflict" : "refused", body: body };
        });
      })
      .catch(function () {
        clearTimeout(timer);
        return { kind: "network" };
      });
  }

  function label(id) {
    var item = items[id];
    var code = item && item.container.querySelector(".code");
    return code ? code.textContent + ": " : "";
  }

  function handle(id, rev, result) {
    var item = items[id];
    var entry = pending[id];
    if (result.kind === "ok") {
      var version = result.body.version;
      versionInput.value = version;
      if (item) item.base = version;
      if (entry && entry.rev === rev) delete pending[id];
      else if (entry) entry.base = version; // edited while it was sent: the next send reports
      store(id);
      trouble = null;
      retryDelay = FIRST_RETRY_MS;
      if (!pending[id]) setState(item, result.body.message || texts.textSaved, "saved");
      showMissing(result.body.missing);
      pump();
    } else if (result.kind === "conflict" || result.kind === "refused") {
      // Sending again cannot help: the reason stays in the row and in the bar; the values
      // stay in the fields, so the user can correct them (which queues them again).
      delete pending[id];
      store(id);
      var message = result.body.message || texts.textFailed;
      setState(item, message, "error");
      problem(label(id) + message);
      if (result.kind === "conflict") showConflict(message);
      pump();
    } else {
      trouble = result.kind;
      setState(item, texts.textWaiting, "waiting");
      updateBar();
      settle(false);
      retryTimer = setTimeout(pump, retryDelay);
      retryDelay = Math.min(retryDelay * 2, LAST_RETRY_MS);
    }
  }

  // Send what waits now; resolves true once nothing waits, false when the network refused.
  function flush() {
    return new Promise(function (resolve) {
      if (!count()) {
        resolve(true);
        return;
      }
      waiters.push(resolve);
      retryDelay = FIRST_RETRY_MS;
      Object.keys(items).forEach(function (id) {
        items[id].typing = false;
      });
      pump();
    });
  }

  function debounce(fn, ms) {
    var timer;
    return function () {
      clearTimeout(timer);
      timer = setTimeout(fn, ms);
    };
  }

  function watch(item) {
    var later = debounce(function () {
      item.typing = false;
      pump();
    }, TYPING_PAUSE_MS);
    item.container.addEventListener("input", function (event) {
      item.typing = event.target.type !== "radio" && event.target.type !== "checkbox";
      edited(item);
      later();
    });
    item.container.addEventListener("change", function () {
      item.typing = false;
      edited(item);
      pump();
    });
  }

  // --- leaving the page --------------------------------------------------------------------

  function leaving(link) {
    if (link.target && link.target !== "_self") return false;
    if (link.hasAttribute("download")) return false;
    var url = new URL(link.href, window.location.href);
    var here = window.location;
    return !(url.pathname === here.pathname && url.search === here.search && url.hash);
  }

  function onClick(event) {
    var link = event.target.closest ? event.target.closest("a[href]") : null;
    if (!link || event.defaultPrevented || event.button !== 0) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    if (!count() || !leaving(link)) return;
    event.preventDefault();
    // Sent: go. Not sent: go anyway and let beforeunload ask (the changes stay in the browser).
    flush().then(function () {
      window.location.href = link.href;
    });
  }

  function onSubmit(event) {
    var target = event.target;
    if (target === form) {
      // "Save": send what waits instead of posting the whole (possibly older) form.
      event.preventDefault();
      touched = true;
      flush().then(updateBar);
      return;
    }
    if (!count() || target.dataset.flushed) return;
    event.preventDefault();
    event.stopPropagation(); // before data-once marks the form as sent
    var submitter = event.submitter;
    flush().then(function () {
      target.dataset.flushed = "1";
      if (target.requestSubmit) target.requestSubmit(submitter || undefined);
      else target.submit();
    });
  }

  function onBeforeUnload(event) {
    if (!count()) return undefined;
    event.preventDefault();
    event.returnValue = "";
    return "";
  }

  // --- evidence upload: refused here, said here --------------------------------------------

  function watchUpload() {
    var upload = document.getElementById("evidence-upload");
    if (!upload) return;
    var input = upload.querySelector("input[type=file]");
    var line = upload.querySelector(".upload-problem");
    function say(message) {
      line.textContent = message;
      line.hidden = !message;
    }
    upload.addEventListener("submit", function (event) {
      var file = input && input.files && input.files[0];
      var max = Number(upload.dataset.maxBytes || 0);
      var message = "";
      if (navigator.onLine === false) {
        message = upload.dataset.textOffline;
      } else if (file && max && file.size > max) {
        message = upload.dataset.textTooLarge;
      }
      say(message);
      if (message) {
        event.preventDefault();
        event.stopImmediatePropagation();
        line.focus();
      }
    });
    if (input) {
      input.addEventListener("change", function () {
        say("");
      });
    }
  }

  // --- start -------------------------------------------------------------------------------

  function start() {
    form = document.getElementById("assessment-form");
    if (!form || !window.fetch || !window.URLSearchParams) return;
    texts = form.dataset;
    versionInput = form.querySelector("#assessment-version");
    bar = document.getElementById("save-bar");
    var base = Number(versionInput.value);
    form.querySelectorAll("[data-row]").forEach(function (row) {
      items[row.dataset.row] = { id: row.dataset.row, container: row, base: base };
    });
    form.querySelectorAll("fieldset[data-section]").forEach(function (section) {
      if (!section.disabled) {
        items[section.dataset.section] = { id: section.dataset.section, container: section, base: base };
      }
    });
    loadStored();
    Object.keys(pending).forEach(function (id) {
      touched = true;
      if (items[id]) {
        restore(items[id].container, pending[id].fields);
        setState(items[id], texts.textWaiting, "waiting");
      }
    });
    Object.keys(items).forEach(function (id) {
      var item = items[id];
      if (!pending[id] && differsFromPage(item.container)) edited(item);
      watch(item);
    });
    if (bar) {
      bar.hidden = false;
      bar.querySelector(".save-bar-now").addEventListener("click", function () {
        retryDelay = FIRST_RETRY_MS;
        pump();
      });
    }
    document.addEventListener("click", onClick);
    document.addEventListener("submit", onSubmit, true);
    window.addEventListener("beforeunload", onBeforeUnload);
    window.addEventListener("online", function () {
      retryDelay = FIRST_RETRY_MS;
      pump();
    });
    window.addEventListener("offline", updateBar);
    updateBar();
    pump();
  }

  function ready() {
    start();
    watchUpload();
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
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", ready);
  else ready();
})();
