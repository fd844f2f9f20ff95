// Undo on the board (README "Trash and undo"): after a move or a delete, a
// toast offers Undo for 10 seconds. A move goes back between the card's
// old neighbours (the move API's after_id/before_id) if nobody changed the
// card since (its version is still the one the move gave it); otherwise
// the toast says so. A delete is restored from the trash.
// The board (static/js/board-move.js) and the card panel (static/js/panel.js)
// call window.corkboardUndo; DOM by createElement/textContent.
(function () {
  "use strict";

  var SECONDS = 10; // undo.css runs the countdown bar for as long
  var box = null;

  function api(method, path, body) {
    var pid = window.corkboardBoard ? window.corkboardBoard.projectId : "";
    var opts = { method: method, credentials: "same-origin", headers: { "Accept": "application/json" } };
    if (body) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    }
    return fetch("/api/v1/projects/" + encodeURIComponent(pid) + path, opts).then(function (res) {
      if (res.status === 204) { return null; }
      return res.json().catch(function () { return null; }).then(function (b) {
        if (!res.ok) { var e = new Error((b && b.detail) || "Failed (" + res.status + ")."); e.status = res.status; throw e; }
        return b;
      });
    });
  }

  function note(message, ok) {
    if (window.corkboardBoard) { window.corkboardBoard.toast(message, ok); }
  }

  // offer shows message with an Undo button for SECONDS; undo runs once.
  function offer(message, undo) {
    if (!box) {
      box = document.createElement("div");
      box.className = "kundo-box";
      box.setAttribute("aria-live", "polite");
      document.body.appendChild(box);
    }
    var el = document.createElement("div");
    el.className = "kundo";
    el.setAttribute("role", "status");
    el.setAttribute("data-undo-toast", "");
    var text = document.createElement("span");
    text.textContent = message;
    var button = document.createElement("button");
    button.type = "button";
    button.className = "btn btn-sm btn-warning";
    button.textContent = "Undo";
    button.setAttribute("data-undo", "");
    var bar = document.createElement("span");
    bar.className = "kundo-bar";
    el.appendChild(text);
    el.appendChild(button);
    el.appendChild(bar);
    box.appendChild(el);
    var timer = setTimeout(function () { el.remove(); }, SECONDS * 1000);
    button.addEventListener("click", function () {
      clearTimeout(timer);
      el.remove();
      undo();
    });
  }

  function keyOf(issue) { return issue.key || "The card"; }

  // before is called as a move starts, with the card's place before it
  // (from: {status, index} among the column's other cards): it remembers
  // the old neighbours and returns what to call when the move succeeded.
  function before(card, from) {
    var board = window.corkboardBoard;
    var list = board && board.findColumnList ? board.findColumnList(from.status) : null;
    var others = list ? Array.prototype.filter.call(list.children, function (c) { return c !== card; }) : [];
    var after = others[from.index - 1], next = others[from.index];
    var back = {
      status: from.status,
      after_id: after ? after.getAttribute("data-issue-id") : null,
      before_id: next ? next.getAttribute("data-issue-id") : null
    };
    return {
      done: function (issue) {
        offer("Moved " + keyOf(issue) + ".", function () { undoMove(issue, back); });
      }
    };
  }

  // undoMove sends the version the move gave the card: the server moves it
  // back only if nobody changed it since (409 otherwise, nothing moved), in
  // the same transaction as the move, so no change can slip in between.
  function undoMove(moved, back) {
    var path = "/issues/" + encodeURIComponent(moved.id) + "/move";
    var body = { status: back.status, after_id: back.after_id, before_id: back.before_id, version: moved.version };
    api("POST", path, body).catch(function (err) {
      if (err.status !== 422) { throw err; }
      // A neighbour moved on meanwhile: back to the column, at the bottom.
      return api("POST", path, { status: back.status, version: moved.version });
    }).then(function (issue) {
      if (window.corkboardBoard && window.corkboardBoard.applyIssue) { window.corkboardBoard.applyIssue(issue); }
    }).catch(function (err) {
      if (err.status === 409) {
        note("Cannot undo: " + keyOf(moved) + " was changed since.", false);
        return;
      }
      note("Cannot undo: " + (err.status === 404 ? keyOf(moved) + " is gone." : err.message), false);
    });
  }

  // restore takes an issue out of the trash and puts it back on the board;
  // the promise gives the restored issue, or null when that failed (said
  // in a toast).
  function restore(issue) {
    return api("POST", "/issues/" + encodeURIComponent(issue.id) + "/restore").then(function (is) {
      if (window.corkboardBoard && window.corkboardBoard.applyIssue) { window.corkboardBoard.applyIssue(is); }
      note(keyOf(is) + " is back.", true);
      return is;
    }).catch(function (err) {
      note("Cannot undo: " + (err.status === 404 ? keyOf(issue) + " is no longer in the trash." : err.message), false);
      return null;
    });
  }

  // deleted offers to restore an issue that went to the trash.
  function deleted(issue) {
    offer("Moved " + keyOf(issue) + " to the trash.", function () { restore(issue); });
  }

  // trash deletes a card from the board (its menu), then offers Undo.
  function trash(card) {
    var id = card.getAttribute("data-issue-id");
    var issue = { id: id, key: card.getAttribute("data-key") || "" };
    api("DELETE", "/issues/" + encodeURIComponent(id)).then(function () {
      if (window.corkboardBoard && window.corkboardBoard.removeIssue) {
        window.corkboardBoard.removeIssue(id); // the card, its count, the next card of its column
      } else if (card.isConnected) {
        card.corkboardGone = true;
        card.remove();
      }
      deleted(issue);
    }).catch(function (err) { note(err.message || "The delete failed.", false); });
  }

  window.corkboardUndo = { before: before, deleted: deleted, trash: trash, restore: restore };

  // The issue page's delete form comes back to the board with
  // #deleted=<id>&key=<key>: offer its Undo here, once.
  document.addEventListener("DOMContentLoaded", function () {
    var m = /^#deleted=([0-9a-f-]{36})(?:&key=([A-Za-z0-9-]{1,24}))?$/.exec(location.hash);
    if (!m || !window.corkboardBoard) { return; }
    history.replaceState(null, "", location.pathname + location.search);
    deleted({ id: m[1], key: m[2] || "" });
  });
})();
