// The card panel's fields, each edited in place and saved alone through
// PATCH /api/v1/projects/{pid}/issues/{iid} with the version the edit
// started from. Nobody's change is overwritten unseen:
//   - a 409 whose saved value of the field is still the one the edit
//     started from (someone changed another field) is retried at the new
//     version: that overwrites nothing of theirs;
//   - otherwise, and when a live event changes a field while the user has
//     typed something else into it, the panel shows theirs and yours:
//     "Keep mine" saves at their version, "Take theirs" drops the edit.
// DOM is built with createElement/textContent only.
(function () {
  "use strict";

  var FIELDS = ["title", "status", "priority", "assignee_id", "cycle_id", "effort", "due_date", "labels", "description"];
  var LABELS = { title: "Title", status: "Column", priority: "Priority", assignee_id: "Assignee", cycle_id: "Cycle",
    effort: "Effort", due_date: "Due date", labels: "Labels", description: "Description" };

  // shown is a field's value as its control holds it.
  function shown(is, f) {
    if (f === "labels") { return (is.labels || []).join(", "); }
    if (f === "effort") { return typeof is.effort === "number" ? String(is.effort) : ""; }
    var v = is[f];
    return v === null || v === undefined ? "" : String(v);
  }
  function labelList(s) {
    return String(s).split(",").map(function (l) { return l.trim(); }).filter(function (l) { return l; });
  }
  function same(f, a, b) {
    if (f === "labels") { return labelList(a).join(",") === labelList(b).join(","); }
    return a === b;
  }
  // apiValue is what PATCH takes for a control's value (undefined: not valid).
  function apiValue(f, s) {
    switch (f) {
      case "labels": return labelList(s);
      case "effort":
        s = s.trim();
        if (!s) { return null; }
        return /^\d+$/.test(s) ? parseInt(s, 10) : undefined;
      case "assignee_id": case "cycle_id": case "due_date": return s === "" ? null : s;
    }
    return s;
  }

  // attach wires the fields of a panel's content. opts: projectId, issue
  // (as GET returned it), onIssue(issue) after a save, onDescription()
  // when the rendered description is out of date, toast(message, ok).
  function attach(root, opts) {
    var issue = opts.issue;
    var edits = {}; // field -> {original, version, saving, conflict}
    var url = "/api/v1/projects/" + encodeURIComponent(opts.projectId) + "/issues/" + encodeURIComponent(issue.id);

    function control(f) { return root.querySelector('[data-field="' + f + '"]'); }
    function row(f) { return root.querySelector('[data-field-row="' + f + '"]'); }
    function setValue(f, v) {
      var el = control(f);
      if (!el || el.value === v) { return; }
      if (el.tagName === "SELECT" && v !== "" && !Array.prototype.some.call(el.options, function (o) { return o.value === v; })) {
        var o = document.createElement("option");
        o.value = v;
        o.textContent = opts.optionName ? opts.optionName(f, v) : v;
        el.appendChild(o);
      }
      el.value = v;
      if (f === "description") { return; }
      flash(f);
    }
    function flash(f) {
      var r = row(f);
      if (!r) { return; }
      r.classList.remove("kfield-changed");
      void r.offsetWidth;
      r.classList.add("kfield-changed");
    }
    // readable is a value as a person reads it (a select's option text).
    function readable(f, v) {
      var el = control(f);
      if (el && el.tagName === "SELECT") {
        var o = Array.prototype.find.call(el.options, function (x) { return x.value === v; });
        if (o) { return o.textContent; }
      }
      return v === "" ? "(empty)" : v;
    }

    function begin(f) {
      if (!edits[f]) {
        edits[f] = { original: shown(issue, f), version: issue.version };
        editing();
      }
      return edits[f];
    }
    // editing tells the others (presence) whether a field is being edited.
    function editing() { if (opts.onEditing) { opts.onEditing(Object.keys(edits).length > 0); } }
    function end(f) {
      delete edits[f];
      editing();
      clearConflict(f);
      if (f === "description") { descriptionEditor(false); }
    }

    function showError(f, text) {
      var r = row(f), el = r && r.querySelector("[data-field-error]");
      if (!r) { return; }
      if (!el) {
        el = document.createElement("p");
        el.className = "text-error text-sm";
        el.setAttribute("data-field-error", "");
        el.setAttribute("role", "alert");
        r.appendChild(el);
      }
      el.textContent = text;
      el.hidden = !text;
    }

    function clearConflict(f) {
      var r = row(f), box = r && r.querySelector("[data-conflict-field]");
      if (box) { box.remove(); }
      if (r) { r.removeAttribute("data-conflict"); }
    }
    function showConflict(f, c) {
      var e = begin(f);
      e.conflict = c;
      clearConflict(f);
      var r = row(f);
      var box = document.createElement("div");
      box.className = "kconflict";
      box.setAttribute("role", "alert");
      box.setAttribute("data-conflict-field", f);
      var p = document.createElement("p");
      var strong = document.createElement("strong");
      strong.textContent = (c.actor && c.actor.name ? c.actor.name : "Someone") + " changed " + LABELS[f] + " while you were editing it.";
      p.appendChild(strong);
      box.appendChild(p);
      var values = document.createElement("dl");
      values.className = "kconflict-values";
      [["Theirs", c.theirs, "data-theirs"], ["Yours", c.mine, "data-yours"]].forEach(function (x) {
        var dt = document.createElement("dt");
        dt.textContent = x[0];
        var dd = document.createElement("dd");
        dd.setAttribute(x[2], "");
        dd.textContent = readable(f, x[1]);
        values.appendChild(dt);
        values.appendChild(dd);
      });
      box.appendChild(values);
      var keep = document.createElement("button");
      keep.type = "button";
      keep.className = "btn btn-primary btn-xs";
      keep.setAttribute("data-keep-mine", "");
      keep.textContent = "Keep mine";
      var take = document.createElement("button");
      take.type = "button";
      take.className = "btn btn-ghost btn-xs";
      take.setAttribute("data-take-theirs", "");
      take.textContent = "Take theirs";
      keep.addEventListener("click", function () { keepMine(f); });
      take.addEventListener("click", function () { takeTheirs(f); });
      box.appendChild(keep);
      box.appendChild(take);
      r.setAttribute("data-conflict", "");
      r.appendChild(box);
    }
    function keepMine(f) {
      var e = edits[f];
      if (!e || !e.conflict) { return; }
      var c = e.conflict;
      e.conflict = null;
      clearConflict(f);
      e.original = c.theirs;
      e.version = c.version;
      send(f, control(f).value, 0);
    }
    function takeTheirs(f) {
      var e = edits[f];
      if (!e) { return; }
      end(f);
      setValue(f, shown(issue, f));
      if (f === "description") { opts.onDescription(); }
    }

    // save sends the field if the user changed it.
    function save(f) {
      var e = begin(f), el = control(f);
      if (e.conflict || e.saving) { return; }
      if (same(f, el.value, e.original)) {
        if (document.activeElement !== el) { end(f); }
        return;
      }
      if (apiValue(f, el.value) === undefined) { showError(f, LABELS[f] + " must be a whole number."); return; }
      send(f, el.value, 0);
    }
    function send(f, mine, tries) {
      var e = begin(f), body = { version: e.version };
      body[f] = apiValue(f, mine);
      e.saving = true;
      var r = row(f);
      if (r) { r.setAttribute("aria-busy", "true"); }
      fetch(url, {
        method: "PATCH", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "Accept": "application/json" },
        body: JSON.stringify(body)
      }).then(function (res) {
        return res.json().catch(function () { return null; }).then(function (b) { return { status: res.status, body: b }; });
      }).then(function (res) {
        e.saving = false;
        if (res.status === 200) {
          showError(f, "");
          var typed = control(f).value;
          end(f);
          applyIssue(res.body, null); // unless a newer event came first
          if (!same(f, typed, mine) && document.activeElement === control(f)) {
            // typed on while it saved: a new edit from what was saved,
            // checked against anything newer that came meanwhile
            edits[f] = { original: shown(res.body, f), version: res.body.version };
            control(f).value = typed;
          }
          reconcile(f, issue, null);
          if (f === "description") { opts.onDescription(); }
          opts.onIssue(res.body);
          return;
        }
        if (res.status === 409 && res.body && res.body.current) {
          var cur = res.body.current;
          if (same(f, shown(cur, f), e.original) && tries < 3) {
            e.version = cur.version; // they changed other fields, not this one
            send(f, mine, tries + 1);
            applyIssue(cur, null);
            return;
          }
          showConflict(f, { theirs: shown(cur, f), mine: mine, version: cur.version, actor: null });
          applyIssue(cur, null);
          return;
        }
        showError(f, opts.problemText(res.body, res.status));
      }).catch(function () {
        e.saving = false;
        showError(f, "Not saved: check your connection.");
      }).then(function () {
        if (r) { r.removeAttribute("aria-busy"); }
      });
    }

    // applyIssue takes a newer state of the issue (a live event, or a
    // reply): fields nobody here is editing follow it; a field being
    // edited keeps what the user typed, and shows both if theirs differs.
    function applyIssue(is, actor) {
      if (!is || is.id !== issue.id || is.version < issue.version) { return; }
      var before = issue;
      issue = is;
      root.setAttribute("data-version", String(is.version));
      FIELDS.forEach(function (f) {
        if (f === "description" && !edits[f] && !same(f, shown(before, f), shown(is, f))) { opts.onDescription(); }
        reconcile(f, is, actor);
      });
    }
    // reconcile brings one field in line with is (the newest state known).
    function reconcile(f, is, actor) {
      var val = shown(is, f), e = edits[f], el = control(f);
      if (!el) { return; }
      if (!e) { setValue(f, val); return; }
      if (e.saving) { return; } // its reply decides
      if (e.conflict) {
        e.conflict.version = is.version;
        if (!same(f, val, e.conflict.theirs)) { e.conflict.theirs = val; e.conflict.actor = actor; showConflict(f, e.conflict); }
        return;
      }
      if (same(f, val, e.original)) { return; } // they did not touch it
      if (same(f, el.value, e.original) || same(f, el.value, val)) {
        // nothing typed yet, or the same change: follow them
        el.value = val;
        e.original = val;
        e.version = is.version;
        return;
      }
      showConflict(f, { theirs: val, mine: el.value, version: is.version, actor: actor });
    }

    function descriptionEditor(open) {
      var ed = root.querySelector("[data-description-editor]"), shownEl = root.querySelector("[data-description]");
      if (!ed) { return; }
      ed.hidden = !open;
      shownEl.hidden = open;
      var btn = root.querySelector("[data-description-edit]");
      if (btn) { btn.hidden = open; }
    }

    var form = root.querySelector("[data-panel-fields]");
    form.addEventListener("submit", function (ev) { ev.preventDefault(); });
    form.addEventListener("focusin", function (ev) {
      var f = ev.target.getAttribute && ev.target.getAttribute("data-field");
      if (f && !ev.target.readOnly && !ev.target.disabled) { begin(f); }
    });
    form.addEventListener("focusout", function (ev) {
      var f = ev.target.getAttribute && ev.target.getAttribute("data-field");
      var e = f && edits[f];
      if (e && f !== "description" && !e.saving && !e.conflict && same(f, ev.target.value, e.original)) { end(f); }
    });
    form.addEventListener("change", function (ev) {
      var f = ev.target.getAttribute("data-field");
      if (f && f !== "description") { save(f); }
    });
    form.addEventListener("keydown", function (ev) {
      var f = ev.target.getAttribute && ev.target.getAttribute("data-field");
      if (!f) { return; }
      if (ev.key === "Enter" && ev.target.tagName === "INPUT") { ev.preventDefault(); save(f); return; }
      if (ev.key === "Enter" && f === "description" && (ev.ctrlKey || ev.metaKey)) { ev.preventDefault(); save(f); return; }
      if (ev.key === "Escape") {
        // Esc in a field drops its unsaved edit (the panel stays open).
        ev.preventDefault();
        ev.stopPropagation();
        var e = edits[f];
        if (e && !e.saving) { var orig = e.conflict ? e.conflict.theirs : e.original; end(f); control(f).value = orig; }
        ev.target.blur();
      }
    });
    var edit = root.querySelector("[data-description-edit]");
    if (edit) {
      edit.addEventListener("click", function () {
        control("description").value = shown(issue, "description");
        descriptionEditor(true);
        control("description").focus();
      });
      root.querySelector("[data-description-save]").addEventListener("click", function () { save("description"); });
      root.querySelector("[data-description-cancel]").addEventListener("click", function () {
        end("description");
        control("description").value = shown(issue, "description");
      });
    }

    return {
      applyIssue: applyIssue,
      issue: function () { return issue; },
      editing: function () { return Object.keys(edits).length > 0; }
    };
  }

  window.corkboardPanelFields = { attach: attach };
})();
