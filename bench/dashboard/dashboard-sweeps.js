/* The sweep charts (median and p10-p90 per point, baseline band, verdict markers), VRAM, and the
 * change-per-point comparison chart. */

// ---------------------------------------------------------------- sweep charts

function lineKeys(p) {
  var outputs = uniq(p.output);
  var keys = [];
  p.batch.forEach(function (b, i) {
    if (!batchVisible(b)) return;
    var key = b + "|" + p.output[i];
    if (keys.indexOf(key) < 0) keys.push(key);
  });
  keys.sort(function (a, b) { var x = a.split("|"), y = b.split("|"); return (x[0] - y[0]) || (x[1] - y[1]); });
  return keys.map(function (key) {
    var parts = key.split("|"), b = +parts[0], o = +parts[1];
    var idx = [];
    p.batch.forEach(function (bb, i) { if (bb === b && p.output[i] === o) idx.push(i); });
    idx.sort(function (i, j) { return p.prompt[i] - p.prompt[j]; });
    return { batch: b, output: o, idx: idx, name: "batch " + b + (outputs.length > 1 ? ", out " + o : "") };
  });
}
var batchColorIndex = {};
function batchColor(b) {
  if (!(b in batchColorIndex)) batchColorIndex[b] = Object.keys(batchColorIndex).length;
  return PALETTE[batchColorIndex[b] % PALETTE.length];
}

function hoverText(s, i, metric) {
  var p = s.points, m = p.metrics[metric], b = p.baseline[metric], unit = DATA.metrics[metric].unit;
  var lines = [
    "<b>" + esc(pointLabel(p, i)) + "</b>  " + esc(modelText(s.model)) + " · " + esc(s.provider),
    DATA.metrics[metric].title + ": <b>" + fmt(m.median[i]) + " " + esc(unit) + "</b>  (p10 " + fmt(m.low[i]) + ", p90 " + fmt(m.high[i]) + ", n=" + m.count[i] + ")"
  ];
  if (b.median[i] !== null) {
    lines.push((b.kind === "derived" ? "derived expectation " : "baseline median ") + fmt(b.median[i]) +
      (b.low[i] !== null ? "  (" + (BAND_HOVER[b.band] || "") + fmt(b.low[i]) + "–" + fmt(b.high[i]) + ")" : ""));
  }
  var vd = p.verdicts && p.verdicts[metric];
  if (vd && vd.verdict[i]) {
    var verdict = vd.verdict[i];
    lines.push("verdict: <b>" + verdict.replace("_", " ") + "</b>" + (vd.excluded[i] ? " (excluded)" : ""));
    if (vd.change[i] !== null) lines.push("change " + pct(vd.change[i]) + "  95 % CI [" + pct(vd.ciLow[i]) + ", " + pct(vd.ciHigh[i]) + "]");
    if (vd.p[i] !== null) lines.push("p " + pval(vd.p[i]) + ", adjusted p " + pval(vd.pAdjusted[i]));
    if (vd.reason[i]) lines.push(esc(wrap(vd.reason[i], 70)));
  }
  if (p.status[i] !== "valid") lines.push("point " + p.status[i] + (p.reasons[i] ? ": " + esc(wrap(p.reasons[i].join("; "), 70)) : ""));
  return lines.join("<br>");
}
function wrap(text, width) {
  var words = String(text).split(" "), lines = [], line = "";
  words.forEach(function (w) {
    if (line && (line + " " + w).length > width) { lines.push(line); line = w; } else { line = line ? line + " " + w : w; }
  });
  if (line) lines.push(line);
  return lines.join("\n");
}
// Linear interpolation in quantiles stored at evenly spaced levels 0..100.
function quantile(q, level) {
  var pos = (level / 100) * (q.length - 1), lo = Math.floor(pos), hi = Math.ceil(pos);
  return q[lo] + (q[hi] - q[lo]) * (pos - lo);
}
// esc() keeps "\n"; plotly wants <br>.
function br(text) { return text.replace(/\n/g, "<br>"); }

