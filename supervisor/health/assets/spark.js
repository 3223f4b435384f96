// Restart strips of arbor's live tree page: for each child, its restarts
// over the last minutes, drawn as a strip of bars in an SVG made here (no
// outside script, no markup parsed). A bar is red when the child failed
// itself in its time slot, amber when it only restarted with its group.
//
// The restarts are those of the events the page received: the handler's
// backlog when the page opened, then the live stream.
"use strict";

(function (P) {
  var SPAN = 10 * 60 * 1000; // ms shown: the last ten minutes
  var SLOTS = 30;            // of 20 seconds each
  var MAX_KEPT = 200;        // restarts kept per child
  var W = 120, H = 16;       // the strip's size, in px
  var NS = "http://www.w3.org/2000/svg";

  var restarts = new Map(); // path -> [{at: ms, group: bool}], oldest first

  // noteRestart records a restart of the child at path at the ISO time iso;
  // group says it restarted with its group (a sibling failed).
  P.noteRestart = function (path, iso, group) {
    var at = Date.parse(iso);
    if (isNaN(at)) return;
    var list = restarts.get(path);
    if (!list) restarts.set(path, list = []);
    list.push({ at: at, group: !!group });
    list.sort(function (a, b) { return a.at - b.at; }); // the backlog and the stream may interleave
    if (list.length > MAX_KEPT) list.splice(0, list.length - MAX_KEPT);
  };

  function svg(tag, attrs) {
    var e = document.createElementNS(NS, tag);
    Object.keys(attrs).forEach(function (k) { e.setAttribute(k, String(attrs[k])); });
    return e;
  }

  // strip returns the strip of the child at path, as of now (ms, the
  // server's clock).
  P.strip = function (path, now) {
    var list = restarts.get(path) || [];
    while (list.length && list[0].at < now - SPAN) list.shift();
    if (!list.length) restarts.delete(path);
    var own = new Array(SLOTS).fill(0), grp = new Array(SLOTS).fill(0);
    var nOwn = 0, nGroup = 0;
    list.forEach(function (r) {
      var i = Math.min(SLOTS - 1, Math.max(0, Math.floor((r.at - (now - SPAN)) / (SPAN / SLOTS))));
      if (r.group) { grp[i]++; nGroup++; } else { own[i]++; nOwn++; }
    });
    var s = svg("svg", { class: "strip", width: W, height: H, viewBox: "0 0 " + W + " " + H, role: "img" });
    s.setAttribute("data-own", nOwn);
    s.setAttribute("data-group", nGroup);
    var total = nOwn + nGroup;
    var text = total === 0 ? "no restarts in the last 10 minutes" :
      total + (total === 1 ? " restart" : " restarts") + " in the last 10 minutes" +
      (nGroup ? " (" + (nGroup === total ? "all" : nGroup) + " with its group)" : "");
    s.setAttribute("aria-label", text);
    var title = svg("title", {});
    title.textContent = text;
    s.appendChild(title);
    s.appendChild(svg("line", { class: "base", x1: 0, y1: H - 0.5, x2: W, y2: H - 0.5 }));
    var slot = W / SLOTS;
    for (var i = 0; i < SLOTS; i++) {
      var n = own[i] + grp[i];
      if (!n) continue;
      var h = Math.round(((Math.min(n, 4) + 1) / 5) * (H - 1)); // 1 restart: 6 px; 4 or more: full
      s.appendChild(svg("rect", {
        class: "bar " + (own[i] ? "own" : "group"),
        x: (i * slot + 0.5).toFixed(1), y: H - 1 - h, width: (slot - 1).toFixed(1), height: h
      }));
    }
    return s;
  };
})(window.arborPage = window.arborPage || {});
