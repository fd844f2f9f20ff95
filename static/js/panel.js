// The card panel: clicking a card on the board opens the issue beside it
// (an <aside data-issue-panel="<iid>">) and the address becomes the issue's
// page (history.pushState), so Back closes it and a reload or a shared link
// gives the full page, which works without JavaScript (the card's title
// stays a real link). Esc closes, j / k open the next / previous card.
// The content is the server's fragment (GET …/issues/{iid}/panel), parsed
// with DOMParser (see static/js/comments.js); its fields are edited in
// place by static/js/panel-fields.js; comments and activity follow the
// live events. Watch / Stop watching is PUT / DELETE …/watch; the button
// follows the issue's `watching` (commenting, being assigned or mentioned
// makes you watch).
(function () {
  "use strict";

  var board = document.querySelector("[data-board]");
  var comments = window.corkboardComments, fieldsLib = window.corkboardPanelFields;
  if (!board || !comments || !fieldsLib) { return; }
  var live = window.corkboardLive || null;
  var projectId = board.getAttribute("data-project-id");

  var panel = null, current = null, fields = null, boardURL = null, loadSeq = 0;

  function issuePath(id) { return "/projects/" + encodeURIComponent(projectId) + "/issues/" + encodeURIComponent(id); }
  function toast(message, ok) { if (live) { live.toast(message, ok); } }
  function cards() { return Array.prototype.slice.call(board.querySelectorAll("[data-cards] > [data-issue-id]")); }
  function cardOf(id) { return board.querySelector('[data-issue-id="' + CSS.escape(id) + '"]'); }

  function ensurePanel() {
    if (panel) { return panel; }
    panel = document.createElement("aside");
    panel.className = "kpanel";
    panel.setAttribute("aria-label", "Issue");
    panel.setAttribute("tabindex", "-1");
    panel.hidden = true;
    document.body.appendChild(panel);
    panel.addEventListener("click", function (ev) {
      if (ev.target.closest("[data-panel-close]")) { ev.preventDefault(); close(true); }
      var watch = ev.target.closest("[data-panel-watch]");
      if (watch) { ev.preventDefault(); toggleWatch(watch); }
    });
    comments.wireForms(panel, {
      get projectId() { return projectId; },
      get issueId() { return current; }
    });
    return panel;
  }

  function placeholder(text) {
    while (panel.firstChild) { panel.firstChild.remove(); }
    var p = document.createElement("p");
    p.className = "kpanel-note";
    p.setAttribute("data-panel-note", "");
    p.textContent = text;
    panel.appendChild(p);
  }

  function markCard(id) {
    board.querySelectorAll(".kcard-open").forEach(function (c) { c.classList.remove("kcard-open"); });
    var card = id && cardOf(id);
    if (card) { card.classList.add("kcard-open"); }
  }

  // open shows issue id in the panel. how: "push" (a click: a new history
  // entry), "replace" (j/k: the same entry), "none" (Back/Forward).
  function open(id, how) {
    ensurePanel();
    if (!current && how !== "none") { boardURL = location.pathname + location.search + location.hash; }
    if (how === "push" && !current) {
      history.pushState({ corkboardPanel: id, board: boardURL }, "", issuePath(id));
    } else if (how !== "none") {
      history.replaceState({ corkboardPanel: id, board: boardURL }, "", issuePath(id));
    }
    current = id;
    fields = null;
    panel.setAttribute("data-issue-panel", id);
    panel.hidden = false;
    document.body.classList.add("kpanel-open");
    markCard(id);
    if (live) { live.setPresence({ viewing: id, editing: null }); }
    load(id, true);
  }

  // load fetches the panel's content and the issue's JSON (the fields'
  // baseline: values and version).
  function load(id, focus) {
    var mine = ++loadSeq;
    if (!panel.querySelector("[data-panel-content]")) { placeholder("Loading…"); }
    panel.setAttribute("aria-busy", "true");
    Promise.all([
      comments.fragment(issuePath(id) + "/panel"),
      comments.api("GET", "/api/v1" + issuePath(id))
    ]).then(function (r) {
      if (mine !== loadSeq || current !== id) { return; }
      var content = r[0] && comments.adopt(r[0].querySelector("[data-panel-content]"));
      if (!content || r[1].status !== 200) { placeholder("This issue is gone, or you no longer have access to it."); return; }
      while (panel.firstChild) { panel.firstChild.remove(); }
      panel.appendChild(content);
      fields = fieldsLib.attach(content, {
        projectId: projectId, issue: r[1].body, problemText: comments.problemText, toast: toast,
        onIssue: function () {}, onDescription: refreshDescription, optionName: optionName,
        onEditing: function (on) { if (live && current === id) { live.setPresence({ editing: on ? id : null }); } }
      });
      if (focus) { panel.focus({ preventScroll: true }); }
    }).catch(function () {
      if (mine === loadSeq) { placeholder("The issue could not be loaded: check your connection."); }
    }).then(function () {
      if (mine === loadSeq) { panel.removeAttribute("aria-busy"); }
    });
  }

  // showWatching sets the panel's watch button to say what a click does.
  function showWatching(on) {
    var b = panel && panel.querySelector("[data-panel-content] [data-panel-watch]");
    if (!b) { return; }
    b.setAttribute("aria-pressed", on ? "true" : "false");
    b.textContent = on ? "Stop watching" : "Watch";
  }
  function toggleWatch(button) {
    var id = current, on = button.getAttribute("aria-pressed") !== "true";
    button.disabled = true;
    comments.api(on ? "PUT" : "DELETE", "/api/v1" + issuePath(id) + "/watch").then(function (r) {
      if (r.status !== 204) { toast(comments.problemText(r.body, r.status), false); return; }
      if (current === id) { showWatching(on); }
    }).catch(function () { toast("That failed: check your connection.", false); }).then(function () {
      button.disabled = false;
    });
  }
  // refreshWatching reads whether the user watches the open issue now.
  function refreshWatching() {
    var id = current;
    comments.api("GET", "/api/v1" + issuePath(id)).then(function (r) {
      if (r.status === 200 && current === id) { showWatching(!!r.body.watching); }
    }).catch(function () {});
  }

  // trashed says the open issue went to the trash and, to an editor,
  // offers to restore it (static/js/undo.js); issue.restored reloads.
  function trashed(is, actor) {
    fields = null;
    placeholder("This issue was moved to the trash" + (actor && actor.name ? " by " + actor.name : "") + ".");
    var undo = window.corkboardUndo;
    if (!undo || !undo.restore || board.getAttribute("data-can-edit") !== "true") { return; }
    var button = document.createElement("button");
    button.type = "button";
    button.className = "btn btn-sm btn-warning kpanel-undo";
    button.setAttribute("data-panel-undo", "");
    button.textContent = "Undo";
    button.addEventListener("click", function () {
      button.disabled = true;
      undo.restore(is).then(function (back) {
        if (!back) { button.disabled = false; return; }
        if (current === is.id && !panel.querySelector("[data-panel-content]")) { load(is.id, false); }
      });
    });
    panel.appendChild(button);
  }

  // optionName names a select value the panel did not know when it loaded
  // (a column, member or cycle added since), from the board's own controls.
  function optionName(f, v) {
    var sel = { status: "f-status", assignee_id: "f-assignee", cycle_id: "f-cycle" }[f];
    var el = sel && document.getElementById(sel);
    var o = el && Array.prototype.find.call(el.options, function (x) { return x.value === v; });
    return o ? o.textContent : v;
  }

  // refreshOptions rebuilds the column, assignee and cycle selects from a
  // fresh fragment after the project's columns, members or cycles changed
  // (the server decides which cycles an issue may pick). A select keeps
  // its value when the value is still there.
  var optionsSeq = 0;
  function refreshOptions() {
    var id = current, mine = ++optionsSeq;
    comments.fragment(issuePath(id) + "/panel").then(function (body) {
      if (!body || current !== id || mine !== optionsSeq) { return; }
      ["#kp-status", "#kp-assignee", "#kp-cycle"].forEach(function (sel) {
        var fresh = body.querySelector(sel), el = panel.querySelector("[data-panel-content] " + sel);
        if (!fresh || !el) { return; }
        var v = el.value;
        el.replaceChildren.apply(el, Array.prototype.map.call(fresh.options, comments.adopt));
        if (Array.prototype.some.call(el.options, function (o) { return o.value === v; })) { el.value = v; }
      });
    }).catch(function () {});
  }

  function refreshDescription() {
    var id = current;
    comments.fragment(issuePath(id) + "/panel").then(function (body) {
      var fresh = comments.adopt(body && body.querySelector("[data-description]"));
      var old = panel.querySelector("[data-description]");
      if (!fresh || !old || current !== id) { return; }
      fresh.hidden = old.hidden;
      old.replaceWith(fresh);
    }).catch(function () {});
  }

  // close hides the panel; viaHistory: step back to the board's entry
  // when the panel pushed one (popstate then finishes), else rewrite it.
  function close(viaHistory) {
    if (!current) { return; }
    if (viaHistory && history.state && history.state.corkboardPanel) {
      history.back();
      return;
    }
    if (viaHistory) { history.replaceState(null, "", boardURL || location.pathname); }
    hide();
  }
  function hide() {
    var was = current;
    current = null;
    fields = null;
    loadSeq++;
    if (panel) {
      panel.hidden = true;
      panel.removeAttribute("data-issue-panel");
      while (panel.firstChild) { panel.firstChild.remove(); }
    }
    document.body.classList.remove("kpanel-open");
    markCard(null);
    if (live) { live.setPresence({ viewing: null, editing: null }); }
    var card = was && cardOf(was);
    var link = card && card.querySelector("a.ktitle");
    if (link) { link.focus({ preventScroll: true }); }
  }

  function step(by) {
    var list = cards(), i = list.findIndex(function (c) { return c.getAttribute("data-issue-id") === current; });
    var next = list[i < 0 ? 0 : i + by];
    if (!next) { return; }
    next.scrollIntoView({ block: "nearest", inline: "nearest" });
    open(next.getAttribute("data-issue-id"), "replace");
  }

  window.addEventListener("popstate", function (ev) {
    var id = ev.state && ev.state.corkboardPanel;
    if (id) { boardURL = ev.state.board || boardURL; open(id, "none"); } else if (current) { hide(); }
  });

  // A plain click on a card (not a drag, not the move button, not with a
  // modifier that asks for a new tab) opens the panel.
  var downAt = null;
  board.addEventListener("pointerdown", function (ev) { downAt = { x: ev.clientX, y: ev.clientY }; });
  board.addEventListener("click", function (ev) {
    if (ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) { return; }
    var card = ev.target.closest("[data-cards] > [data-issue-id]");
    if (!card || ev.target.closest("[data-move-button]")) { return; }
    if (downAt && Math.abs(ev.clientX - downAt.x) + Math.abs(ev.clientY - downAt.y) > 6) { return; } // a drag
    ev.preventDefault();
    open(card.getAttribute("data-issue-id"), "push");
  });

  function typing(el) {
    return el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  }
  document.addEventListener("keydown", function (ev) {
    if (!current || ev.ctrlKey || ev.metaKey || ev.altKey || typing(ev.target)) { return; }
    if (document.querySelector(".kmenu")) { return; } // the move menu has the keys
    if (ev.key === "Escape") { ev.preventDefault(); close(true); }
    else if (ev.key === "j") { ev.preventDefault(); step(1); }
    else if (ev.key === "k") { ev.preventDefault(); step(-1); }
  });

  if (live) {
    live.subscribe(function (msg) {
      if (!current) { return; }
      var d = msg.data || {};
      if (msg.type === "resync") {
        comments.api("GET", "/api/v1" + issuePath(current)).then(function (r) {
          if (r.status === 200 && fields) { fields.applyIssue(r.body, null); showWatching(!!r.body.watching); }
        });
      } else if (msg.type === "issue.deleted" && d.id === current) {
        trashed(d, msg.actor);
        return;
      } else if (msg.type === "issue.restored" && d.id === current) {
        load(current, false);
        return;
      } else if ((msg.type === "issue.updated" || msg.type === "issue.moved") && d.id === current && fields) {
        fields.applyIssue(d, msg.actor);
        if (msg.type === "issue.updated") { refreshWatching(); } // an assignment or a mention may start it
      } else if (msg.type === "comment.created" && d.issue_id === current) {
        refreshWatching(); // commenting (or being mentioned) starts it
      } else if (/^(column|member)\.|^cycle\.(created|updated|deleted|scheduled)$/.test(msg.type)) {
        refreshOptions();
      }
      var content = panel.querySelector("[data-panel-content]");
      if (content) { comments.apply(content, { projectId: projectId, issueId: current }, msg); }
    });
  }

  window.corkboardPanel = { open: function (id) { open(id, "push"); }, close: function () { close(true); }, current: function () { return current; } };
})();
