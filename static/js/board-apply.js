// The kanban board, part 4 of 6 (see board-state.js): the view the live
// layer (static/js/live.js) drives. applyEvent applies one event of the
// project's log in place; reset rebuilds the board from GET …/board. Both
// are idempotent, and leave the cards the user holds alone until let go.
(function () {
  "use strict";

  var B = window.corkboardBoardCore;
  if (!B) { return; }
  var board = B.board, live = B.live, filter = B.filter, plan = B.plan, busy = B.busy, pending = B.pending;

  // applyIssue makes the card look like the issue DTO and sit where its
  // status and rank say. Idempotent; older versions than shown are ignored.
  function applyIssue(is, actor) {
    if (busy.has(is.id)) { pending.set(is.id, { issue: is, actor: actor }); return; }
    var card = B.findCard(is.id);
    var k = B.known.get(is.id);
    if ((card && B.version(card) > is.version) || (k && k.version > is.version)) { return; }
    var shown = filter.match(is) && !!B.cardList(is.status);
    B.known.set(is.id, B.entry(is, shown));
    if (!shown) {
      if (card) { card.remove(); }
      return;
    }
    if (!card) { card = B.newCard(is); } else if (card.corkboardShown !== B.signature(is)) { B.cardContent(card, is); }
    B.placeByRank(card, is.status);
    B.flash(card, actor);
    B.markEditing(card);
  }
  function removeIssue(id) {
    if (busy.has(id)) { pending.set(id, { gone: true }); return; }
    B.known.delete(id);
    var card = B.findCard(id);
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
    B.recountHidden();
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
    B.wireList(list);
    return section;
  }
  // applyColumns makes the board's columns these, in this order: names,
  // WIP limits, new (empty, droppable) columns, removed ones.
  function applyColumns(columns) {
    var keep = {};
    columns.forEach(function (c) {
      keep[c.key] = true;
      var section = B.columnEl(c.key) || newColumn(c);
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
        var k = B.known.get(card.getAttribute("data-issue-id"));
        if (k) { k.shown = false; }
      });
      section.remove();
    });
    if (live) { live.applyColumnsToSelects(columns); }
    B.recountHidden();
  }

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
        var commented = B.findCard(d.issue_id);
        if (commented) {
          B.setCommentCount(commented, (parseInt(commented.getAttribute("data-comment-count"), 10) || 0) + (msg.type === "comment.created" ? 1 : -1));
        }
        break;
      case "column.created": case "column.updated": case "column.deleted": case "column.reordered":
        applyColumns(d.columns || []);
        break;
      case "member.added": case "member.updated":
        B.names[d.user_id] = d.display_name;
        if (B.barsBox) { plan.members[d.user_id] = { name: d.display_name, capacity: typeof d.capacity === "number" ? d.capacity : null }; }
        if (live) { live.setMemberOption(d, false); }
        B.refreshAvatars(d.user_id);
        break;
      case "member.removed":
        delete B.names[d.user_id];
        delete plan.members[d.user_id];
        if (live) { live.setMemberOption(d, true); }
        B.refreshAvatars(d.user_id);
        break;
      case "project.updated":
        if (live) { live.applyProject(d); }
        if (d.estimate_scale && d.estimate_scale !== plan.scale) { plan.scale = d.estimate_scale; B.relabelEstimates(); }
        if (typeof d.unestimated_effort === "number") { plan.unestimated = d.unestimated_effort; }
        break;
      case "cycle.capacity_updated":
        if (d.cycle_id === plan.cycle) { plan.overrides[d.user_id] = typeof d.points === "number" ? d.points : null; }
        break;
      case "cycle.created": case "cycle.updated":
        B.setCycleOption(d);
        break;
      case "cycle.scheduled":
        (d.items || []).forEach(B.setCycleOption);
        break;
      case "cycle.deleted":
        B.cycleDeleted(d);
        break;
    }
    B.recountHidden();
  }

  // reset rebuilds every column's cards from GET …/board (a resync, or the
  // first load of a filtered board). Cards the user holds stay put and get
  // their new state when let go.
  function reset(data) {
    B.names = {};
    (data.members || []).forEach(function (m) { B.names[m.user_id] = m.display_name; });
    plan.scale = data.project.estimate_scale || plan.scale;
    if (typeof data.project.unestimated_effort === "number") { plan.unestimated = data.project.unestimated_effort; }
    if (B.barsBox) {
      plan.members = {};
      plan.overrides = {};
      (data.members || []).forEach(function (m) {
        plan.members[m.user_id] = { name: m.display_name, capacity: typeof m.capacity === "number" ? m.capacity : null };
      });
      (data.capacities || []).forEach(function (c) { if (c.cycle_id === plan.cycle) { plan.overrides[c.user_id] = c.points; } });
    }
    (data.cycles || []).forEach(B.setCycleOption);
    if (live) { live.applyProject(data.project); }
    applyColumns(data.project.columns || []);
    var seen = new Set();
    var known = B.known = new Map();
    board.querySelectorAll("[data-cards]").forEach(function (list) { list.corkboardNext = []; });
    data.issues.forEach(function (is) {
      seen.add(is.id);
      var shown = filter.match(is) && !!B.cardList(is.status);
      known.set(is.id, B.entry(is, shown));
      if (busy.has(is.id)) { pending.set(is.id, { issue: is }); return; }
      var card = B.findCard(is.id);
      if (!shown) { if (card) { card.remove(); } return; }
      if (!card) { card = B.newCard(is); } else if (card.corkboardShown !== B.signature(is)) { B.cardContent(card, is); }
      B.cardList(is.status).corkboardNext.push(card);
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
    B.applyPresence(B.others);
    B.recountHidden();
    return data.project.seq;
  }

  B.applyIssue = applyIssue;
  B.release = release;
  B.applyEvent = applyEvent;
  B.reset = reset;
})();
