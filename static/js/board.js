// The kanban board: drag and drop (SortableJS, touch included) and a
// keyboard-friendly "Move to…" menu, both calling the move endpoint.
// DOM is built with createElement/textContent only (CSP, no innerHTML).
// The small functions here (findCard, placeCard, updateCounts, toast) are
// what the live layer will reuse to apply events from other people.
(function () {
  "use strict";

  var board = document.querySelector("[data-board]");
  if (!board) { return; }
  var projectId = board.getAttribute("data-project-id");
  var canEdit = board.getAttribute("data-can-edit") === "true";

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
  function neighbours(card) {
    var prev = card.previousElementSibling, next = card.nextElementSibling;
    return {
      after_id: prev ? prev.getAttribute("data-issue-id") : null,
      before_id: next ? next.getAttribute("data-issue-id") : null
    };
  }
  function updateCounts() {
    board.querySelectorAll("section[data-status]").forEach(function (col) {
      var n = col.querySelectorAll("[data-issue-id]").length;
      var badge = col.querySelector("[data-count]");
      var empty = col.querySelector("[data-empty]");
      if (empty) { empty.hidden = n > 0; }
      if (!badge) { return; }
      var limit = parseInt(badge.getAttribute("data-wip-limit"), 10);
      badge.textContent = isNaN(limit) ? String(n) : n + " / " + limit;
      badge.classList.toggle("badge-error", !isNaN(limit) && n > limit);
      badge.classList.toggle("badge-ghost", isNaN(limit) || n <= limit);
    });
  }
  function toast(message, ok) {
    var box = document.querySelector("[data-toasts]");
    if (!box) { return; }
    var el = document.createElement("div");
    el.className = "alert " + (ok ? "alert-success" : "alert-error");
    el.setAttribute("role", ok ? "status" : "alert");
    var span = document.createElement("span");
    span.textContent = message;
    el.appendChild(span);
    box.appendChild(el);
    setTimeout(function () { el.remove(); }, ok ? 3000 : 8000);
  }
  function problemText(body, status) {
    if (!body) { return "The move failed (" + status + ")."; }
    var parts = [body.detail || body.title || "The move failed."];
    (body.errors || []).forEach(function (e) { parts.push(e.field + " " + e.message); });
    return parts.join(" ");
  }

  // move sends the card's current place to the server; on failure the card
  // goes back to where it was (from: {status, index}).
  function move(card, from) {
    var id = card.getAttribute("data-issue-id");
    var body = neighbours(card);
    body.status = statusOf(card);
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
      card.setAttribute("data-rank", issue.rank);
    }).catch(function (err) {
      placeCard(card, from.status, from.index);
      toast(err.message || "The move failed: check your connection.", false);
    }).finally(function () {
      card.removeAttribute("aria-busy");
      updateCounts();
    });
  }

  function indexOf(card) {
    return Array.prototype.indexOf.call(card.parentElement.children, card);
  }

  if (!canEdit) { return; }

  // Drag and drop, within and across columns.
  if (window.Sortable) {
    board.querySelectorAll("[data-cards]").forEach(function (list) {
      window.Sortable.create(list, {
        group: "cards-" + projectId,
        animation: 150,
        forceFallback: true, // mouse/touch events instead of HTML5 DnD: same behaviour on every device
        fallbackTolerance: 3,
        delay: 150,
        delayOnTouchOnly: true,
        ghostClass: "card-ghost",
        filter: "select, input, button",
        preventOnFilter: false,
        onEnd: function (ev) {
          if (ev.from === ev.to && ev.oldIndex === ev.newIndex) { return; }
          var from = { status: ev.from.closest("section[data-status]").getAttribute("data-status"), index: ev.oldIndex };
          updateCounts();
          move(ev.item, from);
        }
      });
    });
  }

  // The keyboard/menu alternative: "Move to…" on each card.
  board.addEventListener("change", function (ev) {
    var select = ev.target.closest("[data-move-select]");
    if (!select || !select.value) { return; }
    var card = select.closest("[data-issue-id]");
    var from = { status: statusOf(card), index: indexOf(card) };
    var choice = select.value;
    select.value = "";
    if (choice === "@up" || choice === "@down") {
      var target = from.index + (choice === "@up" ? -1 : 1);
      if (target < 0 || target >= card.parentElement.children.length) { return; }
      placeCard(card, from.status, target);
    } else if (choice !== from.status) {
      placeCard(card, choice, Infinity);
    } else {
      return;
    }
    select.focus();
    move(card, from);
  });
})();