function sweepFigure(si, metric) {
  var s = DATA.series[si], p = s.points, m = p.metrics[metric], base = p.baseline[metric];
  var data = [];
  var lines = lineKeys(p);
  var bandName = BAND_NAMES[base.band] || "baseline band";
  var bandShown = false;
  lines.forEach(function (line) {
    var color = batchColor(line.batch);
    var xs = line.idx.map(function (i) { return p.prompt[i]; });
    var hasBase = line.idx.some(function (i) { return base.median[i] !== null; });
    if (hasBase) {
      var hasBand = line.idx.some(function (i) { return base.low[i] !== null && base.high[i] !== null; });
      if (hasBand) {
        data.push({ x: xs, y: line.idx.map(function (i) { return base.low[i]; }), mode: "lines", line: { width: 0, color: color },
          hoverinfo: "skip", showlegend: false, legendgroup: line.name, meta: "baseline-low" });
        data.push({ x: xs, y: line.idx.map(function (i) { return base.high[i]; }), mode: "lines", line: { width: 0, color: color },
          fill: "tonexty", fillcolor: hexAlpha(color, 0.13), hoverinfo: "skip", legendgroup: line.name,
          name: bandName, showlegend: !bandShown, meta: "baseline-band" });
        bandShown = true;
      }
      data.push({ x: xs, y: line.idx.map(function (i) { return base.median[i]; }), mode: "lines", name: "baseline, " + line.name,
        line: { color: color, width: 1.3, dash: "dot" }, legendgroup: line.name, showlegend: false, meta: "baseline-median",
        text: line.idx.map(function (i) { return br(hoverText(s, i, metric)); }), hoverinfo: "text" });
    }
    data.push({
      x: xs,
      y: line.idx.map(function (i) { return m.median[i]; }),
      mode: "lines+markers",
      name: line.name,
      legendgroup: line.name,
      line: { color: color, width: 2 },
      marker: { color: color, size: 7 },
      error_y: { type: "data", symmetric: false, color: hexAlpha(color, 0.7), thickness: 1.3, width: 4,
        array: line.idx.map(function (i) { return m.high[i] === null ? null : m.high[i] - m.median[i]; }),
        arrayminus: line.idx.map(function (i) { return m.low[i] === null ? null : m.median[i] - m.low[i]; }) },
      text: line.idx.map(function (i) { return br(hoverText(s, i, metric)); }),
      hoverinfo: "text",
      customdata: line.idx.map(function (i) { return [si, i]; }),
      meta: "candidate"
    });
  });
  // Verdict markers at the exact (prompt, median) of each judged point, on top of the lines.
  var overlays = [
    ["regression", RED, "circle-open", 17],
    ["improvement", GREEN, "circle-open", 17]
  ];
  var vd = p.verdicts && p.verdicts[metric];
  var visible = [];
  lines.forEach(function (line) { visible = visible.concat(line.idx); });
  overlays.forEach(function (o) {
    if (!vd) return;
    var idx = visible.filter(function (i) { return vd.verdict[i] === o[0] && !vd.excluded[i] && m.median[i] !== null; });
    if (!idx.length) return;
    data.push({ x: idx.map(function (i) { return p.prompt[i]; }), y: idx.map(function (i) { return m.median[i]; }),
      mode: "markers", name: o[0], marker: { symbol: o[2], size: o[3], color: o[1], line: { width: 3, color: o[1] } },
      text: idx.map(function (i) { return br(hoverText(s, i, metric)); }), hoverinfo: "text",
      customdata: idx.map(function (i) { return [si, i, p.id[i]]; }), meta: "verdict-" + o[0] });
  });
  var flagged = visible.filter(function (i) {
    return m.median[i] !== null && (p.status[i] === "flagged" || (vd && vd.excluded[i]));
  });
  if (flagged.length) {
    data.push({ x: flagged.map(function (i) { return p.prompt[i]; }), y: flagged.map(function (i) { return m.median[i]; }),
      mode: "markers", name: "flagged (not judged)", marker: { symbol: "diamond-open", size: 15, color: AMBER, line: { width: 2.5, color: AMBER } },
      text: flagged.map(function (i) { return br(hoverText(s, i, metric)); }), hoverinfo: "text",
      customdata: flagged.map(function (i) { return [si, i, p.id[i]]; }), meta: "flagged" });
  }
  var layout = baseLayout(metricTitle(metric), "prompt tokens", DATA.metrics[metric].unit);
  Object.assign(layout.xaxis, promptAxis(visible.map(function (i) { return p.prompt[i]; })));
  return { data: data, layout: layout };
}

