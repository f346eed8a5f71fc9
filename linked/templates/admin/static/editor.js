/* The edition editor's own script (no inline scripts: the CSP forbids them). Every page
   works without it. For a form marked data-autosave="<slug>/<file>":
   - unsaved text is kept in localStorage and put back after a reload (with the version
     it started from, so a save still meets any newer file as a conflict);
   - leaving the page with unsaved changes asks first;
   - the formatting toolbar wraps the selection in Markdown. */
(function () {
  "use strict";
  var form = document.querySelector("form[data-autosave]");
  if (!form) { return; }
  var key = "linked:draft:" + form.getAttribute("data-autosave");
  var dirty = false;
  var note = document.querySelector(".unsaved-note");

  function fields() {
    return Array.prototype.filter.call(form.elements, function (el) {
      return el.name && el.name !== "csrf" && (el.tagName === "TEXTAREA" || el.tagName === "INPUT") &&
        el.type !== "submit" && el.type !== "button";
    });
  }
  function snapshot() {
    var data = {};
    fields().forEach(function (el) { data[el.name] = el.value; });
    return data;
  }
  function store() {
    try { localStorage.setItem(key, JSON.stringify(snapshot())); } catch (e) { /* full or off */ }
  }
  function markDirty() {
    dirty = true;
    if (note) { note.hidden = false; }
    store();
  }

  if (form.hasAttribute("data-saved")) {
    try { localStorage.removeItem(key); } catch (e) { /* off */ }
  } else {
    var saved = null;
    try { saved = JSON.parse(localStorage.getItem(key) || "null"); } catch (e) { saved = null; }
    if (saved) {
      var now = snapshot();
      var differs = Object.keys(saved).some(function (name) {
        return name !== "version" && saved[name] !== now[name];
      });
      if (differs) {
        fields().forEach(function (el) {
          if (Object.prototype.hasOwnProperty.call(saved, el.name)) { el.value = saved[el.name]; }
        });
        dirty = true;
        if (note) { note.hidden = false; }
        var restored = document.querySelector(".restored-note");
        if (restored) {
          restored.hidden = false;
          var discard = restored.querySelector(".discard-draft");
          if (discard) {
            discard.addEventListener("click", function () {
              try { localStorage.removeItem(key); } catch (e) { /* off */ }
              window.location.reload();
            });
          }
        }
        if (window.htmx) { window.htmx.trigger(form, "input"); }
      } else {
        try { localStorage.removeItem(key); } catch (e) { /* off */ }
      }
    }
  }

  form.addEventListener("input", markDirty);
  form.addEventListener("submit", function () { dirty = false; });
  window.addEventListener("beforeunload", function (event) {
    if (dirty) { event.preventDefault(); event.returnValue = ""; }
  });

  var body = document.getElementById("body");
  var wraps = {
    bold: ["**", "**", "bold text"],
    italic: ["_", "_", "italic text"],
    link: ["[", "](https://)", "link text"]
  };
  Array.prototype.forEach.call(document.querySelectorAll(".toolbar [data-md]"), function (button) {
    button.addEventListener("click", function () {
      if (!body) { return; }
      var kind = button.getAttribute("data-md");
      var start = body.selectionStart, end = body.selectionEnd, text = body.value;
      var chosen = text.slice(start, end);
      var insert;
      if (wraps[kind]) {
        insert = wraps[kind][0] + (chosen || wraps[kind][2]) + wraps[kind][1];
      } else {
        var prefix = kind === "heading" ? "## " : "- ";
        var lineStart = text.lastIndexOf("\n", start - 1) + 1;
        start = lineStart;
        chosen = text.slice(lineStart, end);
        insert = chosen.split("\n").map(function (line) { return prefix + line; }).join("\n");
      }
      body.value = text.slice(0, start) + insert + text.slice(end);
      body.focus();
      body.setSelectionRange(start, start + insert.length);
      body.dispatchEvent(new Event("input", { bubbles: true }));
    });
  });
})();
