// The list view (?view=list): a sortable table of the project's issues that
// the live connection (static/js/live.js) keeps current. Rows are built with
// createElement/textContent only, as ui/templates/pages/list.html draws them.
(function () {
  "use strict";

  var live = window.corkboardLive;
  var table = document.querySelector("[data-issue-list]");
  if (!live || !table) { return; }

  var MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  var PRIORITIES = ["low", "medium", "high", "urgent"];

  function listView(table) {
    var projectId = table.getAttribute("data-project-id"), userId = table.getAttribute("data-user-id");
    var tbody = table.querySelector("tbody");
    var wrap = table.closest("[data-list-wrap]") || table.parentElement;
    var empty = document.querySelector("[data-list-empty]");
    var filter = live.pageFilter();
    var names = live.memberNames();
    var columns = [];
    document.querySelectorAll("#f-status option").forEach(function (o) {
      if (o.value) { columns.push({ key: o.value, name: o.textContent }); }
    });
    var q = new URLSearchParams(location.search);
    var sortKey = q.get("sort") || "number", dir = q.get("dir") || "desc";

    function columnName(key) {
      var c = columns.find(function (c) { return c.key === key; });
      return c ? c.name : key;
    }
    function date(iso) {
      var d = new Date(iso);
      return d.getUTCDate() + " " + MONTHS[d.getUTCMonth()] + " " + d.getUTCFullYear();
    }
    function td(cls) {
      var el = document.createElement("td");
      if (cls) { el.className = cls; }
      return el;
    }
    function assigneeCell(cell, id) {
      while (cell.firstChild) { cell.firstChild.remove(); }
      if (id) { cell.textContent = names[id] || ""; return; }
      var none = document.createElement("span");
      none.className = "opacity-50";
      none.textContent = "—";
      cell.appendChild(none);
    }
    // row builds the same markup as ui/templates/pages/list.html.
    function row(is) {
      var tr = document.createElement("tr");
      tr.setAttribute("data-issue-id", is.id);
      tr.setAttribute("data-number", String(is.number));
      tr.setAttribute("data-status", is.status);
      tr.setAttribute("data-priority", is.priority);
      tr.setAttribute("data-assignee-id", is.assignee_id || "");
      tr.setAttribute("data-updated", String(Date.parse(is.updated_at)));
      var key = td("whitespace-nowrap");
      key.textContent = is.key;
      var title = td(), a = document.createElement("a");
      a.className = "link link-hover";
      a.href = "/projects/" + encodeURIComponent(projectId) + "/issues/" + encodeURIComponent(is.id);
      a.textContent = is.title;
      title.appendChild(a);
      (is.labels || []).forEach(function (l) {
        var b = document.createElement("span");
        b.className = "badge badge-xs badge-outline";
        b.textContent = l;
        title.appendChild(document.createTextNode(" "));
        title.appendChild(b);
      });
      var st = td();
      st.textContent = columnName(is.status);
      var pr = td(), pb = document.createElement("span");
      pb.className = "badge badge-sm priority-" + is.priority;
      pb.textContent = is.priority;
      pr.appendChild(pb);
      var as = td();
      assigneeCell(as, is.assignee_id);
      var up = td("whitespace-nowrap");
      up.textContent = date(is.updated_at);
      [key, title, st, pr, as, up].forEach(function (c) { tr.appendChild(c); });
      return tr;
    }
    // cmp mirrors sortIssues in app/web_pages.go, on the rows' attributes.
    function sortValue(tr) {
      switch (sortKey) {
        case "title": return tr.querySelector("a").textContent.toLowerCase();
        case "status": return columns.findIndex(function (c) { return c.key === tr.getAttribute("data-status"); });
        case "priority": return PRIORITIES.indexOf(tr.getAttribute("data-priority"));
        case "assignee":
          var id = tr.getAttribute("data-assignee-id");
          return id ? (names[id] || "").toLowerCase() : "\uffff";
        case "updated": return Number(tr.getAttribute("data-updated"));
      }
      return Number(tr.getAttribute("data-number"));
    }
    function cmp(a, b) {
      var x = sortValue(a), y = sortValue(b);
      var r = x < y ? -1 : x > y ? 1 : 0;
      if (r === 0) { r = Number(a.getAttribute("data-number")) - Number(b.getAttribute("data-number")); }
      return dir === "asc" ? r : -r;
    }
    function place(tr) {
      var rows = Array.prototype.filter.call(tbody.children, function (r) { return r !== tr; });
      var before = rows.find(function (r) { return cmp(tr, r) < 0; }) || null;
      if (tr.parentElement === tbody && tr.nextElementSibling === before) { return; }
      tbody.insertBefore(tr, before);
    }
    function showEmpty() {
      var none = tbody.children.length === 0;
      if (wrap) { wrap.hidden = none; }
      if (empty) { empty.hidden = !none; }
    }
    function flash(tr, actor) {
      if (!actor || actor.id === userId) { return; }
      tr.classList.add("klive-flash");
      tr.title = "Changed by " + actor.name;
      setTimeout(function () { tr.classList.remove("klive-flash"); tr.removeAttribute("title"); }, 1500);
    }
    function findRow(id) { return tbody.querySelector('tr[data-issue-id="' + CSS.escape(id) + '"]'); }
    // total: every issue of the project, for the filter bar's "N of M".
    var countEl = document.querySelector("[data-filter-count]");
    var total = countEl ? Number(countEl.getAttribute("data-total")) || 0 : 0;
    function upsert(is, actor) {
      var old = findRow(is.id);
      if (!filter.match(is)) { if (old) { old.remove(); } return; }
      var tr = row(is);
      if (old) { old.replaceWith(tr); }
      place(tr);
      flash(tr, actor);
    }
    function refreshNames() {
      tbody.querySelectorAll("tr[data-issue-id]").forEach(function (tr) {
        assigneeCell(tr.children[4], tr.getAttribute("data-assignee-id"));
      });
    }
    function refreshColumns() {
      tbody.querySelectorAll("tr[data-issue-id]").forEach(function (tr) {
        tr.children[2].textContent = columnName(tr.getAttribute("data-status"));
      });
    }

    return {
      projectId: projectId,
      userId: userId,
      seq: table.getAttribute("data-seq"),
      apply: function (msg) {
        var d = msg.data || {};
        switch (msg.type) {
          case "issue.created": case "issue.updated": case "issue.moved": case "issue.restored":
            if (msg.type === "issue.created" || msg.type === "issue.restored") { total++; }
            upsert(d, msg.actor);
            break;
          case "issue.deleted":
            total = Math.max(0, total - 1);
            var gone = findRow(d.id);
            if (gone) { gone.remove(); }
            break;
          case "column.created": case "column.updated": case "column.deleted": case "column.reordered":
            columns = d.columns || columns;
            live.applyColumnsToSelects(columns);
            refreshColumns();
            break;
          case "member.added": case "member.updated":
            names[d.user_id] = d.display_name;
            live.setMemberOption(d, false);
            refreshNames();
            break;
          case "member.removed":
            delete names[d.user_id];
            live.setMemberOption(d, true);
            refreshNames();
            break;
          case "project.updated":
            live.applyProject(d);
            break;
          case "cycle.deleted":
            // Its issues left it: rows shown for that cycle go (rows that
            // now match "No cycle" come with the next resync).
            if (d.cycle && filter.cycle === d.cycle.id) {
              (d.issue_ids || []).forEach(function (id) { var r = findRow(id); if (r) { r.remove(); } });
            }
            break;
        }
        showEmpty();
        live.filterCount(tbody.children.length, total);
      },
      reset: function (board) {
        columns = board.project.columns || [];
        names = {};
        (board.members || []).forEach(function (m) { names[m.user_id] = m.display_name; });
        live.applyProject(board.project);
        live.applyColumnsToSelects(columns);
        while (tbody.firstChild) { tbody.firstChild.remove(); }
        board.issues.filter(filter.match).map(row).sort(cmp).forEach(function (tr) { tbody.appendChild(tr); });
        total = board.issues.length;
        showEmpty();
        live.filterCount(tbody.children.length, total);
        return board.project.seq;
      },
      presence: live.renderPresence
    };
  }

  document.addEventListener("DOMContentLoaded", function () { live.start(listView(table)); });
})();
