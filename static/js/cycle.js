// The cycle page, live. It rides on live.js's connection (one socket per
// project page, its badge, presence, reconnection and resync) and, after
// any event that can change the cycle's numbers (issues, comments, cycles,
// members, columns, the project's settings), fetches the report again
// (GET …/cycles/{cid}/report, debounced) and redraws the burn-up, totals,
// health and load bars in place from it. The chart's geometry is
// app/web_burnup.go's: the plot area comes from the SVG's data attributes,
// niceMax is the same. Everything is built with DOM APIs and textContent
// (CSP 'self'; user text is never HTML).
(function () {
  "use strict";

  var SVG = "http://www.w3.org/2000/svg";
  var RELEVANT = /^(issue|comment|cycle|member|column|project)\./;
  var DEBOUNCE = 200;
  var page = document.querySelector("[data-cycle-page]");
  var live = window.corkboardLive;
  if (!page || !live) { return; }
  var projectId = page.getAttribute("data-project-id"), cycleId = page.getAttribute("data-cycle-id");
  var reportURL = "/api/v1/projects/" + encodeURIComponent(projectId) + "/cycles/" + encodeURIComponent(cycleId) + "/report";
  var timer = null, inflight = false, again = false, gone = false, refreshes = 0;

  function $(sel) { return page.querySelector(sel); }
  function text(el, s) { if (el && el.textContent !== String(s)) { el.textContent = String(s); } }
  function swapClass(el, classes, keep) {
    classes.forEach(function (c) { el.classList.toggle(c, c === keep); });
  }
  function humanize(s) { s = String(s || "").replace(/_/g, " "); return s.charAt(0).toUpperCase() + s.slice(1); }

  function schedule() {
    if (gone) { return; }
    clearTimeout(timer);
    timer = setTimeout(refresh, DEBOUNCE);
  }

  function refresh() {
    if (inflight) { again = true; return; }
    inflight = true;
    fetch(reportURL, { credentials: "same-origin", headers: { "Accept": "application/json" } }).then(function (res) {
      if (res.status === 404) { deleted(); return null; }
      if (!res.ok) { throw new Error("report " + res.status); }
      return res.json();
    }).then(function (r) { if (r) { render(r); } }, function () {
      /* the next event or resync tries again */
    }).then(function () {
      inflight = false;
      if (again) { again = false; schedule(); }
    });
  }

  function deleted() {
    gone = true;
    page.setAttribute("data-deleted", "");
    live.toast("This cycle was deleted: its issues are in no cycle now.", false, { href: "/projects/" + encodeURIComponent(projectId) + "/cycles", text: "All cycles" });
  }

  // --- drawing ---

  function niceMax(v) {
    if (v <= 1) { return 1; }
    for (var p = 1; ; p *= 10) {
      for (var i = 0, m = [1, 2, 5]; i < m.length; i++) { if (m[i] * p >= v) { return m[i] * p; } }
    }
  }
  function daysBetween(a, b) { // both YYYY-MM-DD, inclusive
    var d = (Date.parse(b + "T00:00:00Z") - Date.parse(a + "T00:00:00Z")) / 86400000;
    return isNaN(d) || d < 0 ? 0 : d + 1;
  }
  function coord(f) { return f.toFixed(1); }

  function drawChart(r) {
    var svg = $('[data-chart="burnup"]');
    if (!svg) { return; }
    var num = function (k) { return Number(svg.getAttribute("data-" + k)); };
    var left = num("left"), right = num("right"), top = num("top"), bottom = num("bottom");
    var total = Math.max(daysBetween(r.cycle.starts_on, r.cycle.ends_on), 1);
    var hi = r.totals.scope;
    r.days.forEach(function (d) { hi = Math.max(hi, d.scope, d.completed); });
    var yMax = niceMax(hi);
    svg.setAttribute("data-days-total", String(total));
    svg.setAttribute("data-y-max", String(yMax));
    text(svg.querySelector('[data-y-label="max"]'), yMax);
    text(svg.querySelector('[data-y-label="mid"]'), yMax / 2);
    text(svg.querySelector('[data-x-label="start"]'), r.cycle.starts_on);
    text(svg.querySelector('[data-x-label="end"]'), r.cycle.ends_on);
    var title = svg.querySelector("title");
    text(title, "Burn-up of " + r.cycle.name + ": scope, completed and the ideal line");
    function x(i) { return left + (right - left) * i / total; }
    function y(v) { return bottom - (bottom - top) * v / yMax; }
    function series(name, xs, vs) {
      var line = svg.querySelector('[data-series="' + name + '"]');
      if (!line) { return; }
      line.setAttribute("data-values", vs.join(","));
      line.setAttribute("points", vs.map(function (v, i) { return coord(x(xs[i])) + "," + coord(y(v)); }).join(" "));
      if (name === "ideal") { return; }
      var dot = svg.querySelector('[data-dot="' + name + '"]');
      if (!vs.length) { if (dot) { dot.remove(); } return; }
      if (!dot) {
        dot = document.createElementNS(SVG, "circle");
        dot.setAttribute("class", "kb-dot kb-" + name);
        dot.setAttribute("data-dot", name);
        dot.setAttribute("r", "4");
        svg.appendChild(dot);
      }
      dot.setAttribute("cx", coord(x(xs[vs.length - 1])));
      dot.setAttribute("cy", coord(y(vs[vs.length - 1])));
    }
    var xs = r.days.map(function (d, i) { return i + 1; });
    series("ideal", [0, total], [0, r.totals.scope]);
    series("scope", xs, r.days.map(function (d) { return d.scope; }));
    series("completed", xs, r.days.map(function (d) { return d.completed; }));
  }

  function drawHeader(r) {
    var cy = r.cycle;
    text($("[data-cycle-name]"), cy.name);
    var state = $("[data-cycle-state]");
    if (state) {
      state.setAttribute("data-cycle-state", cy.state);
      text(state, cy.state);
      swapClass(state, ["badge-primary", "badge-ghost", "badge-outline"],
        cy.state === "active" ? "badge-primary" : cy.state === "completed" ? "badge-ghost" : "badge-outline");
    }
    text($("[data-cycle-dates]"), cy.starts_on + " – " + cy.ends_on);
    text($("[data-cycle-days]"), daysBetween(cy.starts_on, cy.ends_on) + " days");
    var goal = $("[data-cycle-goal]");
    if (goal) {
      text(goal, cy.goal || "No goal set.");
      goal.classList.toggle("opacity-60", !cy.goal);
    }
    var crumb = document.querySelector('.breadcrumbs [aria-current="page"]');
    text(crumb, cy.name);
  }

  function drawTotals(r) {
    page.querySelectorAll("[data-total]").forEach(function (dd) {
      var k = dd.getAttribute("data-total");
      text(dd, r.totals[k]);
    });
  }

  function drawHealth(h) {
    var box = $("[data-health]");
    if (!box) { return; }
    var changed = box.getAttribute("data-health-status") !== h.status;
    box.setAttribute("data-health-status", h.status);
    box.setAttribute("data-health-score", String(h.score));
    var badge = box.querySelector("[data-health-badge]");
    text(badge, humanize(h.status));
    swapClass(badge, ["badge-success", "badge-warning", "badge-error"],
      h.status === "on_track" ? "badge-success" : h.status === "at_risk" ? "badge-warning" : "badge-error");
    var score = box.querySelector("[data-health-score-text]");
    var out = document.createElement("span");
    out.className = "kscore-of";
    out.textContent = " / 100";
    score.replaceChildren(document.createTextNode(String(h.score)), out);
    var list = box.querySelector("[data-reasons]");
    var items = (h.reasons || []).map(function (rs) {
      var li = document.createElement("li");
      li.setAttribute("data-reason-code", rs.code);
      if (rs.user_id) { li.setAttribute("data-user-id", rs.user_id); }
      li.textContent = rs.message;
      return li;
    });
    if (!items.length) {
      var none = document.createElement("li");
      none.setAttribute("data-no-reasons", "");
      none.textContent = "Nothing takes points off.";
      items.push(none);
    }
    list.replaceChildren.apply(list, items);
    if (changed) {
      box.classList.remove("klive-flash-soft");
      void box.offsetWidth; // restart the animation
      box.classList.add("klive-flash-soft");
      box.addEventListener("animationend", function () { box.classList.remove("klive-flash-soft"); }, { once: true });
    }
  }

  // drawLoad rebuilds the bars as ui/templates/pages/cycle.html draws them
  // (capacityBar in app/web_board.go: the bar's scale is the capacity, or
  // the load when there is none or it is exceeded).
  function drawLoad(members) {
    var list = page.querySelector("[data-capacity-bars] ul");
    if (!list) { return; }
    list.replaceChildren.apply(list, members.map(function (m) {
      var cap = m.capacity, over = cap !== null && cap !== undefined && m.load > cap;
      var none = cap === null || cap === undefined;
      var li = document.createElement("li");
      li.className = "kcap" + (over ? " kcap-over" : "") + (none ? " kcap-nolimit" : "");
      li.setAttribute("data-capacity-user", m.user_id);
      li.setAttribute("data-load", String(m.load));
      li.setAttribute("data-capacity", none ? "" : String(cap));
      var name = document.createElement("span");
      name.className = "kcap-name";
      name.textContent = m.display_name;
      var bar = document.createElement("progress");
      bar.className = "kcap-bar";
      bar.setAttribute("aria-hidden", "true");
      bar.max = Math.max(none || over ? m.load : cap, 1);
      bar.value = m.load;
      var t = document.createElement("span");
      t.className = "kcap-text";
      t.textContent = m.load + " / " + (none ? "no limit" : cap);
      li.append(name, bar, t);
      return li;
    }));
  }

  function render(r) {
    drawHeader(r);
    drawChart(r);
    drawTotals(r);
    drawHealth(r.health);
    drawLoad(r.members || []);
    refreshes++;
    page.setAttribute("data-refreshes", String(refreshes));
  }

  live.start({
    projectId: projectId,
    userId: page.getAttribute("data-user-id"),
    seq: page.getAttribute("data-seq"),
    apply: function (msg) {
      if (msg.type === "cycle.deleted" && msg.data && msg.data.cycle && msg.data.cycle.id === cycleId) { deleted(); return; }
      if (RELEVANT.test(msg.type)) { schedule(); }
    },
    // After a resync (the socket fell behind): the report may have moved.
    reset: function (board) { schedule(); return board.project.seq; },
    presence: live.renderPresence
  });
})();
