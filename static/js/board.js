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

  // For the live layer (applying other people's changes to this DOM).
  window.corkboardBoard = {
    projectId: projectId, findCard: findCard, placeCard: placeCard, indexOf: indexOf,
    statusOf: statusOf, updateCounts: updateCounts, toast: toast
  };

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
        filter: "[data-move-button]",
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
    menuCard = menuButton = null;
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

  function openMenu(button) {
    closeMenu(false);
    var card = button.closest("[data-issue-id]");
    var here = statusOf(card), at = indexOf(card);
    menu = document.createElement("ul");
    menu.className = "kmenu";
    menu.setAttribute("role", "menu");
    menu.setAttribute("aria-label", "Move " + (card.getAttribute("data-key") || "card"));
    if (at > 0) { menu.appendChild(menuItem("↑ Move up", function () { closeMenu(true); moveCardTo(card, here, at - 1); })); }
    if (at < card.parentElement.children.length - 1) {
      menu.appendChild(menuItem("↓ Move down", function () { closeMenu(true); moveCardTo(card, here, at + 1); }));
    }
    board.querySelectorAll("section[data-status]").forEach(function (col) {
      var status = col.getAttribute("data-status");
      if (status === here) { return; }
      var name = col.querySelector("h2").textContent;
      menu.appendChild(menuItem("→ " + name, function () { closeMenu(true); moveCardTo(card, status, Infinity); }));
    });
    document.body.appendChild(menu);
    var r = button.getBoundingClientRect();
    menu.style.top = (window.scrollY + r.bottom + 4) + "px";
    menu.style.left = Math.max(8, Math.min(window.scrollX + r.right - menu.offsetWidth, window.scrollX + window.innerWidth - menu.offsetWidth - 8)) + "px";
    menuCard = card;
    menuButton = button;
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
