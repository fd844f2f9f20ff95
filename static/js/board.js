// The kanban board, part 6 of 6 (see board-state.js for the parts): what
// other modules of the page use (window.corkboardBoard: static/js/undo.js,
// static/js/panel.js), the drop targets, and the live layer's start.
(function () {
  "use strict";

  var B = window.corkboardBoardCore;
  if (!B) { return; }

  window.corkboardBoard = {
    projectId: B.projectId, findCard: B.findCard, placeCard: B.placeCard, placeByRank: B.placeByRank, indexOf: B.indexOf,
    statusOf: B.statusOf, updateCounts: B.updateCounts, toast: B.toast, findColumnList: B.cardList,
    applyIssue: function (is) { B.applyIssue(is, null); B.recount(); },
    removeIssue: function (id) { B.removeIssue(id); B.recount(); }
  };

  B.board.querySelectorAll("[data-cards]").forEach(B.wireList);

  // interactive marks (performance.mark "corkboard:interactive", once) the
  // moment the board is fully usable: its handlers attached, every issue
  // of the board in its state, and the live socket open. `make
  // bench-browser` reports it.
  var marked = false;
  function interactive() {
    if (marked) { return; }
    marked = true;
    if (window.performance && performance.mark) { performance.mark("corkboard:interactive"); }
  }

  // topUp renders more of list's column while less than AHEAD pixels of
  // cards lie below what it shows: scrolling never reaches the end of the
  // rendered cards of a column that has more. Scroll events do not bubble:
  // listened to in the capture phase.
  var AHEAD = 400;
  function topUp(list) {
    for (var i = 0; i < 100 && B.loaded && !B.complete(list, null) &&
        list.scrollHeight - list.clientHeight - list.scrollTop < AHEAD; i++) {
      B.more(list);
    }
  }
  B.board.addEventListener("scroll", function (ev) {
    if (ev.target.matches && ev.target.matches("[data-cards]")) { topUp(ev.target); }
  }, { capture: true, passive: true });
  function reset(data) {
    var seq = B.reset(data);
    B.board.querySelectorAll("[data-cards]").forEach(topUp);
    return seq;
  }

  // The live layer loads the whole board (GET …/board) and then connects;
  // it starts after the first paint so that the load does not delay it (a
  // timer too: a hidden tab runs no animation frames).
  var started = false;
  function start() {
    if (started || !B.live) { return; }
    started = true;
    B.live.start({
      projectId: B.projectId, userId: B.userId, seq: B.board.getAttribute("data-seq"),
      needsLoad: true, apply: B.applyEvent, reset: reset, presence: B.applyPresence,
      live: interactive
    });
  }
  requestAnimationFrame(function () { setTimeout(start, 0); });
  setTimeout(start, 500);
})();
