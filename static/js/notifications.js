// The bell in the header: its unread count and latest notifications,
// live. live.js turns each {"type":"notification"} frame of the board
// socket into a "corkboard:notification" event; this adds it to the
// dropdown and counts it. Pages without a socket refresh the count when
// the tab comes back into view. Without JavaScript the bell is a plain
// <details> dropdown with a link to /notifications. DOM is built with
// createElement and textContent only (user text is never HTML).
(function () {
  "use strict";

  var MAX_ITEMS = 8;

  // sentence mirrors app/notify.Sentence.
  function sentence(n) {
    var who = (n.actor && n.actor.name) || "", key = n.issue.key;
    switch (n.kind) {
      case "mention": return who + " mentioned you on " + key;
      case "assigned": return who + " assigned you " + key;
      case "comment": return who + " commented on " + key;
      case "status": return who + " moved " + key;
      case "due_soon": return key + " is due tomorrow";
      case "over_capacity": return who + " put you over capacity with " + key;
    }
    return who + " changed " + key;
  }

  function setCount(bell, n) {
    n = Math.max(0, n);
    bell.setAttribute("data-unread-count", String(n));
    var badge = bell.querySelector("[data-unread-badge]");
    if (badge) {
      badge.textContent = String(n);
      badge.hidden = n === 0;
    }
    var summary = bell.querySelector("summary");
    if (summary) { summary.setAttribute("aria-label", "Notifications, " + n + " unread"); }
  }

  function item(n) {
    var li = document.createElement("li");
    li.className = "notify-unread";
    var a = document.createElement("a");
    a.href = "/projects/" + encodeURIComponent(n.project.id) + "/issues/" + encodeURIComponent(n.issue.id);
    var s = document.createElement("span");
    s.className = "notify-sentence";
    s.textContent = sentence(n);
    var t = document.createElement("span");
    t.className = "notify-title";
    t.textContent = n.issue.title;
    a.appendChild(s);
    a.appendChild(t);
    li.appendChild(a);
    return li;
  }

  function received(bell, n) {
    if (!n || !n.issue || !n.project) { return; }
    setCount(bell, (parseInt(bell.getAttribute("data-unread-count"), 10) || 0) + 1);
    var list = bell.querySelector("[data-notification-items]");
    if (!list) { return; }
    var empty = list.querySelector("[data-notification-empty]");
    if (empty) { empty.remove(); }
    list.insertBefore(item(n), list.firstChild);
    while (list.children.length > MAX_ITEMS) { list.removeChild(list.lastChild); }
  }

  function refresh(bell) {
    fetch("/api/v1/notifications?unread=true&limit=1", { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (res) { return res.ok ? res.json() : null; })
      .then(function (body) { if (body && typeof body.unread_count === "number") { setCount(bell, body.unread_count); } })
      .catch(function () {});
  }

  document.addEventListener("DOMContentLoaded", function () {
    var bell = document.querySelector("[data-notification-bell]");
    if (!bell) { return; }
    document.addEventListener("corkboard:notification", function (ev) { received(bell, ev.detail); });
    document.addEventListener("visibilitychange", function () { if (!document.hidden) { refresh(bell); } });
    // A dropdown closes on a click elsewhere and on Escape.
    document.addEventListener("click", function (ev) {
      if (bell.open && !bell.contains(ev.target)) { bell.open = false; }
    });
    document.addEventListener("keydown", function (ev) {
      if (ev.key === "Escape" && bell.open) { bell.open = false; bell.querySelector("summary").focus(); }
    });
  });
})();
