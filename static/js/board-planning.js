// The kanban board, part 3 of 6 (see board-state.js): planning. Estimates
// on the cards, each column's points, the cycle's capacity bars, and the
// cycle filter's options, kept current by events.
(function () {
  "use strict";

  var B = window.corkboardBoardCore;
  if (!B) { return; }
  var board = B.board, filter = B.filter;

  // plan: what the board knows of planning, seeded from the page (the
  // bars carry each member's capacity and the cycle's override) and kept
  // current by events. Load follows the server's rule: the effort (or the
  // project's unestimated_effort) of the cycle's issues assigned to them.
  // B.barsBox is the bars' box, null when there is none (or no more: its
  // cycle was deleted).
  B.barsBox = document.querySelector("[data-capacity-bars]");
  var plan = B.plan = {
    cycle: filter.cycle || "", scale: board.getAttribute("data-estimate-scale") || "free",
    unestimated: parseInt(board.getAttribute("data-unestimated-effort"), 10) || 0,
    members: {}, overrides: {}
  };
  function optInt(v) { return v === "" || v === null || v === undefined ? null : parseInt(v, 10); }
  if (B.barsBox) {
    B.barsBox.querySelectorAll("[data-capacity-user]").forEach(function (li) {
      var id = li.getAttribute("data-capacity-user");
      plan.members[id] = { name: li.querySelector(".kcap-name").textContent, capacity: optInt(li.getAttribute("data-member-capacity")) };
      plan.overrides[id] = optInt(li.getAttribute("data-override"));
    });
  }
  var TSHIRT = { 1: "XS", 2: "S", 3: "M", 5: "L", 8: "XL" };
  function effortLabel(n) { return plan.scale === "tshirt" && TSHIRT[n] ? TSHIRT[n] : String(n); }
  function pointsOf(k) { return k.effort === null || k.effort === undefined ? plan.unestimated : k.effort; }

  function barElement(id) {
    var li = document.createElement("li");
    li.className = "kcap";
    li.setAttribute("data-capacity-user", id);
    var name = document.createElement("span");
    name.className = "kcap-name";
    var bar = document.createElement("progress");
    bar.className = "kcap-bar";
    bar.setAttribute("aria-hidden", "true");
    var text = document.createElement("span");
    text.className = "kcap-text";
    li.appendChild(name);
    li.appendChild(bar);
    li.appendChild(text);
    return li;
  }
  // updatePlanning recomputes column points and the capacity bars from
  // known (every issue of the board) and plan.
  function updatePlanning() {
    var pts = {}, load = {};
    B.known.forEach(function (k) {
      if (k.shown) { pts[k.status] = (pts[k.status] || 0) + pointsOf(k); }
      if (plan.cycle && k.cycle === plan.cycle && k.assignee) { load[k.assignee] = (load[k.assignee] || 0) + pointsOf(k); }
    });
    board.querySelectorAll("section[data-status]").forEach(function (col) {
      var el = col.querySelector("[data-points]");
      if (!el) {
        el = document.createElement("span");
        el.className = "kpoints ml-auto";
        el.setAttribute("data-points", "");
        col.querySelector("header").insertBefore(el, col.querySelector("[data-count]"));
      }
      el.textContent = (pts[col.getAttribute("data-status")] || 0) + " pts";
      el.title = "Points of the cards shown: their effort, an unestimated card counting as " + plan.unestimated;
    });
    if (!B.barsBox) { return; }
    var list = B.barsBox.querySelector("ul");
    var ids = Object.keys(plan.members).sort(function (a, b) {
      var x = plan.members[a].name.toLowerCase(), y = plan.members[b].name.toLowerCase();
      return x < y ? -1 : x > y ? 1 : 0;
    });
    list.querySelectorAll("[data-capacity-user]").forEach(function (li) {
      if (!plan.members[li.getAttribute("data-capacity-user")]) { li.remove(); }
    });
    ids.forEach(function (id) {
      var li = list.querySelector('[data-capacity-user="' + CSS.escape(id) + '"]') || barElement(id);
      var m = plan.members[id], o = plan.overrides[id];
      var cap = o !== null && o !== undefined ? o : m.capacity, n = load[id] || 0;
      var over = cap !== null && cap !== undefined && n > cap;
      var nolimit = cap === null || cap === undefined;
      li.setAttribute("data-load", String(n));
      li.setAttribute("data-capacity", nolimit ? "" : String(cap));
      li.setAttribute("data-member-capacity", m.capacity === null || m.capacity === undefined ? "" : String(m.capacity));
      li.setAttribute("data-override", o === null || o === undefined ? "" : String(o));
      li.classList.toggle("kcap-over", over);
      li.classList.toggle("kcap-nolimit", nolimit);
      li.querySelector(".kcap-name").textContent = m.name;
      var bar = li.querySelector("progress");
      bar.max = Math.max(1, nolimit || over ? n : cap);
      bar.value = n;
      li.querySelector(".kcap-text").textContent = n + " / " + (nolimit ? "no limit" : cap);
      list.appendChild(li); // in name order
    });
  }
  function relabelEstimates() {
    board.querySelectorAll(".kcard[data-effort]").forEach(function (card) {
      var est = card.querySelector(".kest"), v = card.getAttribute("data-effort");
      if (est && v) { est.textContent = effortLabel(parseInt(v, 10)); }
    });
  }
  // setCycleOption keeps the cycle filter's option for cy current.
  function setCycleOption(cy) {
    var select = document.getElementById("f-cycle");
    if (!select) { return; }
    var opt = Array.prototype.find.call(select.options, function (o) { return o.value === cy.id; });
    if (cy.state === "completed") { if (opt && !opt.selected) { opt.remove(); } return; }
    if (!opt) {
      opt = document.createElement("option");
      opt.value = cy.id;
      select.appendChild(opt);
    }
    opt.setAttribute("data-state", cy.state || "");
    opt.textContent = cy.name + (cy.state === "active" ? " (active)" : "");
  }
  // cycleDeleted: the cycle's issues left it in the same change, their
  // version up by one; mirror that so a later edit is not a stale 409.
  function cycleDeleted(d) {
    var id = d.cycle && d.cycle.id;
    (d.issue_ids || []).forEach(function (iid) {
      var k = B.known.get(iid), card = B.findCard(iid);
      if (k) {
        k.cycle = null;
        k.version++;
        if (k.issue) { k.issue.cycle_id = null; k.issue.version = k.version; }
      }
      if (card) {
        card.setAttribute("data-version", String(B.version(card) + 1));
        card.setAttribute("data-cycle-id", "");
        card.corkboardShown = null;
      }
      if (k && filter.cycle === id) {
        k.shown = false;
        B.orders = {};
        if (card && !B.busy.has(iid)) { card.remove(); }
      }
    });
    var select = document.getElementById("f-cycle");
    var opt = select && Array.prototype.find.call(select.options, function (o) { return o.value === id; });
    if (opt && !opt.selected) { opt.remove(); }
    if (plan.cycle === id && B.barsBox) {
      var h = B.barsBox.querySelector("h2");
      if (h) { h.textContent = "This cycle was deleted: its issues are in no cycle now."; }
      B.barsBox.setAttribute("data-deleted", "");
      plan.cycle = "";
      B.barsBox.querySelector("ul").replaceChildren();
      B.barsBox = null;
    }
    // Issues now in no cycle that the page never had: load the board.
    if (filter.cycle === "none" && (d.issue_ids || []).length) { reload(); }
  }
  function reload() {
    fetch("/api/v1/projects/" + encodeURIComponent(B.projectId) + "/board", { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (res) { if (!res.ok) { throw new Error("board " + res.status); } return res.json(); })
      .then(B.reset, function () { /* the live layer's next resync repairs it */ });
  }

  B.effortLabel = effortLabel;
  B.updatePlanning = updatePlanning;
  B.relabelEstimates = relabelEstimates;
  B.setCycleOption = setCycleOption;
  B.cycleDeleted = cycleDeleted;
})();
