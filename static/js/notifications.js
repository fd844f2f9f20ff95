// The bell in the header: its unread count and latest notifications,
// live. live.js turns each {"type":"notification"} frame of the board
// socket into a "corkboard:notification" event; this adds it to the
// dropdown and counts it. Clicking an unread one (in the dropdown or on
// /notifications) marks it read (POST /api/v1/notifications/read) before
// going to the issue; the server then sends {"type":"notification.read",
// data:{ids|all, unread_count}} to every socket of the user, so the
// user's other tabs drop their count too ("corkboard:notification-read").
// Pages without a socket (projects, settings) refresh the count when the
// tab comes back into view. Without JavaScript the bell is a plain
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
    li.setAttribute("data-notification-id", n.id);
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

  function count(bell) { return parseInt(bell.getAttribute("data-unread-count"), 10) || 0; }

  // items are the notification's entries on this page (bell and page).
  function items(id) {
    return Array.prototype.filter.call(document.querySelectorAll("[data-notification-id]"), function (li) {
      return id === undefined || li.getAttribute("data-notification-id") === id;
    });
  }
  function showRead(li) {
    li.classList.remove("notify-unread");
    var form = li.querySelector("[data-mark-read]");
    if (form) { form.remove(); }
  }

  // read applies a notification.read frame (from this tab or another).
  function read(bell, d) {
    if (!d) { return; }
    (d.all ? items() : (d.ids || []).reduce(function (acc, id) { return acc.concat(items(id)); }, [])).forEach(showRead);
    if (bell && typeof d.unread_count === "number") { setCount(bell, d.unread_count); }
  }

  // markRead marks one notification read; the promise settles either way.
  // keepalive: the request outlives this page when a click leaves it.
  function markRead(bell, id) {
    return fetch("/api/v1/notifications/read", {
      method: "POST", credentials: "same-origin", keepalive: true,
      headers: { "Accept": "application/json", "Content-Type": "application/json" },
      body: JSON.stringify({ ids: [id] })
    }).then(function (res) {
      if (!res.ok) { return; }
      var wasUnread = items(id).some(function (li) { return li.classList.contains("notify-unread"); });
      items(id).forEach(showRead);
      // The frame that follows carries the exact count; this is for a tab
      // without a socket.
      if (bell && wasUnread) { setCount(bell, count(bell) - 1); }
    }).catch(function () {});
  }

  // clicked: a click on an unread notification's link marks it read, then
  // follows the link (a new-tab click marks it and lets the browser go).
  function clicked(bell, ev) {
    var a = ev.target.closest && ev.target.closest("a[href]");
    var li = a && a.closest("[data-notification-id]");
    if (!li || !li.classList.contains("notify-unread") || ev.defaultPrevented || ev.button !== 0) { return; }
    var id = li.getAttribute("data-notification-id");
    if (ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) { markRead(bell, id); return; }
    ev.preventDefault();
    var gone = false, go = function () { if (!gone) { gone = true; location.href = a.href; } };
    setTimeout(go, 1500); // a slow answer must not hold the click up for long
    markRead(bell, id).then(go);
  }

  function refresh(bell) {
    fetch("/api/v1/notifications?unread=true&limit=1", { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (res) { return res.ok ? res.json() : null; })
      .then(function (body) { if (body && typeof body.unread_count === "number") { setCount(bell, body.unread_count); } })
      .catch(function () {});
  }

  document.addEventListener("DOMContentLoaded", function () {
    var bell = document.querySelector("[data-notification-bell]");
    document.addEventListener("click", function (ev) { clicked(bell, ev); });
    document.addEventListener("auxclick", function (ev) { // middle click: a new tab
      if (ev.button !== 1) { return; }
      var li = ev.target.closest && ev.target.closest("[data-notification-id].notify-unread");
      if (li && ev.target.closest("a[href]")) { markRead(bell, li.getAttribute("data-notification-id")); }
    });
    document.addEventListener("corkboard:notification-read", function (ev) { read(bell, ev.detail); });
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
