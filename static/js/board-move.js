// The kanban board, part 5 of 6 (see board-state.js): moving cards. Drag
// and drop (SortableJS, touch included) and a keyboard-friendly "Move to…"
// menu both call the move endpoint; on failure the card goes back.
(function () {
  "use strict";

  var B = window.corkboardBoardCore;
  if (!B) { return; }
  var board = B.board, live = B.live, projectId = B.projectId, plan = B.plan, busy = B.busy;

  function problemText(body, status) {
    if (!body) { return "The move failed (" + status + ")."; }
    if (status === 409 && /over-capacity$/.test(body.type || "")) {
      var who = (plan.members[body.user_id] && plan.members[body.user_id].name) || B.names[body.user_id] || "The assignee";
      return "Over capacity: " + who + " would carry " + body.load + " points against a capacity of " + body.capacity +
        " in this cycle. The card went back.";
    }
    var parts = [body.detail || body.title || "The move failed."];
    (body.errors || []).forEach(function (e) { parts.push(e.field + " " + e.message); });
    return parts.join(" ");
  }

  // move sends the card's place to the server: body ({status, after_id,
  // before_id}), or by default where the card now sits among its rendered
  // neighbours. known follows at once (the counts), and on failure the
  // card goes back to where the server last had it (from: {status, index}
  // when that is not known).
  function move(card, from, body) {
    var id = card.getAttribute("data-issue-id");
    if (!body) {
      body = B.neighbours(card);
      body.status = B.statusOf(card);
    }
    var undo = window.corkboardUndo ? window.corkboardUndo.before(card, from) : null; // static/js/undo.js
    var k = B.known.get(id), was = k ? { status: k.status, version: k.version } : null;
    if (k) { B.setKnown(Object.assign({}, k, { status: body.status })); }
    B.recount();
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
      var cur = B.known.get(issue.id);
      if (!card.corkboardGone && (!cur || cur.version < issue.version)) {
        B.setKnown(B.entry(issue, B.filter.match(issue) && !!B.cardList(issue.status)));
      }
      if (issue.version > B.version(card) && !card.corkboardGone) {
        B.cardContent(card, issue);
        B.markEditing(card);
      }
      if (undo) { undo.done(issue); }
    }).catch(function (err) {
      if (card.corkboardGone) { return; }
      var cur = B.known.get(id);
      if (cur && was && cur.version === was.version && cur.status !== was.status) {
        cur = Object.assign({}, cur, { status: was.status });
        B.setKnown(cur);
      }
      if (cur && cur.shown && B.cardList(cur.status)) { B.placeByRank(card, cur.status); } else { B.placeCard(card, from.status, from.index); }
      B.toast(err.message || "The move failed: check your connection.", false);
    }).finally(function () {
      card.removeAttribute("aria-busy");
      B.recount();
    });
  }

  // timeToFrame records, as performance measure name, the time from an
  // input event (its timeStamp, on performance.now()'s clock) to the end of
  // the first frame after now: what the user waits for. `make bench-browser`
  // reads corkboard:drag-start (pointer event that started the drag to the
  // frame after onStart) and corkboard:drop (release to the frame after
  // the DOM changed and the move request went out).
  function timeToFrame(name, ev) {
    var from = ev && typeof ev.timeStamp === "number" && ev.timeStamp > 0 ? ev.timeStamp : performance.now();
    requestAnimationFrame(function () {
      setTimeout(function () { try { performance.measure(name, { start: from, end: performance.now() }); } catch (e) { /* old browser */ } }, 0);
    });
  }

  // wireList makes a column's list a drop target: drag and drop, within
  // and across columns.
  function wireList(list) {
    if (!B.canEdit || !window.Sortable) { return; }
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
        timeToFrame("corkboard:drag-start", ev.originalEvent);
      },
      onEnd: function (ev) {
        var id = ev.item.getAttribute("data-issue-id");
        if (live) { live.setPresence({ dragging: null }); }
        if (!(ev.from === ev.to && ev.oldIndex === ev.newIndex)) {
          var from = { status: ev.from.closest("section[data-status]").getAttribute("data-status"), index: ev.oldIndex };
          move(ev.item, from); // reads the drop place now, before queued changes apply
          B.fill(ev.from); // the column it left shows its next card, if it has more
        }
        B.release(id);
        timeToFrame("corkboard:drop", ev.originalEvent);
      }
    });
  }
  B.wireList = wireList;

  if (!B.canEdit) { return; }

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
    if (id) { B.release(id); }
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
    var from = { status: B.statusOf(card), index: B.indexOf(card) };
    B.placeCard(card, status, index);
    if (B.statusOf(card) === from.status && B.indexOf(card) === from.index) { return; }
    move(card, from);
  }
  // toBottom moves card to the bottom of column status. When that column
  // has cards below its rendered window, the bottom is not on screen: the
  // move names no neighbour (the server puts the card last) and the card
  // leaves the window.
  function toBottom(card, status) {
    var list = B.cardList(status);
    if (!list) { return; }
    if (B.complete(list, card.getAttribute("data-issue-id"))) { moveCardTo(card, status, Infinity); return; }
    var from = { status: B.statusOf(card), index: B.indexOf(card) }, fromList = card.parentElement;
    card.remove();
    move(card, from, { status: status });
    B.fill(fromList);
  }

  // Menu actions close the menu (which applies queued changes) and then
  // move: the move goes where the user asked, relative to the board as it is.
  function openMenu(button) {
    closeMenu(false);
    var card = button.closest("[data-issue-id]");
    var here = B.statusOf(card), at = B.indexOf(card), list = card.parentElement;
    if (!card.nextElementSibling) { B.more(list); } // the card below, if the column has more than it renders
    var bottom = !card.nextElementSibling && B.complete(list, card.getAttribute("data-issue-id"));
    menu = document.createElement("ul");
    menu.className = "kmenu";
    menu.setAttribute("role", "menu");
    menu.setAttribute("aria-label", "Move " + (card.getAttribute("data-key") || "card"));
    if (at > 0) { menu.appendChild(menuItem("↑ Move up", function () { closeMenu(true); moveCardTo(card, here, B.indexOf(card) - 1); })); }
    if (!bottom) {
      menu.appendChild(menuItem("↓ Move down", function () { closeMenu(true); moveCardTo(card, here, B.indexOf(card) + 1); }));
    }
    board.querySelectorAll("section[data-status]").forEach(function (col) {
      var status = col.getAttribute("data-status");
      if (status === here) { return; }
      var name = col.querySelector("h2").textContent;
      menu.appendChild(menuItem("→ " + name, function () { closeMenu(true); toBottom(card, status); }));
    });
    if (at > 0) { menu.appendChild(menuItem("⤒ Move to top", function () { closeMenu(true); moveCardTo(card, here, 0); })); }
    if (!bottom) { menu.appendChild(menuItem("⤓ Move to bottom", function () { closeMenu(true); toBottom(card, here); })); }
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
