// The live connection of a board page: one WebSocket per open board
// (GET /api/v1/projects/{pid}/ws?since=SEQ), its connection badge, the
// presence this tab sends, reconnection with jittered backoff, and the
// resync from REST when the server says the client fell too far behind.
//
// A page plugs in a "view" that applies events to its own DOM:
//   view.projectId, view.userId, view.seq   where to start
//   view.apply(msg)                         one durable event, in seq order
//   view.reset(board) -> seq                rebuild from GET …/board (resync)
//   view.presence(users)                    who else is here (self left out)
//   view.needsLoad                          true: reset from REST before the first connect
//   view.live()                             optional: the socket opened (the badge says Live)
// board.js plugs in the board, list.js the list view; this file plugs in,
// on an issue page, a presence-only view. DOM is built with createElement and
// textContent only (CSP; user text is never HTML).
(function () {
  "use strict";

  var BACKOFF_START = 250, BACKOFF_CAP = 10000, OFFLINE_AFTER = 5, PRESENCE_EVERY = 250;

  // --- small shared helpers (the board uses them too) ---

  function initials(name) {
    var out = [];
    String(name || "").split(/\s+/).forEach(function (w) {
      if (!w || out.length >= 2) { return; }
      out.push(Array.from(w)[0].toUpperCase());
    });
    return out.length ? out.join("") : "?";
  }

  function toast(message, ok, link) {
    var box = document.querySelector("[data-toasts]");
    if (!box) { return; }
    var el = document.createElement("div");
    el.className = "alert " + (ok ? "alert-success" : "alert-error");
    el.setAttribute("role", ok ? "status" : "alert");
    var span = document.createElement("span");
    span.textContent = message;
    el.appendChild(span);
    if (link) {
      var a = document.createElement("a");
      a.className = "link font-semibold";
      a.href = link.href;
      a.textContent = link.text;
      el.appendChild(a);
    }
    box.appendChild(el);
    if (!link) { setTimeout(function () { el.remove(); }, ok ? 3000 : 8000); }
  }

  // filter is the board/list filter of this page's URL, as the server
  // applies it (boardFilter.match in app/web_pages.go).
  function pageFilter() {
    var q = new URLSearchParams(location.search);
    var f = { status: q.get("status") || "", assignee: q.get("assignee") || "", query: (q.get("q") || "").trim() };
    // The cycle as the server resolved it (no parameter: the active cycle,
    // if any): "" all, "none", or a cycle's id.
    var sel = document.getElementById("f-cycle");
    f.cycle = sel ? (sel.value === "all" ? "" : sel.value) : "";
    f.active = !!(f.status || f.assignee || f.query || f.cycle);
    f.match = function (is) {
      if (f.cycle === "none" && is.cycle_id) { return false; }
      if (f.cycle && f.cycle !== "none" && is.cycle_id !== f.cycle) { return false; }
      if (f.status && is.status !== f.status) { return false; }
      if (f.assignee === "none" && is.assignee_id) { return false; }
      if (f.assignee && f.assignee !== "none" && is.assignee_id !== f.assignee) { return false; }
      if (f.query) {
        var needle = f.query.toLowerCase();
        if ([is.title, is.description, is.key].every(function (s) { return String(s || "").toLowerCase().indexOf(needle) < 0; })) { return false; }
      }
      return true;
    };
    return f;
  }

  // Who is who: seeded from the assignee filter select, kept current by
  // member events (the select follows too).
  function memberNames() {
    var names = {};
    document.querySelectorAll("#f-assignee option").forEach(function (o) {
      if (o.value && o.value !== "none") { names[o.value] = o.textContent; }
    });
    return names;
  }

  function setMemberOption(member, removed) {
    var select = document.getElementById("f-assignee");
    if (!select) { return; }
    var opt = Array.prototype.find.call(select.options, function (o) { return o.value === member.user_id; });
    if (removed) { if (opt && !opt.selected) { opt.remove(); } return; }
    if (!opt) {
      opt = document.createElement("option");
      opt.value = member.user_id;
      select.appendChild(opt);
    }
    opt.textContent = member.display_name;
  }

  function setColumnOptions(select, columns, keepFirst) {
    if (!select) { return; }
    var selected = select.value;
    Array.prototype.slice.call(select.options, keepFirst).forEach(function (o) { o.remove(); });
    columns.forEach(function (c) {
      var o = document.createElement("option");
      o.value = c.key;
      o.textContent = c.name;
      if (c.key === selected) { o.selected = true; }
      select.appendChild(o);
    });
  }

  // Header bits every board page shares: project name and key, the column
  // and member selects.
  function applyProject(p) {
    var h1 = document.querySelector("main h1");
    if (h1 && p.name) { h1.textContent = p.name; }
    var badge = h1 && h1.nextElementSibling;
    if (badge && p.key && badge.classList.contains("badge") && badge.textContent !== p.key) {
      badge.textContent = p.key;
      rekey(p.key);
    }
    var crumb = document.querySelector('.breadcrumbs [aria-current="page"]');
    if (crumb && p.name) { crumb.textContent = p.name; }
    if (p.name) { document.title = p.name + " · Corkboard"; }
  }
  // rekey renames every issue key shown (PROJ-12) after the project's key
  // changed: the number stays, the prefix follows the project.
  function rekey(projectKey) {
    function renamed(key) { return projectKey + "-" + key.slice(key.lastIndexOf("-") + 1); }
    document.querySelectorAll("[data-board] [data-issue-id][data-key]").forEach(function (card) {
      var key = renamed(card.getAttribute("data-key"));
      card.setAttribute("data-key", key);
      var k = card.querySelector(".kkey");
      if (k) { k.textContent = key; }
      var mv = card.querySelector("[data-move-button]");
      if (mv) { mv.setAttribute("aria-label", "Move " + key + "…"); }
    });
    document.querySelectorAll("[data-issue-list] tbody tr[data-issue-id]").forEach(function (tr) {
      tr.children[0].textContent = renamed(tr.children[0].textContent);
    });
  }
  function applyColumnsToSelects(columns) {
    setColumnOptions(document.getElementById("f-status"), columns, 1);
    setColumnOptions(document.getElementById("new-status"), columns, 0);
  }

  function renderPresence(users) {
    var box = document.querySelector("[data-presence]");
    if (!box) { return; }
    while (box.firstChild) { box.firstChild.remove(); }
    users.forEach(function (u) {
      var el = document.createElement("span");
      el.className = "kpresence";
      el.setAttribute("data-presence-user", u.id);
      el.title = u.name;
      el.setAttribute("role", "img");
      el.setAttribute("aria-label", u.name + " is here");
      el.textContent = initials(u.name);
      box.appendChild(el);
    });
  }

  // --- the connection ---

  var STATUS = {
    connecting: ["Connecting…", "badge-ghost"],
    live: ["Live", "badge-success"],
    reconnecting: ["Reconnecting…", "badge-warning"],
    offline: ["Offline", "badge-neutral"],
    signedout: ["Signed out", "badge-error"],
    noaccess: ["No access", "badge-error"]
  };

  var view = null, ws = null, lastSeq = 0, status = "connecting";
  // listeners: other modules of the page (the card panel, the issue page's
  // comments) that follow the same events after the view applied them,
  // and hear {type: "resync"} after a reload from REST.
  var listeners = [], loads = 0;
  function tell(msg) {
    listeners.forEach(function (fn) {
      try { fn(msg); } catch (e) { if (window.console) { console.error("live: listener", msg.type, e); } }
    });
  }
  var stats = { hellos: 0, resyncs: 0 }; // for tests and the curious
  var attempt = 0, retryTimer = null, stopped = false, terminal = false, resyncing = false;
  var presence = { viewing: null, editing: null, dragging: null }, sentPresence = "", presenceTimer = null, presenceAt = 0;

  function setStatus(s) {
    status = s;
    var badge = document.querySelector("[data-live-status]");
    if (!badge) { return; }
    badge.setAttribute("data-live-status", s);
    badge.textContent = STATUS[s][0];
    Object.keys(STATUS).forEach(function (k) { badge.classList.remove(STATUS[k][1]); });
    badge.classList.add(STATUS[s][1]);
    badge.hidden = false;
  }

  function wsURL() {
    return (location.protocol === "https:" ? "wss://" : "ws://") + location.host +
      "/api/v1/projects/" + encodeURIComponent(view.projectId) + "/ws?since=" + lastSeq;
  }

  function connect() {
    clearTimeout(retryTimer);
    retryTimer = null;
    if (stopped || terminal || ws) { return; }
    var sock;
    try { sock = new WebSocket(wsURL()); } catch (e) { retry(); return; }
    ws = sock;
    sock.onopen = function () {
      if (ws !== sock) { return; }
      setStatus("live");
      if (view.live) { view.live(); }
      sentPresence = "";
      sendPresence();
    };
    sock.onmessage = function (ev) { if (ws === sock) { receive(ev.data); } };
    sock.onclose = function (ev) { if (ws === sock) { closed(ev.code, ev.reason); } };
  }

  // closed decides what a closed socket means: stop for good (signed out,
  // access removed), reload the board (resync), or try again later.
  function closed(code, reason) {
    ws = null;
    clearTimeout(presenceTimer);
    presenceTimer = null;
    if (stopped || terminal) { return; }
    if (code === 4001) {
      stop("signedout");
      toast("Your session ended: live updates stopped.", false, { href: "/login?next=" + encodeURIComponent(location.pathname + location.search), text: "Sign in again" });
      return;
    }
    if (code === 4003) {
      stop("noaccess");
      toast("You no longer have access to this project: live updates stopped.", false, { href: "/projects", text: "Your projects" });
      return;
    }
    if (resyncing || (code === 1000 && reason === "resync")) {
      resync();
      return;
    }
    retry();
  }

  function stop(s) {
    terminal = true;
    clearTimeout(retryTimer);
    setStatus(s);
  }

  function retry(delay) {
    if (stopped || terminal) { return; }
    if (delay === undefined) {
      delay = Math.random() * Math.min(BACKOFF_CAP, BACKOFF_START * Math.pow(2, attempt)); // full jitter
      attempt++;
    }
    setStatus(navigator.onLine === false || attempt > OFFLINE_AFTER ? "offline" : "reconnecting");
    clearTimeout(retryTimer);
    retryTimer = setTimeout(function () { if (resyncing) { resync(); } else { connect(); } }, delay);
  }

  // resync reloads the whole board over REST and carries on from its seq.
  function resync() {
    resyncing = true;
    if (loads > 0 || !view.needsLoad) { stats.resyncs++; } // a view's first load is no resync
    if (ws) { // the server closes after "resync"; do not wait on it
      var sock = ws;
      ws = null;
      sock.onclose = sock.onmessage = null;
      sock.close(1000);
    }
    setStatus(navigator.onLine === false ? "offline" : "reconnecting");
    load().then(function (seq) {
      resyncing = false;
      lastSeq = seq;
      if (loads++ > 0 || !view.needsLoad) { tell({ type: "resync" }); }
      connect();
    }, function (err) {
      if (err && err.status === 401) {
        stop("signedout");
        toast("Your session ended: live updates stopped.", false, { href: "/login", text: "Sign in again" });
      } else if (err && err.status === 404) {
        stop("noaccess");
        toast("You no longer have access to this project.", false, { href: "/projects", text: "Your projects" });
      } else {
        retry();
      }
    });
  }

  function load() {
    var url = "/api/v1/projects/" + encodeURIComponent(view.projectId) + (view.reset ? "/board" : "");
    return fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } }).then(function (res) {
      if (!res.ok) { var e = new Error("load " + res.status); e.status = res.status; throw e; }
      return res.json();
    }).then(function (body) {
      if (view.reset) { return view.reset(body); }
      return body.seq;
    });
  }

  function receive(text) {
    var msg;
    try { msg = JSON.parse(text); } catch (e) { return; }
    if (!msg || typeof msg.type !== "string") { return; }
    switch (msg.type) {
      case "hello":
        attempt = 0;
        stats.hellos++;
        return;
      case "presence":
        var users = (msg.data && msg.data.users) || [];
        if (view.presence) { view.presence(users.filter(function (u) { return u.id !== view.userId; })); }
        return;
      case "resync":
        resyncing = true; // the close that follows reloads
        return;
      case "notification": // the user's, from any project: the bell shows it (notifications.js)
        document.dispatchEvent(new CustomEvent("corkboard:notification", { detail: msg.data }));
        return;
      case "notification.read": // marked read in one of the user's tabs: every bell drops (notifications.js)
        document.dispatchEvent(new CustomEvent("corkboard:notification-read", { detail: msg.data }));
        return;
      case "project.deleted":
        toast("This project was deleted.", false, { href: "/projects", text: "Your projects" });
        stop("noaccess");
        return;
    }
    if (typeof msg.seq !== "number" || msg.seq <= lastSeq) { return; } // duplicate (or not durable)
    if (msg.seq > lastSeq + 1) { resync(); return; } // a gap: never apply past it
    try {
      if (view.apply) { view.apply(msg); }
    } catch (e) {
      // A bug here must not wedge the board: reload it from the server.
      if (window.console) { console.error("live: applying", msg.type, e); }
      lastSeq = msg.seq;
      resync();
      return;
    }
    lastSeq = msg.seq;
    tell(msg);
  }

  // Presence: the latest state, sent when it changes, at most every 250 ms,
  // and only on an open socket (on open the current state goes out).
  function setPresence(patch) {
    Object.keys(patch).forEach(function (k) { presence[k] = patch[k] === undefined ? null : patch[k]; });
    sendPresence();
  }
  function sendPresence() {
    if (!ws || ws.readyState !== WebSocket.OPEN) { return; }
    var body = JSON.stringify({ type: "presence", data: presence });
    if (body === sentPresence) { return; }
    var wait = presenceAt + PRESENCE_EVERY - Date.now();
    if (wait > 0) {
      if (!presenceTimer) { presenceTimer = setTimeout(function () { presenceTimer = null; sendPresence(); }, wait); }
      return;
    }
    presenceAt = Date.now();
    sentPresence = body;
    ws.send(body);
  }

  function start(v) {
    if (view) { return; }
    view = v;
    lastSeq = parseInt(v.seq, 10) || 0;
    setStatus("connecting");
    if (v.needsLoad) { resync(); } else { connect(); }
  }

  window.addEventListener("online", function () {
    if (!ws && !terminal && !stopped) { attempt = 0; retry(0); }
  });
  window.addEventListener("offline", function () {
    if (view && !terminal) { setStatus("offline"); }
  });
  // Leaving the page is not a network drop; coming back from the
  // back/forward cache picks up from lastSeq.
  window.addEventListener("pagehide", function () {
    stopped = true;
    clearTimeout(retryTimer);
    if (ws) { var sock = ws; ws = null; sock.close(1000); }
  });
  window.addEventListener("pageshow", function (ev) {
    if (ev.persisted && view) { stopped = false; attempt = 0; connect(); }
  });

  // filterCount keeps the filter bar's "N of M issues" current (the span
  // exists only while a filter is active).
  function filterCount(shown, total) {
    var el = document.querySelector("[data-filter-count]");
    if (!el) { return; }
    el.setAttribute("data-total", String(total));
    el.textContent = shown + " of " + total + " issues";
  }

  window.corkboardLive = {
    start: start,
    subscribe: function (fn) { listeners.push(fn); },
    filterCount: filterCount,
    setPresence: setPresence,
    initials: initials,
    toast: toast,
    pageFilter: pageFilter,
    memberNames: memberNames,
    setMemberOption: setMemberOption,
    applyProject: applyProject,
    applyColumnsToSelects: applyColumnsToSelects,
    renderPresence: renderPresence,
    status: function () { return status; },
    lastSeq: function () { return lastSeq; },
    stats: function () { return { hellos: stats.hellos, resyncs: stats.resyncs }; },
    // dropForTest closes the socket as a network drop would (no close
    // handshake seen by this page) and reconnects after delayMs.
    dropForTest: function (delayMs) {
      if (!ws) { return false; }
      var sock = ws;
      ws = null;
      sock.onopen = sock.onmessage = sock.onclose = null;
      sock.close();
      retry(delayMs || 0);
      return true;
    }
  };

  // On an issue page the socket only says "I am editing (or viewing) this".
  function issueView(article) {
    var id = article.getAttribute("data-issue-id");
    var canEdit = !!document.querySelector('form[action$="/issues/' + id + '"] input[name="title"]');
    presence[canEdit ? "editing" : "viewing"] = id;
    return { projectId: article.getAttribute("data-project-id"), userId: "", seq: 0, needsLoad: true };
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (view) { return; } // the board or the list (static/js/list.js) started it
    var article = document.querySelector("article[data-issue-id][data-project-id]");
    if (article) { start(issueView(article)); }
  });
})();