function vramFigure(si) {
  var s = DATA.series[si], p = s.points, v = p.vram, data = [];
  var context = function (i) { return p.prompt[i] + p.output[i]; };
  var weightsShown = false;
  lineKeys(p).forEach(function (line) {
    var color = batchColor(line.batch);
    var xs = line.idx.map(context);
    var text = line.idx.map(function (i) {
      return "<b>" + esc(pointLabel(p, i)) + "</b><br>weights " + fmt(v.weights[i]) + " MiB<br>KV cache " + fmt(v.kv[i]) +
        " MiB<br>peak " + fmt(v.peak[i]) + " MiB";
    });
    data.push({ x: xs, y: line.idx.map(function (i) { return v.peak[i]; }), mode: "lines+markers", name: "peak, " + line.name,
      line: { color: color, width: 2 }, marker: { size: 6 }, text: text, hoverinfo: "text" });
    data.push({ x: xs, y: line.idx.map(function (i) { return v.kv[i]; }), mode: "lines+markers", name: "KV cache, " + line.name,
      line: { color: color, width: 1.5, dash: "dash" }, marker: { size: 5, symbol: "square" }, text: text, hoverinfo: "text" });
    if (!weightsShown) {
      data.push({ x: xs, y: line.idx.map(function (i) { return v.weights[i]; }), mode: "lines", name: "weights",
        line: { color: GREY, width: 2, dash: "dot" }, text: text, hoverinfo: "text" });
      weightsShown = true;
    }
  });
  var layout = baseLayout("VRAM vs context (MiB)", "context: prompt + output tokens", "MiB");
  return { data: data, layout: layout };
}

// Cards with regressions first, then those with points not judged, so the page opens on what needs a look.
function severityOrder() {
  var order = DATA.series.map(function (_, si) { return si; });
  var score = function (si) {
    var c = DATA.verdict.groups[si].counts;
    return [c.regression, c.not_comparable + c.flagged + c.invalid];
  };
  order.sort(function (a, b) {
    var x = score(a), y = score(b);
    return (y[0] - x[0]) || (y[1] - x[1]) || (a - b);
  });
  return order;
}

function renderSweeps() {
  var root = clear(document.getElementById("sweep-cards"));
  var shown = 0, total = 0;
  severityOrder().forEach(function (si) {
    var s = DATA.series[si];
    if (!seriesVisible(s)) return;
    total += 1;
    if (shown >= MAX_CARDS) return;
    shown += 1;
    var card = el("section", "card sweep-card");
    card.setAttribute("data-series", s.key);
    var head = el("div", "card__head");
    add(head, add(el("h3"), modelNode(s.model)), el("span", "muted", s.provider + " · " + s.gpu));
    var group = DATA.verdict.groups[si];
    if (DATA.verdict.state !== "none") {
      var counts = el("span", "card__counts counts");
      add(counts,
        el("span", group.counts.regression ? "n-regression" : "muted", plural(group.counts.regression, "regression")),
        el("span", group.counts.improvement ? "n-improvement" : "muted", plural(group.counts.improvement, "improvement")),
        el("span", group.counts.flagged ? "n-flagged" : "muted", group.counts.flagged + " flagged"));
      add(head, counts);
    }
    add(card, head, el("div", "card__sub", s.versions + (s.baseline ? "  ·  vs " + s.baseline : "  ·  no baseline")));
    var grid = el("div", "chart-grid");
    card.appendChild(grid);
    root.appendChild(card);
    ["ttft_ms", "decode_tokens_per_s", "prefill_tokens_per_s"].forEach(function (metric) {
      var slot = el("div", "chart-slot");
      slot.setAttribute("data-metric", metric);
      grid.appendChild(slot);
      safely(slot, DATA.metrics[metric].title, function () {
        var div = draw(slot, sweepFigure(si, metric));
        div.on("plotly_click", function (ev) {
          var cd = ev.points && ev.points[0] && ev.points[0].customdata;
          if (cd) selectPoint(cd[0], cd[1], metric, true);
        });
      });
    });
    var vslot = el("div", "chart-slot");
    vslot.setAttribute("data-metric", "vram");
    grid.appendChild(vslot);
    if (s.vramNote) message(vslot, "VRAM", "No GPU telemetry in these runs (" + s.vramNote + ").");
    else safely(vslot, "VRAM", function () { draw(vslot, vramFigure(si)); });
  });
  if (!total) message(root, "Nothing to show", "No model/provider/GPU matches the filters.");
  else if (total > shown) root.appendChild(el("p", "message", "Showing " + shown + " of " + total + " model/provider/GPU combinations: narrow the filters to see the others."));
  var count = document.getElementById("filter-count");
  if (count) count.textContent = total + " of " + DATA.series.length + " model/provider/GPU combinations";
}

