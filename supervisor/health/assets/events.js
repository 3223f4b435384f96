// The list of recent events of arbor's live tree page. A group restart
// (OneForAll, RestForOne) is one entry: the child whose failure caused it,
// its error, and the siblings restarted with it; its events are folded
// into that entry. Numbers are written for people ("after 4.4 s").
//
// Every text from the tree is put on the page with textContent, never
// parsed as HTML: an error text can carry input from outside.
"use strict";

(function (P) {
  var MAX_EVENTS = 100; // entries kept in the list, newest first
  var MAX_SEEN = 4096;  // keys of events received, to skip those sent again

  // Event kinds that are failures, and those worth a second look.
  var BAD = { failed: 1, panicked: 1, hung: 1, start_failed: 1, stop_timeout: 1, intensity_exceeded: 1, escalated: 1 };
  var WARN = { restarting: 1, shutdown: 1, auto_shutdown: 1, removed: 1, observer_dropped: 1 };
  // What a sibling's event in a group restart means, briefly.
  var MEMBER = { stopped: "stopped", started: "started", ready: "ready", removed: "removed", stop_timeout: "did not stop" };

  function el(tag, className, text) {
    var e = document.createElement(tag);
    if (className) e.className = className;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  P.el = el;

  P.clock = function (iso) {
    var d = new Date(iso);
    return isNaN(d) ? "" : d.toLocaleTimeString();
  };

  // duration writes ms for a person: "250 ms", "4.4 s", "12 s", "2 min 5 s",
  // "1 h 20 min".
  P.duration = function (ms) {
    ms = Math.max(0, Math.round(ms));
    if (ms < 1000) return ms + " ms";
    if (ms < 9950) return (ms / 1000).toFixed(1).replace(/\.0$/, "") + " s";
    var s = Math.round(ms / 1000);
    if (s < 60) return s + " s";
    var m = Math.floor(s / 60);
    if (m < 60) return m + " min" + (s % 60 ? " " + (s % 60) + " s" : "");
    var h = Math.floor(m / 60);
    return h + " h" + (m % 60 ? " " + (m % 60) + " min" : "");
  };

  // --- events received ------------------------------------------------------

  var seen = new Set();

  // fresh reports whether e was not received before (a stream opened again
  // starts with the handler's backlog, which the page may have shown).
  function fresh(e) {
    var key = [e.supervisor, e.seq, e.time, e.kind, e.sink || ""].join("|");
    if (seen.has(key)) return false;
    seen.add(key);
    if (seen.size > MAX_SEEN) seen.delete(seen.values().next().value);
    return true;
  }

  function push(li) {
    var list = document.getElementById("events");
    list.insertBefore(li, list.firstChild);
    while (list.children.length > MAX_EVENTS) {
      var old = list.lastChild;
      list.removeChild(old);
      if (old.group && groups.get(old.group.origin) === old.group) groups.delete(old.group.origin);
    }
  }

  function facts(e) {
    var f = [];
    if (e.incarnation) f.push("#" + e.incarnation);
    if (e.child) f.push(e.restarts === 1 ? "1 restart" : e.restarts + " restarts");
    if (e.attempt) f.push("attempt " + e.attempt);
    if (e.delay_ms) f.push("after " + P.duration(e.delay_ms));
    if (e.dropped) f.push(e.dropped + " dropped" + (e.sink ? " by " + e.sink : ""));
    if (e.status) f.push(e.status); // a status event's text (actor.SetStatus)
    return f;
  }

  function entry(e) {
    var li = el("li", "event " + (BAD[e.kind] ? "bad" : WARN[e.kind] ? "warn" : "info"));
    li.setAttribute("data-path", e.path);
    li.setAttribute("data-kind", e.kind);
    li.appendChild(el("time", "time", P.clock(e.time)));
    li.appendChild(el("span", "kind", e.kind.replace(/_/g, " ")));
    li.appendChild(el("span", "path", e.path));
    var f = facts(e);
    if (f.length) li.appendChild(el("span", "facts", f.join(" · ")));
    if (e.error) li.appendChild(el("span", "error", e.error));
    return li;
  }

  // --- group restarts -------------------------------------------------------

  var groups = new Map();   // origin path -> its latest group restart
  var failures = new Map(); // path -> the entry of its last failure, until a restart of its group takes it

  // group returns the entry of the group restart caused by origin, made
  // when its restarting event arrives (or the first event naming it, when
  // the backlog began after that).
  function group(origin, e) {
    var g = groups.get(origin);
    if (g && !(e.kind === "restarting" && e.path === origin)) return g;
    g = { origin: origin, members: new Map(), failure: null, restarting: null, folded: 0 };
    var li = el("li", "event group bad");
    li.group = g;
    li.setAttribute("data-kind", "group_restart");
    li.setAttribute("data-path", origin);
    li.setAttribute("data-origin", origin);
    g.li = li;
    g.time = li.appendChild(el("time", "time", P.clock(e.time)));
    li.appendChild(el("span", "kind", "group restart"));
    li.appendChild(el("span", "path", origin));
    g.summary = li.appendChild(el("span", "facts"));
    g.with = li.appendChild(el("span", "with"));
    g.error = li.appendChild(el("span", "error"));
    g.error.hidden = true;
    var details = li.appendChild(el("details", "folded"));
    g.count = details.appendChild(el("summary", null, ""));
    g.list = details.appendChild(el("ol"));
    var failed = failures.get(origin);
    if (failed && failed.parentNode) { // the failure that caused it: folded in
      failed.parentNode.removeChild(failed);
      failures.delete(origin);
      g.failure = failed.event;
      fold(g, failed.event);
    }
    groups.set(origin, g);
    push(li);
    return g;
  }

  function fold(g, e) {
    g.folded++;
    var line = g.list.appendChild(el("li", null));
    line.appendChild(el("time", "time", P.clock(e.time)));
    line.appendChild(el("span", "kind", e.kind.replace(/_/g, " ")));
    line.appendChild(el("span", "path", e.path));
    var f = facts(e);
    if (f.length) line.appendChild(el("span", "facts", f.join(" · ")));
    g.count.textContent = g.folded + (g.folded === 1 ? " event" : " events");
  }

  // draw rewrites a group's entry from what it holds.
  function draw(g) {
    var f = g.restarting || g.failure || {};
    var head = [g.failure ? g.failure.kind.replace(/_/g, " ") : "failed"];
    if (g.restarting && g.restarting.delay_ms) head.push("restarting after " + P.duration(g.restarting.delay_ms));
    if (g.restarting && g.restarting.attempt > 1) head.push("attempt " + g.restarting.attempt);
    g.summary.textContent = head.join(" · ");
    var names = Array.from(g.members.keys()).sort(function (a, b) {
      return a.localeCompare(b, undefined, { numeric: true });
    });
    var done = names.every(function (n) { return g.members.get(n).started || g.members.get(n).removed; });
    g.with.textContent = names.length ? (done ? "restarted" : "restarting") + " with it: " + names.map(function (n) {
      var m = g.members.get(n);
      return m.stuck ? n + " (did not stop)" : m.removed ? n + " (removed)" : n;
    }).join(", ") : "restarted alone so far";
    g.li.setAttribute("data-with", names.join(" "));
    var text = (g.failure && g.failure.error) || f.error || "";
    g.error.textContent = text;
    g.error.hidden = !text;
  }

  var waiting = new Map(); // a sibling's path -> the origin of the group restart that stopped it, until it starts

  // groupNote says, for the tree's row of the child at path, which child's
  // failure it is restarting with, while it waits for its group.
  P.groupNote = function (path) {
    var origin = waiting.get(path);
    return origin ? "with " + origin.slice(origin.lastIndexOf("/") + 1) + ", which failed" : "";
  };

  // addEvent shows e; it returns false if e was shown already.
  P.addEvent = function (e) {
    if (!fresh(e)) return false;
    if (e.kind === "restarting") P.noteRestart(e.path, e.time, false);
    // A sibling's restart is taken when the group restart stops it.
    if (e.kind === "stopped" && e.origin && e.origin !== e.path) {
      P.noteRestart(e.path, e.time, true);
      waiting.set(e.path, e.origin);
    }
    if (e.kind === "started" || e.kind === "removed") waiting.delete(e.path);
    if (!e.origin) {
      var li = entry(e);
      if (BAD[e.kind]) { li.event = e; failures.set(e.path, li); }
      push(li);
      return true;
    }
    var g = group(e.origin, e);
    fold(g, e);
    if (e.path === e.origin) {
      if (e.kind === "restarting") g.restarting = e;
    } else {
      var m = g.members.get(e.child || e.path) || {};
      if (e.kind === "stop_timeout") m.stuck = true;
      if (e.kind === "removed") m.removed = true;
      if (e.kind === "started") m.started = true;
      if (MEMBER[e.kind]) g.members.set(e.child || e.path, m);
    }
    draw(g);
    return true;
  };

  var lost = 0;

  P.addDropped = function (d) {
    lost = d.total;
    var li = el("li", "event lost", d.dropped + " events lost: this page could not keep up");
    li.setAttribute("data-kind", "dropped");
    push(li);
    var badge = document.getElementById("lost");
    badge.textContent = lost + " lost";
    badge.hidden = false;
  };
})(window.arborPage = window.arborPage || {});
