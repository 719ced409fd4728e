/* The point detail: trend with change points, inter-token-latency quantiles, roofline efficiency. */

// ---------------------------------------------------------------- point detail: trend, ITL, roofline

function pointOptions() {
  var select = clear(document.getElementById("detail-point"));
  var options = [];
  visibleSeries().forEach(function (s) {
    var si = DATA.series.indexOf(s), p = s.points;
    p.id.forEach(function (_, i) {
      if (!batchVisible(p.batch[i])) return;
      var mark = "";
      if (p.verdicts) {
        var verdicts = Object.keys(p.verdicts).map(function (m) { return p.verdicts[m].excluded[i] ? "" : p.verdicts[m].verdict[i]; });
        if (verdicts.indexOf("regression") >= 0) mark = "  ▲ regression";
        else if (verdicts.indexOf("improvement") >= 0) mark = "  ▼ improvement";
      }
      if (!mark && p.status[i] !== "valid") mark = "  ◆ " + p.status[i];
      options.push([si + ":" + i, modelText(s.model) + " · " + s.provider + " · " + s.gpu + " · " + pointLabel(p, i) + mark]);
    });
  });
  options.forEach(function (o) { select.appendChild(option(o[0], o[1])); });
  var current = state.point ? state.point.series + ":" + state.point.index : "";
  if (!options.some(function (o) { return o[0] === current; })) {
    state.point = options.length ? defaultPoint(options) : null;
  }
  if (state.point) select.value = state.point.series + ":" + state.point.index;
}
function defaultPoint(options) {
  // The most changed regression first, so the page opens on what needs a look.
  var best = null;
  options.forEach(function (o) {
    var parts = o[0].split(":"), si = +parts[0], i = +parts[1], p = DATA.series[si].points;
    if (!p.verdicts) return;
    Object.keys(p.verdicts).forEach(function (m) {
      var vd = p.verdicts[m];
      if (vd.verdict[i] === "regression" && !vd.excluded[i] && (!best || Math.abs(vd.change[i]) > best.score)) {
        best = { series: si, index: i, score: Math.abs(vd.change[i]), metric: m };
      }
    });
  });
  if (best) { state.trendMetric = best.metric; return best; }
  var first = options[0][0].split(":");
  return { series: +first[0], index: +first[1] };
}

function selectPoint(si, i, metric, scroll) {
  state.point = { series: si, index: i };
  if (metric) state.trendMetric = metric;
  var select = document.getElementById("detail-point");
  var value = si + ":" + i;
  if (![].some.call(select.options, function (o) { return o.value === value; })) {
    state.model = state.provider = state.gpu = state.batch = state.versions = "";
    buildFilters();
    renderFiltered();
  }
  select.value = value;
  document.getElementById("trend-metric").value = state.trendMetric;
  renderDetail();
  if (scroll) document.getElementById("detail").scrollIntoView({ behavior: "smooth", block: "start" });
}

function renderDetail() {
  var trendSlot = document.getElementById("trend-slot");
  var itlSlot = document.getElementById("itl-slot");
  var roofSlot = document.getElementById("roofline-slot");
  var summary = clear(document.getElementById("detail-summary"));
  if (!state.point) {
    [trendSlot, itlSlot, roofSlot].forEach(function (slot) { message(slot, "No point", "No point matches the filters."); });
    return;
  }
  var s = DATA.series[state.point.series], i = state.point.index, p = s.points;
  add(summary, modelNode(s.model), " · " + s.provider + " · " + s.gpu + " · ", el("b", null, pointLabel(p, i)),
    el("span", "muted", "  (" + p.id[i] + ")"));
  if (p.status[i] !== "valid") add(summary, " ", el("span", "badge badge--" + p.status[i], p.status[i]),
    p.reasons[i] ? el("span", "muted", " " + p.reasons[i].join("; ")) : null);
  safely(trendSlot, "trend", function () { renderTrend(trendSlot, s, i); });
  safely(itlSlot, "inter-token latency", function () { renderItl(itlSlot, s, i); });
  safely(roofSlot, "roofline", function () { renderRoofline(roofSlot, s, i); });
}

