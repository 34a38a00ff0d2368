/// The page's style and script, inline so that the report opens with no network.
extension HTMLReport {
    static let style = """
    body{font:14px/1.4 system-ui,sans-serif;margin:0 24px 48px;color:#1d2330;background:#fff}
    h1{font-size:20px;margin:16px 0 4px}h1 .file{font-weight:normal;color:#555}h2{font-size:16px;margin:24px 0 8px}
    .facts{color:#444;margin:4px 0}#verdict{font-weight:600;display:inline-block;padding:2px 10px;border-radius:4px;margin:4px 0}
    #verdict.clean,#verdict.worst-note{background:#dcf5e3;color:#135d2b}#verdict.worst-warning{background:#fff1cc;color:#6b4b00}
    #verdict.worst-error{background:#fde0e0;color:#8a1111}
    .controls button{margin-right:6px}.controls #view{color:#666;margin-left:8px;font-size:12px}
    #timeline-svg{width:100%;border:1px solid #ddd;background:#fcfcfd;cursor:grab;display:block;margin-top:6px}
    #timeline-svg text{font-size:11px;fill:#333}#timeline-svg .lane-label{font-weight:600}
    #timeline-svg .lane-bg{fill:#f3f4f7}#timeline-svg .item{cursor:pointer}
    .hop{stroke:#3b6fd8;stroke-width:1.5}.call{fill:#3b6fd8}.handling{fill:#9db5ea}.notification{fill:#7a3bd8}.record{fill:#777}.lock{fill:#e0a030;opacity:.7}
    .interrupt{fill:#d84b3b;opacity:.6}.device{fill:#3bab8a;opacity:.7}.procedure{fill:#4aa3c8;opacity:.7}.event{fill:#555}
    .uart.core0{fill:#e8743b}.uart.core1{fill:#19a979}.uart.core2{fill:#945ecf}.uart.core3{fill:#13a4b4}.uart{fill:#888}
    .finding-mark{fill:#c62828}.finding-mark.warning{fill:#e0a000}.finding-mark.note{fill:#5b8def}
    .selected{stroke:#000;stroke-width:2}.density{fill:#9aa3b5}
    #details{background:#f6f7f9;border:1px solid #e1e4ea;padding:8px 10px;white-space:pre-wrap;min-height:40px;margin-top:8px}
    table{border-collapse:collapse}th,td{padding:3px 10px;text-align:right;border-bottom:1px solid #eee}
    th:first-child,td:first-child{text-align:left}.histogram rect{fill:#3b6fd8}
    #findings ol{padding-left:22px}#findings li{margin:4px 0}#findings a{color:inherit;text-decoration:none}
    #findings a:hover{text-decoration:underline}.severity{font-weight:600;text-transform:uppercase;font-size:11px}
    .finding.error .severity{color:#c62828}.finding.warning .severity{color:#a07000}.finding.note .severity{color:#3b6fd8}
    .rule{font-family:ui-monospace,monospace}.aside{color:#666;font-size:12px}
    """

