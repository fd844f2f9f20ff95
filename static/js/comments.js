// An issue's comments and activity, live: on the issue page and in the card
// panel, comment.* events add, change and remove comments in place and any
// event of the issue refreshes its activity. In the panel the comment forms
// also go through the REST API instead of posting the page.
//
// Comment bodies are Markdown that only the server renders and sanitises
// (bluemonday, app/web_render.go). The browser fetches the server's HTML
// fragment (GET /projects/{pid}/issues/{iid}/comments/{cid}, …/activity,
// …/panel), parses it with DOMParser (scripts in it never run, and CSP
// forbids inline ones anyway) and adopts the parsed nodes. User text is
// never put into the page with innerHTML, and never as raw text: only what
// the server escaped and sanitised. Everything built here uses textContent.
(function () {
  "use strict";

  var live = window.corkboardLive || null;

  function enc(s) { return encodeURIComponent(s); }
  function pagePath(ctx) { return "/projects/" + enc(ctx.projectId) + "/issues/" + enc(ctx.issueId); }
  function apiPath(ctx) { return "/api/v1" + pagePath(ctx); }

  // fragment fetches a server-rendered fragment and returns its parsed
  // body (null when it is gone: 404).
  function fragment(url) {
    return fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } }).then(function (res) {
      if (res.status === 404) { return null; }
      // Sent to the sign-in page (the session ended): not an answer about
      // the issue, so nothing is removed because of it.
      if (!res.ok || res.redirected) { throw new Error("fragment " + res.status); }
      return res.text();
    }).then(function (html) {
      if (html === null) { return null; }
      return new DOMParser().parseFromString(html, "text/html").body;
    });
  }
  function adopt(node) { return node ? document.importNode(node, true) : null; }

  // problemText turns a problem+json answer into one sentence.
  function problemText(body, status) {
    if (!body) { return "That failed (" + status + ")."; }
    var parts = [body.detail || body.title || "That failed."];
    (body.errors || []).forEach(function (e) { parts.push(humanField(e.field) + " " + e.message + "."); });
    return parts.join(" ");
  }
  function humanField(f) { f = String(f || "").replace(/_/g, " "); return f.charAt(0).toUpperCase() + f.slice(1); }

  // api sends one JSON request; it resolves {status, body}.
  function api(method, url, body) {
    var init = { method: method, credentials: "same-origin", headers: { "Accept": "application/json" } };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    return fetch(url, init).then(function (res) {
      if (res.status === 204) { return { status: 204, body: null }; }
      return res.json().catch(function () { return null; }).then(function (b) { return { status: res.status, body: b }; });
    });
  }

  function section(root) { return root.querySelector("[data-comments]"); }
  function findComment(root, id) { return root.querySelector('[data-comment-id="' + CSS.escape(id) + '"]'); }

  // latest: per comment, the newest fetch started; an older one that
  // answers later is dropped, so comments never step back in time.
  var latest = {}, fetchSeq = 0;

  // upsert fetches a comment as the server renders it for this viewer and
  // puts it in place. A comment the user is editing keeps their form
  // (force: their own save just landed).
  function upsert(root, ctx, id, force) {
    var mine = ++fetchSeq;
    latest[id] = mine;
    return fragment(pagePath(ctx) + "/comments/" + enc(id)).then(function (body) {
      if (latest[id] !== mine) { return; }
      var old = findComment(root, id);
      var fresh = adopt(body && body.querySelector("[data-comment-id]"));
      if (!fresh) { if (old) { old.remove(); } return; }
      if (old) {
        var open = old.querySelector("details[open]");
        if (open && !force) { old.setAttribute("data-comment-changed", ""); return; }
        old.replaceWith(fresh);
        return;
      }
      var sec = section(root), list = sec && sec.querySelector("[data-comment-list]");
      if (!list || sec.querySelector("[data-more-comments]")) { return; } // it belongs on a later page
      var none = list.querySelector("[data-no-comments]");
      if (none) { none.remove(); }
      list.appendChild(fresh);
    }).catch(function () {}); // the next event or resync brings it
  }

  function remove(root, id) {
    latest[id] = ++fetchSeq;
    var el = findComment(root, id);
    if (el) { el.remove(); }
    var sec = section(root), list = sec && sec.querySelector("[data-comment-list]");
    if (list && !list.querySelector("[data-comment-id]") && !list.querySelector("[data-no-comments]")) {
      var p = document.createElement("p");
      p.className = "opacity-70";
      p.setAttribute("data-no-comments", "");
      p.textContent = "No comments yet.";
      list.appendChild(p);
    }
  }

  function bumpCount(root, delta) {
    var el = root.querySelector("[data-comments] [data-comment-count]");
    if (el) { el.textContent = String(Math.max(0, (parseInt(el.textContent, 10) || 0) + delta)); }
  }

  // refreshActivity reloads the activity section, at most one fetch in
  // flight and one more queued however many events arrive.
  function refreshActivity(root, ctx) {
    var st = root.corkboardActivity || (root.corkboardActivity = { busy: false, again: false });
    if (st.busy) { st.again = true; return; }
    st.busy = true;
    fragment(pagePath(ctx) + "/activity").then(function (body) {
      var fresh = adopt(body && body.querySelector("[data-activity]"));
      var old = root.querySelector("[data-activity]");
      if (fresh && old) { old.replaceWith(fresh); }
    }).catch(function () {}).then(function () {
      st.busy = false;
      if (st.again) { st.again = false; refreshActivity(root, ctx); }
    });
  }

  // refreshAll reloads comments (keeping a form being typed in) and the
  // activity, after the live layer reloaded from REST.
  function refreshAll(root, ctx) {
    fragment(pagePath(ctx) + "/panel").then(function (body) {
      if (!body) { return; }
      var sec = section(root), list = sec && sec.querySelector("[data-comment-list]");
      var freshList = body.querySelector("[data-comment-list]"), freshCount = body.querySelector("[data-comment-count]");
      if (list && freshList && !list.querySelector("details[open]")) { list.replaceWith(adopt(freshList)); }
      var count = sec && sec.querySelector("[data-comment-count]");
      if (count && freshCount) { count.textContent = freshCount.textContent; }
    }).catch(function () {});
    refreshActivity(root, ctx);
  }

  // apply follows one live event for the issue shown in root.
  function apply(root, ctx, msg) {
    var d = msg.data || {};
    if (msg.type === "resync") { refreshAll(root, ctx); return; }
    var mine = (msg.type.indexOf("comment.") === 0 && d.issue_id === ctx.issueId) ||
      (msg.type.indexOf("issue.") === 0 && d.id === ctx.issueId);
    if (!mine) { return; }
    switch (msg.type) {
      case "comment.created":
        bumpCount(root, 1);
        upsert(root, ctx, d.id, false);
        break;
      case "comment.updated":
        upsert(root, ctx, d.id, false);
        break;
      case "comment.deleted":
        bumpCount(root, -1);
        remove(root, d.id);
        break;
    }
    refreshActivity(root, ctx);
  }

  function showError(form, text) {
    var el = form.querySelector("[data-form-error]");
    if (!el) {
      el = document.createElement("p");
      el.className = "text-error text-sm";
      el.setAttribute("data-form-error", "");
      el.setAttribute("role", "alert");
      form.insertBefore(el, form.querySelector("button:last-of-type"));
    }
    el.textContent = text;
    el.hidden = !text;
  }

  // commentConflict shows, above an edit form, the comment as it is now
  // (from a 409) and moves the form to that version: saving again keeps
  // the user's text, knowingly.
  function commentConflict(form, current) {
    var box = form.querySelector("[data-comment-conflict]");
    if (box) { box.remove(); }
    box = document.createElement("div");
    box.className = "alert alert-warning flex-col items-start";
    box.setAttribute("role", "alert");
    box.setAttribute("data-comment-conflict", "");
    var p1 = document.createElement("p");
    var strong = document.createElement("strong");
    strong.textContent = "This comment changed since you opened it";
    p1.appendChild(strong);
    p1.appendChild(document.createTextNode(" (now version " + current.version + "). Saved now:"));
    var p2 = document.createElement("p");
    p2.className = "break-words whitespace-pre-line";
    p2.textContent = current.body;
    var p3 = document.createElement("p");
    p3.textContent = "Your text is still below: save again to replace it.";
    [p1, p2, p3].forEach(function (p) { box.appendChild(p); });
    form.insertBefore(box, form.firstChild);
    form.querySelector('input[name="version"]').value = String(current.version);
  }

  // wireForms makes the comment forms in root use the REST API (the card
  // panel: posting the page would leave the board).
  function wireForms(root, ctx) {
    root.addEventListener("submit", function (ev) {
      var form = ev.target;
      var id = form.closest("[data-comment-id]") && form.closest("[data-comment-id]").getAttribute("data-comment-id");
      var req;
      if (form.hasAttribute("data-comment-new")) {
        req = api("POST", apiPath(ctx) + "/comments", { body: form.querySelector("textarea").value });
      } else if (form.hasAttribute("data-comment-edit")) {
        req = api("PATCH", apiPath(ctx) + "/comments/" + enc(id), {
          body: form.querySelector("textarea").value,
          version: parseInt(form.querySelector('input[name="version"]').value, 10) || 0
        });
      } else if (form.hasAttribute("data-comment-delete")) {
        if (!window.confirm(form.getAttribute("data-confirm") || "Delete this comment?")) { ev.preventDefault(); return; }
        req = api("DELETE", apiPath(ctx) + "/comments/" + enc(id));
      } else {
        return;
      }
      ev.preventDefault();
      var button = form.querySelector("button");
      if (button) { button.disabled = true; }
      req.then(function (r) {
        if (r.status === 201) {
          form.querySelector("textarea").value = "";
          showError(form, "");
          return upsert(root, ctx, r.body.id, true);
        }
        if (r.status === 200) { return upsert(root, ctx, id, true); }
        if (r.status === 204) { remove(root, id); return; }
        if (r.status === 409 && r.body && r.body.current) { commentConflict(form, r.body.current); return; }
        showError(form, problemText(r.body, r.status));
      }).catch(function () {
        showError(form, "That failed: check your connection.");
      }).then(function () {
        if (button) { button.disabled = false; }
      });
    });
  }

  window.corkboardComments = {
    apply: apply, wireForms: wireForms, refreshActivity: refreshActivity, refreshAll: refreshAll,
    fragment: fragment, adopt: adopt, api: api, problemText: problemText
  };

  // The issue page: its comments and activity follow the project's events
  // (its forms keep posting the page: they work without JavaScript).
  document.addEventListener("DOMContentLoaded", function () {
    var article = document.querySelector("article[data-issue-id][data-project-id]");
    if (!article || !live || document.querySelector("[data-board]")) { return; }
    var ctx = { projectId: article.getAttribute("data-project-id"), issueId: article.getAttribute("data-issue-id") };
    live.subscribe(function (msg) { apply(document, ctx, msg); });
  });
})();
