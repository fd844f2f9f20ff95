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
    applyIssue: function (is) { B.applyIssue(is, null); B.recountHidden(); }
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

  if (B.live) {
    B.live.start({
      projectId: B.projectId, userId: B.userId, seq: B.board.getAttribute("data-seq"),
      needsLoad: B.filter.active, apply: B.applyEvent, reset: B.reset, presence: B.applyPresence,
      live: interactive
    });
  }
})();
