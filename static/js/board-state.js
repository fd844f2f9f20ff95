// The kanban board, part 1 of 6: what the page knows and where cards sit.
// The board is split by responsibility into classic scripts that
// ui/templates/pages/board.html loads in this order (defer keeps it):
//   board-state.js     this file: the shared state, placing cards, counts
//   board-cards.js     a card's DOM (as app/web_cards.go renders it),
//                      the "changed by" flash and the "is editing" marks
//   board-planning.js  estimates, column points, capacity bars, cycles
//   board-apply.js     applying live events and resyncs to the board
//   board-move.js      moving: drag and drop (SortableJS) and the keyboard
//                      "Move to…" menu, both calling the move endpoint
//   board.js           wires them up: window.corkboardBoard, the live start
// They share window.corkboardBoardCore (B below), which is theirs alone:
// other modules use window.corkboardBoard. The live layer, static/js/live.js,
// owns the socket. DOM is built with createElement/textContent only (CSP,
// no innerHTML).
(function () {
  "use strict";

  var board = document.querySelector("[data-board]");
  if (!board) { return; }
  var live = window.corkboardLive || null;

  // filter: what the page's filter bar asks for (live.js parses it).
  var filter = live ? live.pageFilter() : { active: false, match: function () { return true; } };

  // known: every issue of the board, shown or left out by the filter:
  // id -> {id, status, rank, version, shown, effort, assignee, cycle,
  // issue (the DTO)}. The page renders only each column's first cards (a
  // window, data-window of them: a 10,000-card board stays light), so the
  // live layer loads the whole board (GET …/board) after the first paint,
  // before connecting; until then known holds the rendered cards (issue
  // null) and the counts are the server's (loaded false). Rendered cards
  // are always the first ones of their column in board order; more are
  // rendered as a column is scrolled (fill, in board-apply.js), and a
  // column's count, points and capacity come from known, never from the
  // DOM. names: member id -> display name. busy: cards the
  // local user holds (dragging, or their move menu open); changes to them
  // wait in pending until they are let go. others: everyone else's
  // presence, as last received. known, names and others are replaced
  // whole (a resync), so the parts read them through B.
  var B = window.corkboardBoardCore = {
    board: board,
    projectId: board.getAttribute("data-project-id"),
    canEdit: board.getAttribute("data-can-edit") === "true",
    userId: board.getAttribute("data-user-id"),
    live: live,
    filter: filter,
    known: new Map(),
    loaded: false,
    window: parseInt(board.getAttribute("data-window"), 10) || 50,
    names: {},
    busy: new Set(),
    pending: new Map(),
    others: []
  };

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
  function indexOf(card) {
    return Array.prototype.indexOf.call(card.parentElement.children, card);
  }
  function version(card) { return parseInt(card.getAttribute("data-version"), 10) || 0; }
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
  // updateCounts recounts every column header from known: every card of
  // the column, shown or left out by the filter, against the WIP limit if
  // any. Until the whole board is loaded the server's counts stand.
  function updateCounts() {
    if (!B.loaded) { return; }
    var total = {}, hidden = {};
    B.known.forEach(function (k) {
      total[k.status] = (total[k.status] || 0) + 1;
      if (!k.shown) { hidden[k.status] = (hidden[k.status] || 0) + 1; }
    });
    board.querySelectorAll("section[data-status]").forEach(function (col) {
      var badge = col.querySelector("[data-count]"), status = col.getAttribute("data-status");
      if (!badge) { return; }
      var n = total[status] || 0;
      var limit = parseInt(badge.getAttribute("data-wip-limit"), 10);
      badge.setAttribute("data-hidden", String(hidden[status] || 0));
      badge.textContent = isNaN(limit) ? String(n) : n + " / " + limit;
      badge.classList.toggle("badge-error", !isNaN(limit) && n > limit);
      badge.classList.toggle("badge-ghost", isNaN(limit) || n <= limit);
    });
  }
  // recount sets the counts, the filter's "N of M" and the planning
  // figures from known (once it holds the whole board).
  function recount() {
    if (!B.loaded) { return; }
    var shownCount = 0;
    B.known.forEach(function (k) { if (k.shown) { shownCount++; } });
    if (filter.active && live) { live.filterCount(shownCount, B.known.size); }
    updateCounts();
    B.updatePlanning();
  }
  // sortsBefore says whether known entry a sorts before b (as before does
  // for cards).
  function sortsBefore(a, b) {
    if (a.rank !== b.rank) { return a.rank < b.rank; }
    return a.id < b.id;
  }
  // order is column status's shown entries in board order, kept per
  // column until an entry of it changes (setKnown, forget; B.orders = {}
  // drops them all).
  B.orders = {};
  function order(status) {
    var o = B.orders[status];
    if (!o) {
      o = B.orders[status] = [];
      B.known.forEach(function (k) { if (k.shown && k.status === status) { o.push(k); } });
      o.sort(function (a, b) { return sortsBefore(a, b) ? -1 : sortsBefore(b, a) ? 1 : 0; });
    }
    return o;
  }
  function setKnown(k) {
    var old = B.known.get(k.id);
    if (old) { delete B.orders[old.status]; }
    delete B.orders[k.status];
    B.known.set(k.id, k);
  }
  function forget(id) {
    var old = B.known.get(id);
    if (old) { delete B.orders[old.status]; }
    B.known.delete(id);
  }
  // toast is live.js's (loaded first on every signed-in page).
  function toast(message, ok) {
    if (live) { live.toast(message, ok); }
  }
  // entry is what known keeps of an issue DTO, planning's part included.
  function entry(is, shown) {
    return { id: is.id, status: is.status, rank: is.rank, version: is.version, shown: shown, issue: is,
      effort: typeof is.effort === "number" ? is.effort : null, assignee: is.assignee_id || null, cycle: is.cycle_id || null };
  }

  B.columnEl = columnEl;
  B.cardList = cardList;
  B.findCard = findCard;
  B.statusOf = statusOf;
  B.indexOf = indexOf;
  B.version = version;
  B.placeCard = placeCard;
  B.placeByRank = placeByRank;
  B.neighbours = neighbours;
  B.updateCounts = updateCounts;
  B.recount = recount;
  B.sortsBefore = sortsBefore;
  B.order = order;
  B.setKnown = setKnown;
  B.forget = forget;
  B.toast = toast;
  B.entry = entry;

  // The page as the server rendered it.
  board.querySelectorAll("[data-issue-id]").forEach(function (card) {
    var av = card.querySelector(".kavatar");
    var effort = card.getAttribute("data-effort");
    B.known.set(card.getAttribute("data-issue-id"), {
      id: card.getAttribute("data-issue-id"), issue: null, status: statusOf(card), rank: card.getAttribute("data-rank"),
      version: version(card), shown: true,
      effort: effort ? parseInt(effort, 10) : null, assignee: av ? av.getAttribute("data-assignee-id") : null,
      cycle: card.getAttribute("data-cycle-id") || null
    });
  });
  B.names = live ? live.memberNames() : {};
})();
