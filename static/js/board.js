// The kanban board: drag and drop (SortableJS, touch included) and a
// keyboard-friendly "Move to…" menu, both calling the move endpoint, and
// the live layer that applies everyone's changes in place (through
// static/js/live.js, which owns the socket).
// DOM is built with createElement/textContent only (CSP, no innerHTML).
(function () {
  "use strict";

  var board = document.querySelector("[data-board]");
  if (!board) { return; }
  var projectId = board.getAttribute("data-project-id");
  var canEdit = board.getAttribute("data-can-edit") === "true";
  var userId = board.getAttribute("data-user-id");
  var live = window.corkboardLive || null;

  function columnEl(status) {
    return board.querySelector('section[data-status="' + CSS.escape(status) + '"]');
  }
  function cardList(status) {
    var col = columnEl(status);
    return col ? col.querySelector("[data-cards]") : null;
  }
  function findCard(id) {
    return board.querySelector('[data-issue-id="' + CSS.escape(id) + '"]');
  }
  function statusOf(card) {
    return card.closest("section[data-status]").getAttribute("data-status");
  }
  // placeCard puts card in column status at index (past the end = bottom).
  function placeCard(card, status, index) {
    var list = cardList(status);
    if (!list) { return; }
    var cards = Array.prototype.filter.call(list.children, function (c) { return c !== card; });
    list.insertBefore(card, cards[index] || null);
  }
  // before says whether card a sorts before card b: rank, then id, both
  // compared by code unit (ranks are base-62 ASCII), as the server orders.
  function before(a, b) {
    var ra = a.getAttribute("data-rank") || "", rb = b.getAttribute("data-rank") || "";
    if (ra !== rb) { return ra < rb; }
    return a.getAttribute("data-issue-id") < b.getAttribute("data-issue-id");
  }
  // placeByRank puts card where its data-rank says in column status, and
  // leaves it alone when it is already there (applying an event twice, or
  // the echo of our own move, changes nothing).
  function placeByRank(card, status) {
    var list = cardList(status);
    if (!list) { return; }
    if (card.parentElement === list) {
      var prev = card.previousElementSibling, next = card.nextElementSibling;
      if ((!prev || before(prev, card)) && (!next || before(card, next))) { return; }
    }
    var next2 = Array.prototype.find.call(list.children, function (c) { return c !== card && before(card, c); }) || null;
    list.insertBefore(card, next2);
  }
  function neighbours(card) {
    var prev = card.previousElementSibling, next = card.nextElementSibling;
    return {
      after_id: prev ? prev.getAttribute("data-issue-id") : null,
      before_id: next ? next.getAttribute("data-issue-id") : null
    };
  }
  // updateCounts recounts every column header: the cards shown plus those
  // a filter leaves out (data-hidden), against the WIP limit if any.
  function updateCounts() {
    board.querySelectorAll("section[data-status]").forEach(function (col) {
      var badge = col.querySelector("[data-count]");
      if (!badge) { return; }
      var n = col.querySelectorAll("[data-issue-id]").length + (parseInt(badge.getAttribute("data-hidden"), 10) || 0);
      var limit = parseInt(badge.getAttribute("data-wip-limit"), 10);
      badge.textContent = isNaN(limit) ? String(n) : n + " / " + limit;
      badge.classList.toggle("badge-error", !isNaN(limit) && n > limit);
      badge.classList.toggle("badge-ghost", isNaN(limit) || n <= limit);
    });
  }
  // toast is live.js's (loaded first on every signed-in page).
  function toast(message, ok) {
    if (live) { live.toast(message, ok); }
  }
  function problemText(body, status) {
    if (!body) { return "The move failed (" + status + ")."; }
    if (status === 409 && /over-capacity$/.test(body.type || "")) {
      var who = (plan.members[body.user_id] && plan.members[body.user_id].name) || names[body.user_id] || "The assignee";
      return "Over capacity: " + who + " would carry " + body.load + " points against a capacity of " + body.capacity +
        " in this cycle. The card went back.";
    }
    var parts = [body.detail || body.title || "The move failed."];
    (body.errors || []).forEach(function (e) { parts.push(e.field + " " + e.message); });
    return parts.join(" ");
  }

  // --- what the server says is true (the live layer keeps it current) ---

  // known: every issue of the board, shown or left out by the filter:
  // id -> {status, rank, version, shown}. Without a filter the page holds
  // them all; with one, the live layer loads them before connecting.
  var filter = live ? live.pageFilter() : { active: false, match: function () { return true; } };
  // Each entry also keeps what planning needs: effort, assignee, cycle.
  var known = new Map();
  function entry(is, shown) {
    return { status: is.status, rank: is.rank, version: is.version, shown: shown,
      effort: typeof is.effort === "number" ? is.effort : null, assignee: is.assignee_id || null, cycle: is.cycle_id || null };
  }
  board.querySelectorAll("[data-issue-id]").forEach(function (card) {
    var av = card.querySelector(".kavatar");
    var effort = card.getAttribute("data-effort");
    known.set(card.getAttribute("data-issue-id"), {
      status: statusOf(card), rank: card.getAttribute("data-rank"),
      version: parseInt(card.getAttribute("data-version"), 10) || 0, shown: true,
      effort: effort ? parseInt(effort, 10) : null, assignee: av ? av.getAttribute("data-assignee-id") : null,
      cycle: card.getAttribute("data-cycle-id") || null
    });
  });
  var names = live ? live.memberNames() : {};

  // busy: cards the local user holds (dragging, or their move menu open).
  // Changes to them wait in pending until they are let go.
  var busy = new Set(), pending = new Map();

  function version(card) { return parseInt(card.getAttribute("data-version"), 10) || 0; }

  // cardContent fills a card as app/web_cards.go renders it.
  function cardContent(card, is) {
    var focused = document.activeElement && card.contains(document.activeElement) && document.activeElement.hasAttribute("data-move-button");
    while (card.firstChild) { card.firstChild.remove(); }
    card.setAttribute("data-key", is.key);
    card.setAttribute("data-rank", is.rank);
    card.setAttribute("data-version", String(is.version));
    card.setAttribute("data-effort", typeof is.effort === "number" ? String(is.effort) : "");
    card.setAttribute("data-cycle-id", is.cycle_id || "");
    var a = document.createElement("a");
    a.className = "ktitle";
    a.href = "/projects/" + encodeURIComponent(projectId) + "/issues/" + encodeURIComponent(is.id);
    var key = document.createElement("span");
    key.className = "kkey";
    key.textContent = is.key;
    a.appendChild(key);
    a.appendChild(document.createTextNode(" " + is.title));
    card.appendChild(a);
    if (is.assignee_id) {
      var av = document.createElement("span");
      av.className = "kavatar";
      av.setAttribute("data-assignee-id", is.assignee_id);
      assigneeAvatar(av);
      card.appendChild(av);
    }
    var meta = document.createElement("div");
    meta.className = "kmeta";
    if (typeof is.effort === "number") {
      var est = document.createElement("span");
      est.className = "kest";
      est.title = "Estimate";
      est.textContent = effortLabel(is.effort);
      meta.appendChild(est);
    }
    var prio = document.createElement("span");
    prio.className = "badge badge-xs priority-" + is.priority;
    prio.textContent = is.priority;
    meta.appendChild(prio);
    (is.labels || []).forEach(function (l) {
      var b = document.createElement("span");
      b.className = "badge badge-xs badge-outline";
      b.textContent = l;
      meta.appendChild(b);
    });
    card.appendChild(meta);
    setCommentCount(card, is.comment_count || 0);
    if (is.due_date) {
      var due = document.createElement("span");
      due.className = "kdue";
      due.textContent = "due " + is.due_date;
      meta.appendChild(due);
    }
    if (canEdit) {
      var mv = document.createElement("button");
      mv.type = "button";
      mv.className = "kmove";
      mv.setAttribute("data-move-button", "");
      mv.setAttribute("aria-haspopup", "menu");
      mv.setAttribute("aria-label", "Move " + is.key + "…");
      mv.textContent = "⋯";
      card.appendChild(mv);
      if (focused) { mv.focus(); }
    }
    card.corkboardShown = signature(is);
  }
  function signature(is) {
    return JSON.stringify([is.key, is.title, is.priority, is.labels, is.due_date, is.assignee_id, is.rank, is.version,
      is.effort, is.cycle_id, is.comment_count, plan.scale]);
  }
  // setCommentCount shows a card's number of comments (data-comment-count,
  // and a badge after the labels when there are any).
  function setCommentCount(card, n) {
    n = Math.max(0, n);
    card.setAttribute("data-comment-count", String(n));
    var meta = card.querySelector(".kmeta"), badge = card.querySelector(".kcomments");
    if (!n) { if (badge) { badge.remove(); } return; }
    if (!badge) {
      badge = document.createElement("span");
      badge.className = "kcomments";
      badge.title = "Comments";
      meta.insertBefore(badge, meta.querySelector(".kdue"));
    }
    badge.textContent = String(n);
  }
  function newCard(is) {
    var card = document.createElement("li");
    card.className = "kcard";
    card.setAttribute("data-issue-id", is.id);
    cardContent(card, is);
    return card;
  }
  function assigneeAvatar(av) {
    var name = names[av.getAttribute("data-assignee-id")] || "";
    av.title = "Assigned to " + name;
    av.textContent = live ? live.initials(name) : "?";
  }

  // flash marks a card changed by someone else: a short highlight and
  // their initials on the card.
  function flash(card, actor) {
    if (!actor || !actor.id || actor.id === userId) { return; }
    card.classList.remove("klive-flash");
    void card.offsetWidth; // restart the animation if it is running
    card.classList.add("klive-flash");
    var bubble = card.querySelector(".kactor");
    if (!bubble) {
      bubble = document.createElement("span");
      bubble.className = "kactor";
      card.appendChild(bubble);
    }
    bubble.title = actor.name;
    bubble.setAttribute("aria-label", "Changed by " + actor.name);
    bubble.textContent = live ? live.initials(actor.name) : "?";
    clearTimeout(card.corkboardFlash);
    card.corkboardFlash = setTimeout(function () { card.classList.remove("klive-flash"); }, 1500);
    clearTimeout(card.corkboardBubble);
    card.corkboardBubble = setTimeout(function () { bubble.remove(); }, 6000);
  }

  // --- planning: estimates, column points, capacity bars ---

  // plan: what the board knows of planning, seeded from the page (the
  // bars carry each member's capacity and the cycle's override) and kept
  // current by events. Load follows the server's rule: the effort (or the
  // project's unestimated_effort) of the cycle's issues assigned to them.
  var barsBox = document.querySelector("[data-capacity-bars]");
  var plan = {
    cycle: filter.cycle || "", scale: board.getAttribute("data-estimate-scale") || "free",
    unestimated: parseInt(board.getAttribute("data-unestimated-effort"), 10) || 0,
    members: {}, overrides: {}
  };
  function optInt(v) { return v === "" || v === null || v === undefined ? null : parseInt(v, 10); }
  if (barsBox) {
    barsBox.querySelectorAll("[data-capacity-user]").forEach(function (li) {
      var id = li.getAttribute("data-capacity-user");
      plan.members[id] = { name: li.querySelector(".kcap-name").textContent, capacity: optInt(li.getAttribute("data-member-capacity")) };
      plan.overrides[id] = optInt(li.getAttribute("data-override"));
    });
  }
  var TSHIRT = { 1: "XS", 2: "S", 3: "M", 5: "L", 8: "XL" };
  function effortLabel(n) { return plan.scale === "tshirt" && TSHIRT[n] ? TSHIRT[n] : String(n); }
  function pointsOf(k) { return k.effort === null || k.effort === undefined ? plan.unestimated : k.effort; }

  function barElement(id) {
    var li = document.createElement("li");
    li.className = "kcap";
    li.setAttribute("data-capacity-user", id);
    var name = document.createElement("span");
    name.className = "kcap-name";
    var bar = document.createElement("progress");
    bar.className = "kcap-bar";
    bar.setAttribute("aria-hidden", "true");
    var text = document.createElement("span");
    text.className = "kcap-text";
    li.appendChild(name);
    li.appendChild(bar);
    li.appendChild(text);
    return li;
  }
  // updatePlanning recomputes column points and the capacity bars from
  // known (every issue of the board) and plan.
  function updatePlanning() {
    var pts = {}, load = {};
    known.forEach(function (k) {
      if (k.shown) { pts[k.status] = (pts[k.status] || 0) + pointsOf(k); }
      if (plan.cycle && k.cycle === plan.cycle && k.assignee) { load[k.assignee] = (load[k.assignee] || 0) + pointsOf(k); }
    });
    board.querySelectorAll("section[data-status]").forEach(function (col) {
      var el = col.querySelector("[data-points]");
      if (!el) {
        el = document.createElement("span");
        el.className = "kpoints ml-auto";
        el.setAttribute("data-points", "");
        col.querySelector("header").insertBefore(el, col.querySelector("[data-count]"));
      }
      el.textContent = (pts[col.getAttribute("data-status")] || 0) + " pts";
      el.title = "Points of the cards shown: their effort, an unestimated card counting as " + plan.unestimated;
    });
    if (!barsBox) { return; }
    var list = barsBox.querySelector("ul");
    var ids = Object.keys(plan.members).sort(function (a, b) {
      var x = plan.members[a].name.toLowerCase(), y = plan.members[b].name.toLowerCase();
      return x < y ? -1 : x > y ? 1 : 0;
    });
    list.querySelectorAll("[data-capacity-user]").forEach(function (li) {
      if (!plan.members[li.getAttribute("data-capacity-user")]) { li.remove(); }
    });
    ids.forEach(function (id) {
      var li = list.querySelector('[data-capacity-user="' + CSS.escape(id) + '"]') || barElement(id);
      var m = plan.members[id], o = plan.overrides[id];
      var cap = o !== null && o !== undefined ? o : m.capacity, n = load[id] || 0;
      var over = cap !== null && cap !== undefined && n > cap;
      var nolimit = cap === null || cap === undefined;
      li.setAttribute("data-load", String(n));
      li.setAttribute("data-capacity", nolimit ? "" : String(cap));
      li.setAttribute("data-member-capacity", m.capacity === null || m.capacity === undefined ? "" : String(m.capacity));
      li.setAttribute("data-override", o === null || o === undefined ? "" : String(o));
      li.classList.toggle("kcap-over", over);
      li.classList.toggle("kcap-nolimit", nolimit);
      li.querySelector(".kcap-name").textContent = m.name;
      var bar = li.querySelector("progress");
      bar.max = Math.max(1, nolimit || over ? n : cap);
      bar.value = n;
      li.querySelector(".kcap-text").textContent = n + " / " + (nolimit ? "no limit" : cap);
      list.appendChild(li); // in name order
    });
  }
  function relabelEstimates() {
    board.querySelectorAll(".kcard[data-effort]").forEach(function (card) {
      var est = card.querySelector(".kest"), v = card.getAttribute("data-effort");
      if (est && v) { est.textContent = effortLabel(parseInt(v, 10)); }
    });
  }
  function setCycleOption(cy) {
    var select = document.getElementById("f-cycle");
    if (!select) { return; }
    var opt = Array.prototype.find.call(select.options, function (o) { return o.value === cy.id; });
    if (cy.state === "completed") { if (opt && !opt.selected) { opt.remove(); } return; }
    if (!opt) {
      opt = document.createElement("option");
      opt.value = cy.id;
      select.appendChild(opt);
    }
    opt.setAttribute("data-state", cy.state || "");
    opt.textContent = cy.name + (cy.state === "active" ? " (active)" : "");
  }
  // cycleDeleted: the cycle's issues left it in the same change, their
  // version up by one; mirror that so a later edit is not a stale 409.
  function cycleDeleted(d) {
    var id = d.cycle && d.cycle.id;
    (d.issue_ids || []).forEach(function (iid) {
      var k = known.get(iid), card = findCard(iid);
      if (k) { k.cycle = null; k.version++; }
      if (card) {
        card.setAttribute("data-version", String(version(card) + 1));
        card.setAttribute("data-cycle-id", "");
        card.corkboardShown = null;
      }
      if (k && filter.cycle === id) {
        k.shown = false;
        if (card && !busy.has(iid)) { card.remove(); }
      }
    });
    var select = document.getElementById("f-cycle");
    var opt = select && Array.prototype.find.call(select.options, function (o) { return o.value === id; });
    if (opt && !opt.selected) { opt.remove(); }
    if (plan.cycle === id && barsBox) {
      var h = barsBox.querySelector("h2");
      if (h) { h.textContent = "This cycle was deleted: its issues are in no cycle now."; }
      barsBox.setAttribute("data-deleted", "");
      plan.cycle = "";
      barsBox.querySelector("ul").replaceChildren();
      barsBox = null;
    }
    // Issues now in no cycle that the page never had: load the board.
    if (filter.cycle === "none" && (d.issue_ids || []).length) { reload(); }
  }
  function reload() {
    fetch("/api/v1/projects/" + encodeURIComponent(projectId) + "/board", { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (res) { if (!res.ok) { throw new Error("board " + res.status); } return res.json(); })
      .then(reset, function () { /* the live layer's next resync repairs it */ });
  }

  // recountHidden sets each column's count of cards the filter leaves out.
  function recountHidden() {
    var hidden = {}, shownCount = 0;
    known.forEach(function (k) {
      if (!k.shown) { hidden[k.status] = (hidden[k.status] || 0) + 1; } else { shownCount++; }
    });
    if (filter.active && live) { live.filterCount(shownCount, known.size); }
    board.querySelectorAll("section[data-status]").forEach(function (col) {
      var badge = col.querySelector("[data-count]");
      if (badge) { badge.setAttribute("data-hidden", String(hidden[col.getAttribute("data-status")] || 0)); }
    });
    updateCounts();
    updatePlanning();
  }

  // applyIssue makes the card look like the issue DTO and sit where its
  // status and rank say. Idempotent; older versions than shown are ignored.
  function applyIssue(is, actor) {
    if (busy.has(is.id)) { pending.set(is.id, { issue: is, actor: actor }); return; }
    var card = findCard(is.id);
    var k = known.get(is.id);
    if ((card && version(card) > is.version) || (k && k.version > is.version)) { return; }
    var shown = filter.match(is) && !!cardList(is.status);
    known.set(is.id, entry(is, shown));
    if (!shown) {
      if (card) { card.remove(); }
      return;
    }
    if (!card) { card = newCard(is); } else if (card.corkboardShown !== signature(is)) { cardContent(card, is); }
    placeByRank(card, is.status);
    flash(card, actor);
    markEditing(card);
  }
  function removeIssue(id) {
    if (busy.has(id)) { pending.set(id, { gone: true }); return; }
    known.delete(id);
    var card = findCard(id);
    if (card) { card.corkboardGone = true; card.remove(); }
  }
  // release lets go of a card (drag ended, menu closed) and applies what
  // came for it meanwhile: the server's order wins.
  function release(id) {
    busy.delete(id);
    var p = pending.get(id);
    if (!p) { return; }
    pending.delete(id);
    if (p.gone) { removeIssue(id); } else { applyIssue(p.issue, p.actor); }
    recountHidden();
  }

  // --- columns ---

  function newColumn(c) {
    var section = document.createElement("section");
    section.className = "column bg-base-300 rounded-box w-72 shrink-0 flex flex-col max-h-[calc(100vh-14rem)]";
    section.setAttribute("data-status", c.key);
    var header = document.createElement("header");
    header.className = "flex items-center justify-between px-3 py-2 gap-2";
    var h2 = document.createElement("h2");
    h2.className = "font-semibold break-all";
    var count = document.createElement("span");
    count.className = "badge badge-ghost";
    count.setAttribute("data-count", "");
    count.setAttribute("data-hidden", "0");
    header.appendChild(h2);
    header.appendChild(count);
    var list = document.createElement("ol");
    list.className = "cards flex flex-col gap-2 px-2 pb-3 min-h-16 overflow-y-auto";
    list.setAttribute("data-cards", "");
    list.setAttribute("data-empty-text", filter.active ? "No matching issues" : "No issues yet");
    section.appendChild(header);
    section.appendChild(list);
    wireList(list);
    return section;
  }
  // applyColumns makes the board's columns these, in this order: names,
  // WIP limits, new (empty, droppable) columns, removed ones.
  function applyColumns(columns) {
    var keep = {};
    columns.forEach(function (c) {
      keep[c.key] = true;
      var section = columnEl(c.key) || newColumn(c);
      section.setAttribute("aria-label", c.name);
      section.querySelector("h2").textContent = c.name;
      var badge = section.querySelector("[data-count]");
      var limit = c.wip_limit === null || c.wip_limit === undefined ? "" : String(c.wip_limit);
      badge.setAttribute("data-wip-limit", limit);
      badge.title = limit ? "Work-in-progress limit " + limit : "Issues in this column";
      board.appendChild(section); // in order
    });
    board.querySelectorAll("section[data-status]").forEach(function (section) {
      if (keep[section.getAttribute("data-status")]) { return; }
      section.querySelectorAll("[data-issue-id]").forEach(function (card) {
        var k = known.get(card.getAttribute("data-issue-id"));
        if (k) { k.shown = false; }
      });
      section.remove();
    });
    if (live) { live.applyColumnsToSelects(columns); }
    recountHidden();
  }

  // --- members and presence ---

  function refreshAvatars(memberId) {
    board.querySelectorAll('.kavatar[data-assignee-id="' + CSS.escape(memberId) + '"]').forEach(assigneeAvatar);
  }

  var others = []; // presence of everyone else, as last received
  function markEditing(card) {
    card.querySelectorAll(".kediting").forEach(function (m) { m.remove(); });
    card.removeAttribute("data-editing");
    var id = card.getAttribute("data-issue-id");
    others.forEach(function (u) {
      var what = u.dragging === id ? "is moving this card" : u.editing === id ? "is editing" : "";
      if (!what) { return; }
      var m = document.createElement("span");
      m.className = "kediting";
      m.setAttribute("data-editing-user", u.id);
      m.title = u.name + " " + what;
      m.setAttribute("aria-label", u.name + " " + what);
      m.textContent = "✎ " + (live ? live.initials(u.name) : "");
      card.appendChild(m);
      card.setAttribute("data-editing", "");
    });
  }
  function applyPresence(users) {
    others = users;
    if (live) { live.renderPresence(users); }
    board.querySelectorAll("[data-editing]").forEach(markEditing);
    users.forEach(function (u) {
      [u.editing, u.dragging].forEach(function (id) {
        var card = id && findCard(id);
        if (card) { markEditing(card); }
      });
    });
  }

  // --- the view the live layer drives ---

  function applyEvent(msg) {
    var d = msg.data || {};
    switch (msg.type) {
      case "issue.created": case "issue.updated": case "issue.moved": case "issue.restored":
        applyIssue(d, msg.actor);
        break;
      case "issue.deleted":
        removeIssue(d.id);
        break;
      case "comment.created": case "comment.deleted":
        var commented = findCard(d.issue_id);
        if (commented) {
          setCommentCount(commented, (parseInt(commented.getAttribute("data-comment-count"), 10) || 0) + (msg.type === "comment.created" ? 1 : -1));
        }
        break;
      case "column.created": case "column.updated": case "column.deleted": case "column.reordered":
        applyColumns(d.columns || []);
        break;
      case "member.added": case "member.updated":
        names[d.user_id] = d.display_name;
        if (barsBox) { plan.members[d.user_id] = { name: d.display_name, capacity: typeof d.capacity === "number" ? d.capacity : null }; }
        if (live) { live.setMemberOption(d, false); }
        refreshAvatars(d.user_id);
        break;
      case "member.removed":
        delete names[d.user_id];
        delete plan.members[d.user_id];
        if (live) { live.setMemberOption(d, true); }
        refreshAvatars(d.user_id);
        break;
      case "project.updated":
        if (live) { live.applyProject(d); }
        if (d.estimate_scale && d.estimate_scale !== plan.scale) { plan.scale = d.estimate_scale; relabelEstimates(); }
        if (typeof d.unestimated_effort === "number") { plan.unestimated = d.unestimated_effort; }
        break;
      case "cycle.capacity_updated":
        if (d.cycle_id === plan.cycle) { plan.overrides[d.user_id] = typeof d.points === "number" ? d.points : null; }
        break;
      case "cycle.created": case "cycle.updated":
        setCycleOption(d);
        break;
      case "cycle.scheduled":
        (d.items || []).forEach(setCycleOption);
        break;
      case "cycle.deleted":
        cycleDeleted(d);
        break;
    }
    recountHidden();
  }

  // reset rebuilds every column's cards from GET …/board (a resync, or the
  // first load of a filtered board). Cards the user holds stay put and get
  // their new state when let go.
  function reset(data) {
    names = {};
    (data.members || []).forEach(function (m) { names[m.user_id] = m.display_name; });
    plan.scale = data.project.estimate_scale || plan.scale;
    if (typeof data.project.unestimated_effort === "number") { plan.unestimated = data.project.unestimated_effort; }
    if (barsBox) {
      plan.members = {};
      plan.overrides = {};
      (data.members || []).forEach(function (m) {
        plan.members[m.user_id] = { name: m.display_name, capacity: typeof m.capacity === "number" ? m.capacity : null };
      });
      (data.capacities || []).forEach(function (c) { if (c.cycle_id === plan.cycle) { plan.overrides[c.user_id] = c.points; } });
    }
    (data.cycles || []).forEach(setCycleOption);
    if (live) { live.applyProject(data.project); }
    applyColumns(data.project.columns || []);
    var seen = new Set();
    known = new Map();
    board.querySelectorAll("[data-cards]").forEach(function (list) { list.corkboardNext = []; });
    data.issues.forEach(function (is) {
      seen.add(is.id);
      var shown = filter.match(is) && !!cardList(is.status);
      known.set(is.id, entry(is, shown));
      if (busy.has(is.id)) { pending.set(is.id, { issue: is }); return; }
      var card = findCard(is.id);
      if (!shown) { if (card) { card.remove(); } return; }
      if (!card) { card = newCard(is); } else if (card.corkboardShown !== signature(is)) { cardContent(card, is); }
      cardList(is.status).corkboardNext.push(card);
    });
    board.querySelectorAll("[data-cards]").forEach(function (list) {
      Array.prototype.slice.call(list.children).forEach(function (card) {
        var id = card.getAttribute("data-issue-id");
        if (busy.has(id)) { if (!seen.has(id)) { pending.set(id, { gone: true }); } return; }
        if (list.corkboardNext.indexOf(card) < 0) { card.remove(); }
      });
      list.corkboardNext.forEach(function (card) { list.appendChild(card); }); // in board order
      list.corkboardNext = null;
    });
    applyPresence(others);
    recountHidden();
    return data.project.seq;
  }

  // move sends the card's current place to the server; on failure the card
  // goes back to where the server last had it (from: {status, index} when
  // that is not known).
  function move(card, from) {
    var id = card.getAttribute("data-issue-id");
    var body = neighbours(card);
    body.status = statusOf(card);
    var undo = window.corkboardUndo ? window.corkboardUndo.before(card, from) : null; // static/js/undo.js
    card.setAttribute("aria-busy", "true");
    return fetch("/api/v1/projects/" + encodeURIComponent(projectId) + "/issues/" + encodeURIComponent(id) + "/move", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: JSON.stringify(body)
    }).then(function (res) {
      if (res.ok) { return res.json(); }
      return res.json().catch(function () { return null; }).then(function (p) {
        throw new Error(problemText(p, res.status));
      });
    }).then(function (issue) {
      // Newer than what we show (a live event may have beaten the reply).
      if (issue.version > version(card) && !card.corkboardGone) {
        known.set(issue.id, entry(issue, filter.match(issue)));
        cardContent(card, issue);
        markEditing(card);
      }
      if (undo) { undo.done(issue); }
    }).catch(function (err) {
      if (card.corkboardGone) { return; }
      var k = known.get(id);
      if (k && k.shown && cardList(k.status)) { placeByRank(card, k.status); } else { placeCard(card, from.status, from.index); }
      toast(err.message || "The move failed: check your connection.", false);
    }).finally(function () {
      card.removeAttribute("aria-busy");
      updateCounts();
    });
  }

  function indexOf(card) {
    return Array.prototype.indexOf.call(card.parentElement.children, card);
  }

  window.corkboardBoard = {
    projectId: projectId, findCard: findCard, placeCard: placeCard, placeByRank: placeByRank, indexOf: indexOf,
    statusOf: statusOf, updateCounts: updateCounts, toast: toast, findColumnList: cardList,
    applyIssue: function (is) { applyIssue(is, null); recountHidden(); }
  };

  // Drag and drop, within and across columns.
  function wireList(list) {
    if (!canEdit || !window.Sortable) { return; }
    window.Sortable.create(list, {
      group: "cards-" + projectId,
      animation: 150,
      forceFallback: true, // mouse/touch events instead of HTML5 DnD: same behaviour on every device
      fallbackTolerance: 3,
      delay: 150,
      delayOnTouchOnly: true,
      ghostClass: "card-ghost",
      filter: "[data-move-button]",
      preventOnFilter: false,
      onStart: function (ev) {
        var id = ev.item.getAttribute("data-issue-id");
        busy.add(id);
        if (live) { live.setPresence({ dragging: id }); }
      },
      onEnd: function (ev) {
        var id = ev.item.getAttribute("data-issue-id");
        if (live) { live.setPresence({ dragging: null }); }
        if (!(ev.from === ev.to && ev.oldIndex === ev.newIndex)) {
          var from = { status: ev.from.closest("section[data-status]").getAttribute("data-status"), index: ev.oldIndex };
          updateCounts();
          move(ev.item, from); // reads the drop place now, before queued changes apply
        }
        release(id);
      }
    });
  }
  board.querySelectorAll("[data-cards]").forEach(wireList);

  if (live) {
    live.start({
      projectId: projectId, userId: userId, seq: board.getAttribute("data-seq"),
      needsLoad: filter.active, apply: applyEvent, reset: reset, presence: applyPresence
    });
  }

  if (!canEdit) { return; }

  // The keyboard/menu alternative to dragging: the "⋯" button on a card
  // opens one shared menu (built here, so a large board carries no
  // per-card menus): move up, move down, or to another column.
  var menu = null, menuCard = null, menuButton = null;

  function closeMenu(focusBack) {
    if (!menu) { return; }
    menu.remove();
    menu = null;
    if (focusBack && menuButton) { menuButton.focus(); }
    if (menuButton) { menuButton.setAttribute("aria-expanded", "false"); }
    var id = menuCard && menuCard.getAttribute("data-issue-id");
    menuCard = menuButton = null;
    if (live) { live.setPresence({ editing: null }); }
    if (id) { release(id); }
  }

  function menuItem(label, action) {
    var li = document.createElement("li");
    var b = document.createElement("button");
    b.type = "button";
    b.setAttribute("role", "menuitem");
    b.textContent = label;
    b.addEventListener("click", function () { action(); });
    li.appendChild(b);
    return li;
  }

  function moveCardTo(card, status, index) {
    var from = { status: statusOf(card), index: indexOf(card) };
    placeCard(card, status, index);
    if (statusOf(card) === from.status && indexOf(card) === from.index) { return; }
    move(card, from);
  }

  // Menu actions close the menu (which applies queued changes) and then
  // move: the move goes where the user asked, relative to the board as it is.
  function openMenu(button) {
    closeMenu(false);
    var card = button.closest("[data-issue-id]");
    var here = statusOf(card), at = indexOf(card);
    menu = document.createElement("ul");
    menu.className = "kmenu";
    menu.setAttribute("role", "menu");
    menu.setAttribute("aria-label", "Move " + (card.getAttribute("data-key") || "card"));
    if (at > 0) { menu.appendChild(menuItem("↑ Move up", function () { closeMenu(true); moveCardTo(card, here, indexOf(card) - 1); })); }
    if (at < card.parentElement.children.length - 1) {
      menu.appendChild(menuItem("↓ Move down", function () { closeMenu(true); moveCardTo(card, here, indexOf(card) + 1); }));
    }
    board.querySelectorAll("section[data-status]").forEach(function (col) {
      var status = col.getAttribute("data-status");
      if (status === here) { return; }
      var name = col.querySelector("h2").textContent;
      menu.appendChild(menuItem("→ " + name, function () { closeMenu(true); if (cardList(status)) { moveCardTo(card, status, Infinity); } }));
    });
    if (window.corkboardUndo) { menu.appendChild(menuItem("🗑 Move to trash", function () { closeMenu(true); window.corkboardUndo.trash(card); })); }
    document.body.appendChild(menu);
    var r = button.getBoundingClientRect();
    menu.style.top = (window.scrollY + r.bottom + 4) + "px";
    menu.style.left = Math.max(8, Math.min(window.scrollX + r.right - menu.offsetWidth, window.scrollX + window.innerWidth - menu.offsetWidth - 8)) + "px";
    menuCard = card;
    menuButton = button;
    busy.add(card.getAttribute("data-issue-id"));
    if (live) { live.setPresence({ editing: card.getAttribute("data-issue-id") }); }
    button.setAttribute("aria-expanded", "true");
    var first = menu.querySelector("button");
    if (first) { first.focus(); }
  }

  board.addEventListener("click", function (ev) {
    var button = ev.target.closest("[data-move-button]");
    if (!button) { return; }
    ev.preventDefault();
    if (menu && menuButton === button) { closeMenu(true); } else { openMenu(button); }
  });
  document.addEventListener("click", function (ev) {
    if (menu && !menu.contains(ev.target) && !ev.target.closest("[data-move-button]")) { closeMenu(false); }
  });
  document.addEventListener("keydown", function (ev) {
    if (!menu) { return; }
    var items = Array.prototype.slice.call(menu.querySelectorAll("button"));
    var i = items.indexOf(document.activeElement);
    if (ev.key === "Escape") { ev.preventDefault(); closeMenu(true); }
    else if (ev.key === "ArrowDown") { ev.preventDefault(); items[(i + 1) % items.length].focus(); }
    else if (ev.key === "ArrowUp") { ev.preventDefault(); items[(i - 1 + items.length) % items.length].focus(); }
    else if (ev.key === "Tab") { closeMenu(false); }
  });
})();
