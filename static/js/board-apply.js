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
  // status and rank say, if that is within its column's rendered window
  // (else it is left unrendered, counted). Idempotent; older versions than
  // shown are ignored.
  function applyIssue(is, actor) {
    if (busy.has(is.id)) { pending.set(is.id, { issue: is, actor: actor }); return; }
    var card = B.findCard(is.id);
    var k = B.known.get(is.id);
    if ((card && B.version(card) > is.version) || (k && k.version > is.version)) { return; }
    var shown = filter.match(is) && !!B.cardList(is.status);
    B.setKnown(B.entry(is, shown));
    var list = shown && B.cardList(is.status), from = card && card.parentElement;
    if (!shown || (B.loaded && !inWindow(B.known.get(is.id), list))) {
      if (card) { card.remove(); }
      if (from) { fill(from); }
      return;
    }
    if (!card) { card = B.newCard(is); } else if (card.corkboardShown !== B.signature(is)) { B.cardContent(card, is); }
    B.placeByRank(card, is.status);
    B.flash(card, actor);
    B.markEditing(card);
    if (from && from !== list) { fill(from); }
  }
  // inWindow: whether entry k belongs among list's rendered cards, which
  // are the first ones of the column: when they are all of it, or when k
  // sorts before the last of the others.
  function inWindow(k, list) {
    var others = Array.prototype.filter.call(list.children, function (c) { return c.getAttribute("data-issue-id") !== k.id; });
    if (others.length >= B.order(k.status).length - 1) { return true; }
    var last = others[others.length - 1];
    if (!last) { return B.order(k.status)[0] === k; }
    var lk = B.known.get(last.getAttribute("data-issue-id"));
    return !!lk && B.sortsBefore(k, lk);
  }
  // fill renders list's column up to its window (list.corkboardWant cards,
  // B.window at first, more as it is scrolled): the next cards of the
  // column in board order that are not rendered yet, each in its place.
  function fill(list) {
    if (!B.loaded) { return; }
    var section = list.closest("section[data-status]");
    var want = list.corkboardWant || B.window, have = list.children.length;
    if (have >= want) { return; }
    var rendered = new Set(Array.prototype.map.call(list.children, function (c) { return c.getAttribute("data-issue-id"); }));
    var entries = B.order(section.getAttribute("data-status"));
    for (var i = 0; i < entries.length && have < want; i++) {
      var k = entries[i];
      if (rendered.has(k.id) || !k.issue || busy.has(k.id)) { continue; }
      var card = B.findCard(k.id) || B.newCard(k.issue);
      var last = list.lastElementChild, lk = last && B.known.get(last.getAttribute("data-issue-id"));
      if (!lk || B.sortsBefore(lk, k)) { list.appendChild(card); } else { B.placeByRank(card, k.status); }
      B.markEditing(card);
      have++;
    }
  }
  // complete: whether list renders every shown card of its column but the
  // one with id (before the whole board is loaded, by the server's count).
  function complete(list, id) {
    var others = Array.prototype.filter.call(list.children, function (c) { return c.getAttribute("data-issue-id") !== id; }).length;
    if (!B.loaded) {
      return others >= (parseInt(list.getAttribute("data-shown"), 10) || 0) - (B.findCard(id) && B.findCard(id).parentElement === list ? 1 : 0);
    }
    var status = list.closest("section[data-status]").getAttribute("data-status");
    return others >= B.order(status).filter(function (k) { return k.id !== id; }).length;
  }
  // more renders another window's worth of list's column.
  function more(list) {
    list.corkboardWant = list.children.length + B.window;
    fill(list);
  }
  function removeIssue(id) {
    if (busy.has(id)) { pending.set(id, { gone: true }); return; }
    B.forget(id);
    var card = B.findCard(id);
    if (card) {
      card.corkboardGone = true;
      var list = card.parentElement;
      card.remove();
      if (list) { fill(list); }
    }
  }
  // release lets go of a card (drag ended, menu closed) and applies what
  // came for it meanwhile: the server's order wins.
  function release(id) {
    busy.delete(id);
    var p = pending.get(id);
    if (!p) { return; }
    pending.delete(id);
    if (p.gone) { removeIssue(id); } else { applyIssue(p.issue, p.actor); }
    B.recount();
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
      var gone = section.getAttribute("data-status");
      B.known.forEach(function (k) { if (k.status === gone) { k.shown = false; } });
      B.orders = {};
      section.remove();
    });
    if (live) { live.applyColumnsToSelects(columns); }
    B.recount();
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
        var ck = B.known.get(d.issue_id), delta = msg.type === "comment.created" ? 1 : -1;
        if (ck && ck.issue) { ck.issue.comment_count = Math.max(0, (ck.issue.comment_count || 0) + delta); }
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
        if (d.key) { B.known.forEach(function (k) { if (k.issue) { k.issue.key = d.key + "-" + k.issue.key.slice(k.issue.key.lastIndexOf("-") + 1); } }); }
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
    B.recount();
  }

  // reset rebuilds the board from GET …/board (the first load after the
  // page painted, a resync): every issue goes into known, and each column
  // renders its first cards (as many as it had, a window at least), the
  // cards already there reused. Cards the user holds stay put and get
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
    var seen = new Set();
    var known = B.known = new Map();
    B.orders = {};
    B.loaded = true;
    applyColumns(data.project.columns || []);
    data.issues.forEach(function (is) {
      seen.add(is.id);
      known.set(is.id, B.entry(is, filter.match(is) && !!B.cardList(is.status)));
      if (busy.has(is.id)) { pending.set(is.id, { issue: is }); }
    });
    board.querySelectorAll("[data-cards]").forEach(function (list) {
      var want = Math.max(list.corkboardWant || B.window, list.children.length);
      var next = [];
      B.order(list.closest("section[data-status]").getAttribute("data-status")).some(function (k) {
        if (next.length >= want) { return true; }
        if (busy.has(k.id)) { return false; }
        var is = k.issue, card = B.findCard(is.id);
        if (!card) {
          card = B.newCard(is);
        } else if (card.corkboardShown === undefined && B.version(card) === is.version &&
            card.getAttribute("data-comment-count") === String(is.comment_count || 0)) {
          card.corkboardShown = B.signature(is); // as the server rendered it, from the same version
        } else if (card.corkboardShown !== B.signature(is)) {
          B.cardContent(card, is);
        }
        next.push(card);
        return false;
      });
      var keep = new Set(next);
      Array.prototype.slice.call(list.children).forEach(function (card) {
        var id = card.getAttribute("data-issue-id");
        if (busy.has(id)) { if (!seen.has(id)) { pending.set(id, { gone: true }); } return; }
        if (!keep.has(card)) { card.remove(); }
      });
      next.forEach(function (card, i) { if (list.children[i] !== card) { list.insertBefore(card, list.children[i] || null); } }); // in board order
      list.corkboardWant = want;
    });
    board.querySelectorAll("section[data-status]").forEach(function (col) {
      col.querySelectorAll("[data-issue-id]").forEach(function (card) {
        var k = known.get(card.getAttribute("data-issue-id"));
        if (!busy.has(card.getAttribute("data-issue-id")) && (!k || !k.shown || k.status !== col.getAttribute("data-status"))) { card.remove(); }
      });
    });
    B.applyPresence(B.others);
    B.recount();
    return data.project.seq;
  }

  B.applyIssue = applyIssue;
  B.removeIssue = removeIssue;
  B.fill = fill;
  B.more = more;
  B.complete = complete;
  B.release = release;
  B.applyEvent = applyEvent;
  B.reset = reset;
})();