    static let script = """
    (function () {
      "use strict";
      var data = JSON.parse(document.getElementById("data").textContent);
      var svg = document.getElementById("timeline-svg");
      var details = document.getElementById("details");
      var laneHeight = 24, labelWidth = 170, top = 18;
      var view = [0, data.span];
      var selected = null;
      var NS = "http://www.w3.org/2000/svg";
      function width() { return Math.max(400, svg.clientWidth || 900); }
      function x(t) { return labelWidth + (t - view[0]) / (view[1] - view[0]) * (width() - labelWidth - 10); }
      function timeAt(px) { return view[0] + (px - labelWidth) / (width() - labelWidth - 10) * (view[1] - view[0]); }
      function duration(ns) {
        if (ns >= 1e9) return (ns / 1e9).toFixed(3) + " s";
        if (ns >= 1e6) return (ns / 1e6).toFixed(3) + " ms";
        if (ns >= 1e3) return (ns / 1e3).toFixed(1) + " µs";
        return Math.round(ns) + " ns";
      }
      function element(name, attributes, text) {
        var e = document.createElementNS(NS, name);
        for (var key in attributes) e.setAttribute(key, attributes[key]);
        if (text !== undefined) e.textContent = text;
        return e;
      }
      function draw() {
        while (svg.firstChild) svg.removeChild(svg.firstChild);
        var w = width(), height = top + laneHeight * data.lanes.length + 6;
        svg.setAttribute("height", height);
        svg.setAttribute("viewBox", "0 0 " + w + " " + height);
        data.lanes.forEach(function (lane, i) {
          var y = top + i * laneHeight;
          if (i % 2 === 0) svg.appendChild(element("rect", {x: 0, y: y, width: w, height: laneHeight, "class": "lane-bg"}));
          svg.appendChild(element("text", {x: 6, y: y + 16, "class": "lane-label lane", "data-kind": lane[1]}, lane[0]));
        });
        for (var tick = 0; tick <= 4; tick++) {
          var t = view[0] + (view[1] - view[0]) * tick / 4;
          svg.appendChild(element("text", {x: x(t) - (tick === 4 ? 60 : 0), y: 12}, "+" + duration(t)));
        }
        // Indices of the items in view: an item's index is what a click shows.
        var visible = [];
        data.items.forEach(function (item, index) {
          var end = item[3] === null ? item[2] : item[3];
          if (end >= view[0] && item[2] <= view[1]) visible.push(index);
        });
        var drawOne = visible.length <= data.maxDrawn;
        var columns = {};
        // Calls in flight at once on one core are staggered, so that each stays visible.
        var callLevels = {};
        visible.forEach(function (index) {
          var item = data.items[index];
          var lane = item[0], kind = item[1], y = top + lane * laneHeight;
          if (!drawOne && kind !== "finding") {
            var column = lane + ":" + Math.floor(x(item[2]));
            columns[column] = (columns[column] || 0) + 1;
            return;
          }
          var cls = "item " + kind + (kind === "uart" && item[6] >= 0 ? " core" + item[6] : "");
          var shape;
          if (kind === "hop") {
            // A step of a routed call: from this lane to lane item[6].
            shape = element("line", {x1: x(item[2]), y1: y + laneHeight / 2, x2: x(item[3]),
                                     y2: top + item[6] * laneHeight + laneHeight / 2, "class": "item hop", "data-i": index});
          } else if (kind === "finding") {
            var f = data.findings[item[7]];
            cls = "item finding-mark " + f.severity;
            var fx = x(item[2]);
            shape = element("path", {d: "M" + fx + " " + (y + 4) + " l6 8 l-6 8 l-6 -8 z", "class": cls, "data-i": index,
                                     "data-f": item[7]});
          } else if (item[3] !== null && item[3] > item[2]) {
            var x0 = Math.max(labelWidth, x(item[2])), x1 = Math.min(width(), x(item[3]));
            // A core's own calls in the upper band; what it handles, holds or is interrupted by, below.
            var band = kind === "call" ? [3, 11] : (kind === "uart" || kind === "record") ? [4, 16] : [15, 6];
            if (kind === "call") {
              var ends = callLevels[lane] || (callLevels[lane] = []);
              var level = 0;
              while (level < ends.length && ends[level] > item[2]) level++;
              ends[level] = item[3];
              level = Math.min(level, 3);
              band = [3 + 2 * level, 11 - 2 * level];
            }
            shape = element("rect", {x: x0, y: y + band[0], width: Math.max(2, x1 - x0), height: band[1],
                                     "class": cls, "data-i": index});
          } else {
            shape = element("circle", {cx: x(item[2]), cy: y + laneHeight / 2, r: 4, "class": cls, "data-i": index});
          }
          if (selected === index) shape.classList.add("selected");
          shape.appendChild(element("title", {}, item[4]));
          svg.appendChild(shape);
        });
        for (var column in columns) {
          var parts = column.split(":");
          var lane2 = +parts[0], px = +parts[1];
          var level = Math.min(1, 0.25 + columns[column] / 20);
          svg.appendChild(element("rect", {x: px, y: top + lane2 * laneHeight + 3, width: 1, height: laneHeight - 6,
                                           "class": "density", opacity: level}));
        }
        data.density.forEach(function (bin) {
          var start = bin[1] * data.binWidth, end = start + data.binWidth;
          if (end < view[0] || start > view[1]) return;
          var x0 = Math.max(labelWidth, x(start)), x1 = Math.max(x0 + 1, x(end));
          svg.appendChild(element("rect", {x: x0, y: top + bin[0] * laneHeight + 5, width: x1 - x0, height: laneHeight - 10,
                                           "class": "density", opacity: Math.min(1, 0.2 + bin[2] / 50)}));
        });
        document.getElementById("view").textContent = "+" + duration(view[0]) + " to +" + duration(view[1])
          + (drawOne ? "" : " (" + visible.length + " items: shown as density, zoom in for each)");
      }
      function show(index) {
        var item = data.items[index];
        selected = index;
        var text = item[5];
        if (item[1] === "finding") {
          var f = data.findings[item[7]];
          text = f.rule + " (" + f.severity + "): " + f.message;
          (f.accesses || []).forEach(function (a) {
            text += "\\n  " + a.core + " at record " + a.record + ": " + a.action
              + (a.locks_held.length ? " holding " + a.locks_held.join(", ") : " holding no lock");
          });
          (f.calls || []).forEach(function (c) {
            text += "\\n  " + c.caller + " → " + c.callee + " " + c.method + " msgid " + c.msgid + " (record " + c.record + ")";
          });
          if (f.wire) {
            text += "\\n  wire: " + f.wire.map(function (run) { return run.core + ": " + (run.text || run.hex); }).join(" | ");
          }
        } else {
          text += "\\n+" + duration(item[2]) + (item[3] !== null ? " to +" + duration(item[3]) : "");
        }
        details.textContent = text;
        draw();
      }
      function focusFinding(f) {
        var index = -1;
        data.items.forEach(function (item, i) { if (item[1] === "finding" && item[7] === f) index = i; });
        if (index < 0) return;
        var t = data.items[index][2], half = Math.max(data.span / 40, 1000);
        view = [Math.max(0, t - half), Math.min(data.span, t + half)];
        show(index);
        svg.scrollIntoView({block: "center"});
      }
      function zoom(factor, around) {
        var center = around === undefined ? (view[0] + view[1]) / 2 : around;
        var span = Math.max(100, (view[1] - view[0]) * factor);
        var start = Math.max(0, Math.min(center - (center - view[0]) * factor, data.span - span));
        view = [start, Math.min(data.span, start + span)];
        draw();
      }
      svg.addEventListener("wheel", function (e) {
        e.preventDefault();
        zoom(e.deltaY < 0 ? 0.8 : 1.25, timeAt(e.offsetX));
      }, {passive: false});
      var drag = null;
      svg.addEventListener("mousedown", function (e) { drag = {x: e.clientX, view: view.slice()}; });
      window.addEventListener("mouseup", function () { drag = null; });
      window.addEventListener("mousemove", function (e) {
        if (!drag) return;
        var shift = (e.clientX - drag.x) / (width() - labelWidth - 10) * (drag.view[1] - drag.view[0]);
        var span = drag.view[1] - drag.view[0];
        var start = Math.max(0, Math.min(drag.view[0] - shift, data.span - span));
        view = [start, start + span];
        draw();
      });
      svg.addEventListener("click", function (e) {
        var i = e.target.getAttribute && e.target.getAttribute("data-i");
        if (i !== null && i !== undefined) show(+i);
      });
      document.getElementById("zoom-in").addEventListener("click", function () { zoom(0.5); });
      document.getElementById("zoom-out").addEventListener("click", function () { zoom(2); });
      document.getElementById("reset").addEventListener("click", function () { view = [0, data.span]; draw(); });
      Array.prototype.forEach.call(document.querySelectorAll("#findings li"), function (li) {
        li.addEventListener("click", function (e) { e.preventDefault(); focusFinding(+li.getAttribute("data-f")); });
      });
      window.addEventListener("resize", draw);
      draw();
    })();
    """
}