function renderTrend(slot, s, i) {
  var metric = state.trendMetric;
  var t = trendIndex[s.points.id[i] + "\u0000" + s.gpu];
  if (!t) { message(slot, "Trend", "This point has no history."); return; }
  var values = t.values[metric];
  var versions = uniq(t.run.map(function (r) { return DATA.trend.versions[r]; }));
  var data = [];
  versions.forEach(function (version, vi) {
    var idx = [];
    t.run.forEach(function (r, k) { if (DATA.trend.versions[r] === version && values[k] !== null) idx.push(k); });
    data.push({
      x: idx.map(function (k) { return DATA.runs[t.run[k]].time; }),
      y: idx.map(function (k) { return values[k]; }),
      mode: "markers",
      name: esc(version),
      marker: {
        symbol: VERSION_SYMBOLS[vi % VERSION_SYMBOLS.length],
        size: idx.map(function (k) { return DATA.runs[t.run[k]].role === "candidate" ? 12 : 8; }),
        color: PALETTE[vi % PALETTE.length],
        line: { width: idx.map(function (k) { return t.status[k] !== "valid" ? 2 : 0; }), color: AMBER }
      },
      text: idx.map(function (k) {
        var run = DATA.runs[t.run[k]];
        return "<b>" + fmt(values[k]) + " " + esc(DATA.metrics[metric].unit) + "</b> (median)<br>" + esc(run.id) + " (" + run.role + ")<br>" +
          esc(when(run.time)) + " · " + esc(run.host) + "<br>" + esc(version) + (t.status[k] !== "valid" ? "<br>point " + t.status[k] : "");
      }),
      hoverinfo: "text",
      meta: "trend"
    });
  });
  var runsWithValues = values.filter(function (v) { return v !== null; }).length;
  var cps = t.changePoints[metric] || [];
  var layout = baseLayout("Trend: " + DATA.metrics[metric].title + " (" + DATA.metrics[metric].unit + ")",
    "run time", DATA.metrics[metric].unit,
    "median per run · " + (cps.length ? plural(cps.length, "change point") + " (PELT + Mann-Whitney U, min. 5 %)" : runsWithValues < 10
      ? "change points need 10+ runs (" + runsWithValues + " here)"
      : "no change point in the last " + Math.min(runsWithValues, DATA.trend.window) + " runs"));
  layout.xaxis.type = "date";
  layout.shapes = [];
  layout.annotations = [];
  cps.forEach(function (cp) {
    var color = cp.verdict === "regression" ? RED : GREEN;
    var x = DATA.runs[cp.run].time;
    layout.shapes.push({ type: "line", xref: "x", yref: "paper", x0: x, x1: x, y0: 0, y1: 1, line: { color: color, width: 2, dash: "dash" } });
    layout.annotations.push({ x: x, xref: "x", y: 1, yref: "paper", yanchor: "bottom", showarrow: false,
      text: cp.verdict + " " + pct(cp.change) + " (p " + pval(cp.p) + ")", font: { color: color, size: 11 } });
  });
  if (cps.length) {
    // Segment medians between change points.
    var bounds = [t.run[0]].concat(cps.map(function (cp) { return cp.run; })).concat([t.run[t.run.length - 1]]);
    var levels = [cps[0].before].concat(cps.map(function (cp) { return cp.after; }));
    levels.forEach(function (level, k) {
      data.push({ x: [DATA.runs[bounds[k]].time, DATA.runs[bounds[k + 1]].time], y: [level, level], mode: "lines",
        line: { color: "#3c4856", width: 1.5 }, hoverinfo: "skip", showlegend: k === 0, name: "segment median", meta: "segment" });
    });
  }
  layout.showlegend = true;
  draw(slot, { data: data, layout: layout });
}

function renderItl(slot, s, i) {
  var p = s.points, q = p.itl[i], qb = p.itlBaseline[i];
  if (!q) { message(slot, "Inter-token latency", "No inter-token latency samples at this point."); return; }
  var levels = q.map(function (_, k) { return (100 * k) / (q.length - 1); });
  var data = [];
  if (qb) data.push({ x: qb, y: levels, mode: "lines", name: "baseline", line: { color: GREY, width: 2, dash: "dot" },
    hovertemplate: "baseline p%{y:.0f}: %{x:.4g} ms<extra></extra>" });
  data.push({ x: q, y: levels, mode: "lines", name: "candidate", line: { color: PALETTE[0], width: 2.5 },
    hovertemplate: "candidate p%{y:.0f}: %{x:.4g} ms<extra></extra>" });
  var layout = baseLayout("Inter-token latency distribution (CDF)", "inter-token latency (ms)", "percentile",
    "p50 / p99: " + fmt(quantile(q, 50)) + " / " + fmt(quantile(q, 99)) + " ms" +
    (qb ? " (baseline " + fmt(quantile(qb, 50)) + " / " + fmt(quantile(qb, 99)) + " ms)" : ""));
  layout.yaxis.range = [0, 100];
  draw(slot, { data: data, layout: layout });
}

function renderRoofline(slot, s, i) {
  var p = s.points, r = p.roofline;
  if (!r.efficiency.some(function (v) { return v !== null; })) {
    message(slot, "Roofline efficiency", "Not known for these runs" + (r.note ? " (" + r.note + ")." : "."));
    return;
  }
  var data = [];
  lineKeys(p).forEach(function (line) {
    var color = batchColor(line.batch);
    data.push({ x: line.idx.map(function (k) { return p.prompt[k]; }), y: line.idx.map(function (k) { return r.efficiency[k]; }),
      mode: "lines+markers", name: line.name, line: { color: color, width: 2 }, marker: { size: 7 },
      text: line.idx.map(function (k) {
        return "<b>" + esc(pointLabel(p, k)) + "</b><br>" + fmt(r.efficiency[k]) + " % of the bandwidth bound<br>bound " + fmt(r.bound[k]) +
          " tokens/s<br>measured " + fmt(p.metrics.decode_tokens_per_s.median[k]) + " tokens/s";
      }), hoverinfo: "text" });
  });
  if (r.efficiency[i] !== null) {
    data.push({ x: [p.prompt[i]], y: [r.efficiency[i]], mode: "markers", name: "selected point",
      marker: { symbol: "circle-open", size: 16, color: "#1d2430", line: { width: 2 } }, hoverinfo: "skip" });
  }
  var method = r.method ? " · bandwidth: " + (r.method.length > 34 ? r.method.slice(0, 32) + "…" : r.method) : "";
  var layout = baseLayout("Roofline efficiency (decode)", "prompt tokens", "% of bound", esc("% of the memory-bandwidth bound" + method));
  Object.assign(layout.xaxis, promptAxis(p.prompt));
  draw(slot, { data: data, layout: layout });
}
