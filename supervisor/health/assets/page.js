// The live tree page of arbor's health handler. It renders the tree from
// ui/tree.json and keeps it current from the server-sent events at
// "events", without a reload. The event list is events.js's, the restart
// strips spark.js's. When nothing answers any more, the page says the
// process is gone, and leaves its last state on view, marked as such.
//
// Every text that comes from the tree (names, paths, states, error texts)
// is put on the page with textContent or setAttribute, never parsed as
// HTML: an error text can carry input from outside.
"use strict";

(function (P) {
  var REFRESH_DELAY = 150;    // ms: a burst of events costs one fetch of the tree
  var RECONNECT_DELAY = 3000; // ms: after the server ended the stream
  var REDRAW_EVERY = 10000;   // ms: the "since" column and the strips move on

  var el = P.el, clock = P.clock;

  function $(id) { return document.getElementById(id); }

  function setBadge(node, tone, text) {
    node.className = "badge " + tone;
    node.textContent = text;
  }

  // ago says how long before now (both ISO times) since was, briefly.
  function ago(since, now) {
    var s = Math.max(0, Math.round((new Date(now) - new Date(since)) / 1000));
    if (isNaN(s)) return "";
    if (s < 60) return s + "s";
    if (s < 3600) return Math.floor(s / 60) + "m" + (s % 60) + "s";
    if (s < 86400) return Math.floor(s / 3600) + "h" + Math.floor((s % 3600) / 60) + "m";
    return Math.floor(s / 86400) + "d" + Math.floor((s % 86400) / 3600) + "h";
  }

  // --- the tree -----------------------------------------------------------

  var refreshTimer = 0, loading = false, again = false;

  function scheduleRefresh() {
    if (refreshTimer) return;
    refreshTimer = setTimeout(function () { refreshTimer = 0; refresh(); }, REFRESH_DELAY);
  }

  function refresh() {
    if (loading) { again = true; return; }
    loading = true;
    fetch("ui/tree.json", { cache: "no-store" }).then(function (resp) {
      answered();
      if (!resp.ok) throw new Error("HTTP " + resp.status);
      return resp.json();
    }, function (err) {
      noAnswer();
      throw err;
    }).then(function (view) {
      lastView = view;
      fetchedAt = Date.now();
      render(view);
    }).catch(function (err) {
      if (!gone) setBadge($("health"), "bad", "tree unavailable: " + err.message);
    }).finally(function () {
      loading = false;
      if (again) { again = false; refresh(); }
    });
  }

  // --- the process gone -----------------------------------------------------

  var gone = false, lastAnswer = null, lastView = null, fetchedAt = 0;

  // answered records that the server answered: the process is there.
  function answered() {
    lastAnswer = new Date();
    if (!gone) return;
    gone = false;
    $("gone").hidden = true;
    document.body.classList.remove("gone");
  }

  // noAnswer records that nothing answered: the process has gone (or the
  // network between). The last state stays on view, marked as the past.
  function noAnswer() {
    if (gone) return;
    gone = true;
    $("gone").textContent = "The process has gone: nothing has answered " +
      (lastAnswer ? "since " + lastAnswer.toLocaleTimeString() : "this page") +
      ". What this page shows is its last state; it will not change until the process is back.";
    $("gone").hidden = false;
    $("stopped").hidden = true;
    document.body.classList.add("gone");
    setBadge($("health"), "bad", "process gone");
    setBadge($("conn"), "bad", "no answer; retrying");
  }

  // now returns the server's time now, in ms, from the last view's time.
  function now() {
    var t = lastView ? Date.parse(lastView.time) : NaN;
    return isNaN(t) ? Date.now() : t + (Date.now() - fetchedAt);
  }

  // problemLine says "Not ready (12): a, b, … and 2 more", from a list the
  // server cut to its first paths and the full count.
  function problemLine(head, paths, count) {
    paths = paths || [];
    count = Math.max(count || 0, paths.length);
    if (!count) return null;
    var text = head + (count > 1 ? " (" + count + ")" : "") + ": " + paths.join(", ");
    if (count > paths.length) text += ", … and " + (count - paths.length) + " more";
    return el("span", null, text);
  }

  // render shows view: the tree's health and its flat form (nodes in
  // pre-order, each with its parent's index and its name; the top node's
  // path is the tree's). Paths and depths are rebuilt from the parents.
  function render(view) {
    var h = view.health || {};
    $("stopped").hidden = h.reason !== "not running";
    if (h.ready) setBadge($("health"), "good", "ready");
    else setBadge($("health"), "bad", "not ready" + (h.reason ? ": " + h.reason : ""));
    if (h.alive === false) setBadge($("health"), "bad", "stuck");

    var problems = $("problems");
    problems.replaceChildren();
    var lines = [problemLine("Not ready", h.not_ready, h.not_ready_count), problemLine("Stuck", h.stuck, h.stuck_count)];
    lines.forEach(function (line) { if (line) problems.appendChild(line); });
    problems.hidden = !problems.firstChild;

    var tree = view.tree || {};
    var nodes = tree.nodes || [];
    var paths = [], depths = [], rows = [], open = [];
    // close ends the rows of node i's subtree: a row for its children
    // that the server's limits left out, if any.
    function close(i) {
      var n = nodes[i];
      if (n.children_omitted > 0) rows.push(moreRow(n.children_omitted, depths[i] + 1));
    }
    nodes.forEach(function (n, i) {
      if (n.parent < 0) {
        paths[i] = tree.path || n.name;
        depths[i] = 0;
      } else {
        paths[i] = paths[n.parent] + "/" + n.name;
        depths[i] = depths[n.parent] + 1;
      }
      while (open.length && open[open.length - 1] !== n.parent) close(open.pop());
      rows.push(row(n, paths[i], depths[i], view.time, now()));
      open.push(i);
    });
    while (open.length) close(open.pop());
    var tbody = document.querySelector("#tree tbody");
    tbody.replaceChildren.apply(tbody, rows);

    var cut = $("truncated");
    if (tree.truncated) {
      var t = tree.truncated;
      cut.textContent = "Showing " + nodes.length + " nodes of " + (nodes.length + t.nodes_omitted) + " (" +
        [t.max_nodes ? "max_nodes " + t.max_nodes : "", t.max_depth ? "max_depth " + t.max_depth : ""].filter(Boolean).join(", ") + ").";
      cut.hidden = false;
    } else {
      cut.hidden = true;
    }
    $("updated").textContent = "updated " + clock(view.time);
  }

  // moreRow stands for children left out of the tree, at depth.
  function moreRow(count, depth) {
    var tr = el("tr", "more");
    var td = el("td", "name muted", "… " + count + " more " + (count === 1 ? "child" : "children") + " not shown");
    td.colSpan = 8;
    td.style.paddingLeft = (0.5 + 1.4 * depth) + "em";
    tr.appendChild(td);
    return tr;
  }

  function row(n, path, depth, at, nowMS) {
    var tr = el("tr", "node " + (n.kind === "supervisor" ? "sup" : "worker"));
    tr.setAttribute("data-path", path);
    tr.setAttribute("data-state", n.state);

    var name = el("td", "name");
    name.style.paddingLeft = (0.5 + 1.4 * depth) + "em";
    name.appendChild(el("span", "label", n.name));
    // The path as a tooltip, made when first pointed at: a title on every
    // row would keep a second copy of every path.
    name.addEventListener("mouseenter", function () { name.title = path; }, { once: true });
    tr.appendChild(name);

    var kind = el("td", "kind", n.kind);
    if (n.counters) {
      var c = n.counters;
      kind.title = "starts " + c.starts + ", restarts " + c.restarts + ", failures " + c.exits_abnormal +
        " (" + c.panics + " panics, " + c.hangs + " hangs), stop timeouts " + c.stop_timeouts;
    }
    tr.appendChild(kind);

    var state = el("td", "state", n.state);
    state.classList.add(n.state === "running" ? "good" : (n.state === "stuck" || n.state === "hung" ? "bad" : "warn"));
    if (n.status) state.appendChild(el("div", "status", n.status)); // actor.SetStatus
    var note = P.groupNote(path);
    if (note && n.state !== "running") state.appendChild(el("div", "status group-note", note));
    tr.appendChild(state);

    var ready = el("td", "ready", n.ready ? "ready" : "not ready");
    ready.classList.add(n.ready ? "good" : (n.wait_ready ? "bad" : "muted"));
    if (!n.wait_ready && depth > 0) ready.title = "readiness not awaited";
    tr.appendChild(ready);

    var restarts = el("td", "restarts", depth > 0 ? n.restarts : ""); // a top node has no parent to restart it
    if (n.restarts > 0) restarts.classList.add("warn");
    tr.appendChild(restarts);

    var recent = el("td", "recent");
    if (depth > 0) recent.appendChild(P.strip(path, nowMS));
    tr.appendChild(recent);

    var since = el("td", "since", n.since ? ago(n.since, at) : "");
    if (n.since) since.title = n.since;
    tr.appendChild(since);

    var last = el("td", "last-error");
    if (n.last_error) last.appendChild(el("div", "error", n.last_error));
    tr.appendChild(last);
    return tr;
  }

  // --- the stream ---------------------------------------------------------

  function parse(m) {
    try { return JSON.parse(m.data); } catch (err) { return null; }
  }

  function connect() {
    var source = new EventSource("events");
    source.addEventListener("hello", function () {
      answered();
      setBadge($("conn"), "good", "live");
      scheduleRefresh(); // what happened while not connected
    });
    source.addEventListener("lifecycle", function (m) {
      var e = parse(m);
      if (e && P.addEvent(e)) scheduleRefresh();
    });
    source.addEventListener("dropped", function (m) {
      var d = parse(m);
      if (d) P.addDropped(d);
      scheduleRefresh();
    });
    source.addEventListener("end", function (m) {
      var d = parse(m) || {};
      source.close();
      if (d.reason === "not running") setBadge($("conn"), "warn", "tree stopped");
      else setBadge($("conn"), "warn", "stream ended (" + (d.reason || "server") + "); reconnecting");
      scheduleRefresh();
      setTimeout(connect, RECONNECT_DELAY);
    });
    source.onerror = function () {
      refresh(); // a process that has gone answers nothing: say so
      if (source.readyState === EventSource.CLOSED) {
        if (!gone) setBadge($("conn"), "bad", "disconnected");
        setTimeout(connect, RECONNECT_DELAY);
      } else if (!gone) {
        setBadge($("conn"), "bad", "disconnected; reconnecting…");
      }
    };
  }

  // The "since" column and the strips move on while nothing happens; a
  // gone process's last state stays as it was.
  setInterval(function () {
    if (lastView && !gone && !document.hidden) render(lastView);
  }, REDRAW_EVERY);

  refresh();
  connect();
})(window.arborPage = window.arborPage || {});