function renderKey() {
  var bands = uniq(DATA.series.map(function (s) { return s.points.baseline.ttft_ms.band; }).filter(Boolean));
  var text = "Median per point; error bars " + DATA.errorBars + ".";
  if (bands.length) {
    text += " Dotted line: the baseline median; shaded band: " + bands.map(function (b) {
      return { ci: "its 95 % confidence interval", tolerance: "the derived expectation's tolerance band", spread: "the baseline's p10–p90", mixed: "see hover" }[b];
    }).join(" or ") + ".";
  }
  text += " Red ring: regression, green ring: improvement, amber diamond: flagged (not judged). Click a point for its detail.";
  document.getElementById("sweep-key").textContent = text;
}

// ---------------------------------------------------------------- change per point (driver / version comparison)

function renderCompare() {
  var slot = clear(document.getElementById("compare-body"));
  var metric = state.compareMetric;
  var series = visibleSeries();
  var withVerdicts = series.filter(function (s) { return s.points.verdicts; });
  if (!withVerdicts.length) {
    message(slot, "No comparison", DATA.verdict.state === "none"
      ? "No baseline was given: pass --baseline (a result file, a folder of runs or a baseline name) to see the change at every point."
      : "No point of the filtered runs was compared.");
    return;
  }
  var versions = uniq(withVerdicts.map(function (s) { return s.versions + " · " + s.gpu; }));
  var data = [];
  withVerdicts.forEach(function (s) {
    var p = s.points, vd = p.verdicts[metric], si = DATA.series.indexOf(s);
    var idx = [];
    lineKeys(p).forEach(function (line) { idx = idx.concat(line.idx); });
    idx = idx.filter(function (i) { return vd.change[i] !== null; });
    if (!idx.length) return;
    var group = s.versions + " · " + s.gpu;
    var gi = versions.indexOf(group);
    data.push({
      type: "bar",
      x: [idx.map(function () { return esc(modelText(s.model)) + " · " + esc(s.provider); }), idx.map(function (i) { return pointLabel(p, i); })],
      y: idx.map(function (i) { return vd.change[i]; }),
      error_y: { type: "data", symmetric: false, color: "#3c4856", thickness: 1.2, width: 3,
        array: idx.map(function (i) { return vd.ciHigh[i] === null ? null : vd.ciHigh[i] - vd.change[i]; }),
        arrayminus: idx.map(function (i) { return vd.ciLow[i] === null ? null : vd.change[i] - vd.ciLow[i]; }) },
      marker: { color: idx.map(function (i) { return vd.excluded[i] ? AMBER : VERDICT_COLOR[vd.verdict[i]] || GREY; }),
        pattern: { shape: PATTERNS[gi % PATTERNS.length], fgcolor: "#ffffff", size: 6 } },
      name: esc(versions.length > 1 ? group : "vs " + (s.baseline || "baseline")),
      text: idx.map(function (i) { return br(hoverText(s, i, metric)); }),
      hoverinfo: "text",
      textposition: "none",
      customdata: idx.map(function (i) { return [si, i]; }),
      meta: "change"
    });
  });
  if (!data.length) { message(slot, "No comparison", "No point of the filtered runs has a " + DATA.metrics[metric].title + " change."); return; }
  var layout = baseLayout("Change vs baseline: " + metricTitle(metric), "", "change %",
    "median change with its 95 % CI · red: regression, green: improvement, grey: no change, light: not comparable, amber: flagged (not judged)");
  layout.height = 340;
  layout.barmode = "group";
  layout.showlegend = versions.length > 1;
  layout.yaxis.rangemode = "normal";
  layout.yaxis.zeroline = true;
  layout.yaxis.zerolinecolor = "#9aa5b1";
  layout.yaxis.ticksuffix = " %";
  var div = draw(slot, { data: data, layout: layout });
  div.on("plotly_click", function (ev) {
    var cd = ev.points && ev.points[0] && ev.points[0].customdata;
    if (cd) selectPoint(cd[0], cd[1], metric, true);
  });
}
