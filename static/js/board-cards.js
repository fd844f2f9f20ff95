// The kanban board, part 2 of 6 (see board-state.js): a card's DOM, built
// as app/web_cards.go renders it, the flash of someone else's change, and
// the marks of who is editing or moving a card. createElement/textContent
// only: user text never goes through innerHTML.
(function () {
  "use strict";

  var B = window.corkboardBoardCore;
  if (!B) { return; }
  var live = B.live;

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
    a.href = "/projects/" + encodeURIComponent(B.projectId) + "/issues/" + encodeURIComponent(is.id);
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
      est.textContent = B.effortLabel(is.effort);
      meta.appendChild(est);
    }
    if (is.carryover > 0) {
      var carry = document.createElement("span");
      carry.className = "kcarry";
      carry.setAttribute("data-carryover", String(is.carryover));
      carry.title = "Carried over unfinished from " + is.carryover + " earlier cycle(s)";
      carry.textContent = "↻ " + is.carryover;
      meta.appendChild(carry);
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
    if (B.canEdit) {
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
  // signature: what a card shows of an issue; equal means nothing to redo.
  function signature(is) {
    return JSON.stringify([is.key, is.title, is.priority, is.labels, is.due_date, is.assignee_id, is.rank, is.version,
      is.effort, is.cycle_id, is.comment_count, is.carryover, B.plan.scale]);
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
    var name = B.names[av.getAttribute("data-assignee-id")] || "";
    av.title = "Assigned to " + name;
    av.textContent = live ? live.initials(name) : "?";
  }
  function refreshAvatars(memberId) {
    B.board.querySelectorAll('.kavatar[data-assignee-id="' + CSS.escape(memberId) + '"]').forEach(assigneeAvatar);
  }

  // flash marks a card changed by someone else: a short highlight and
  // their initials on the card.
  function flash(card, actor) {
    if (!actor || !actor.id || actor.id === B.userId) { return; }
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

  // --- presence: who is editing or moving which card ---

  function markEditing(card) {
    card.querySelectorAll(".kediting").forEach(function (m) { m.remove(); });
    card.removeAttribute("data-editing");
    var id = card.getAttribute("data-issue-id");
    B.others.forEach(function (u) {
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
    B.others = users;
    if (live) { live.renderPresence(users); }
    B.board.querySelectorAll("[data-editing]").forEach(markEditing);
    users.forEach(function (u) {
      [u.editing, u.dragging].forEach(function (id) {
        var card = id && B.findCard(id);
        if (card) { markEditing(card); }
      });
    });
  }

  B.cardContent = cardContent;
  B.signature = signature;
  B.setCommentCount = setCommentCount;
  B.newCard = newCard;
  B.refreshAvatars = refreshAvatars;
  B.flash = flash;
  B.markEditing = markEditing;
  B.applyPresence = applyPresence;
})();
