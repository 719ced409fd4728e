/* bench dashboard: draws every chart from the JSON payload in #bench-data (no server, no network).
 *
 * Safety: text from result files (model, scenario, host names...) reaches the page only through
 * textContent or, inside charts, through esc() (plotly renders a subset of HTML in its labels and
 * decodes &lt; &gt; &amp; back to plain characters). Nothing here assigns innerHTML.
 */
(function () {
  "use strict";

  var DATA = JSON.parse(document.getElementById("bench-data").textContent);
  var RED = "#d62728";
  var GREEN = "#1e8e3e";
  var AMBER = "#f0a020";
  var GREY = "#8a96a6";
  // Line colours for batch sizes: no red or green, which mean regression / improvement.
  var PALETTE = ["#2463eb", "#7c3aed", "#0891b2", "#b45309", "#db2777", "#4b5563", "#65a30d", "#0f766e"];
  var VERSION_SYMBOLS = ["circle", "square", "triangle-up", "diamond", "cross", "star", "hexagon", "pentagon"];
  var PATTERNS = ["", "/", "x", ".", "\\", "+", "-", "|"];
  var VERDICT_COLOR = { regression: RED, improvement: GREEN, no_change: "#9aa5b1", not_comparable: "#d5dae1" };
  var BAND_NAMES = {
    ci: "baseline median, 95 % CI",
    tolerance: "derived expectation (tolerance band)",
    spread: "baseline p10–p90",
    mixed: "baseline band (see hover)"
  };
  var BAND_HOVER = { ci: "95 % CI ", tolerance: "tolerance ", spread: "p10–p90 ", mixed: "band " };
  var MAX_CARDS = 12;
  var RUNS_SHOWN = 8;
  var PLOT_CONFIG = {
    displaylogo: false,
    responsive: true,
    modeBarButtonsToRemove: ["select2d", "lasso2d", "autoScale2d", "toggleSpikelines"],
    toImageButtonOptions: { format: "png", scale: 2 }
  };

  var state = { model: "", provider: "", gpu: "", batch: "", versions: "", point: null, compareMetric: "", trendMetric: "" };
  var trendIndex = {};
  DATA.trend.series.forEach(function (t) { trendIndex[t.id + "\u0000" + t.gpu] = t; });

  // ---------------------------------------------------------------- helpers

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  function add(parent) {
    for (var i = 1; i < arguments.length; i++) {
      var child = arguments[i];
      if (child === null || child === undefined) continue;
      parent.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    }
    return parent;
  }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); return node; }
  // For plotly labels, which interpret a few HTML tags: file text must show as text.
  function esc(value) {
    return String(value).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  }
  function fmt(v) {
    if (v === null || v === undefined || !isFinite(v)) return "–";
    var a = Math.abs(v);
    if (a >= 10000) return Math.round(v).toLocaleString("en-US");
    if (a >= 100) return v.toFixed(1);
    if (a >= 1) return v.toFixed(2);
    if (a === 0) return "0";
    return v.toPrecision(3);
  }
  function pct(v) { return v === null || v === undefined ? "–" : (v > 0 ? "+" : v < 0 ? "−" : "") + fmt(Math.abs(v)) + " %"; }
  function pval(v) { return v === null || v === undefined ? "–" : (v < 0.001 ? v.toExponential(1) : v.toPrecision(2)); }
  function when(iso) { return iso ? iso.replace("T", " ").replace(/:\d\d(\.\d+)?(\+00:00|Z)$/, " UTC").replace(/:\d\d(\.\d+)?([+-]\d\d:\d\d)$/, " $2") : "–"; }
  function plural(n, word) { return n + " " + word + (n === 1 ? "" : "s"); }
  function uniq(values) { var seen = {}; return values.filter(function (v) { if (seen[v]) return false; seen[v] = true; return true; }); }
  function shortGpu(name) { return String(name).replace(/\bNVIDIA /g, "").replace(/\bGeForce /g, ""); }
  function isTwin(model) { var m = DATA.models[model]; return !!(m && m.twin); }
  function modelText(model) { return isTwin(model) ? model + " (" + DATA.twinMark + ")" : model; }
  function twinBadge(model) { return isTwin(model) ? el("span", "badge badge--twin", DATA.twinMark) : null; }
  function modelNode(model) {
    var span = el("span", "model-name", model);
    var badge = twinBadge(model);
    var wrap = el("span", "model");
    add(wrap, span, badge ? " " : null, badge);
    return wrap;
  }
  function metricTitle(metric) {
    var m = DATA.metrics[metric];
    return m.title + " (" + m.unit + ", " + (m.direction === "higher" ? "higher is better" : "lower is better") + ")";
  }
  function pointLabel(p, i) { return "p" + p.prompt[i] + " b" + p.batch[i] + " o" + p.output[i]; }
  function message(slot, title, text) {
    var box = el("div", "message");
    add(box, el("strong", null, title), el("span", null, text));
    clear(slot).appendChild(box);
  }
  function hexAlpha(hex, alpha) {
    var n = parseInt(hex.slice(1), 16);
    return "rgba(" + (n >> 16 & 255) + "," + (n >> 8 & 255) + "," + (n & 255) + "," + alpha + ")";
  }
  function baseLayout(title, xTitle, yTitle, subtitle) {
    return {
      title: { text: title, font: { size: 13.5 }, x: 0.01, xanchor: "left", y: 0.985, yanchor: "top", yref: "container",
        subtitle: { text: subtitle || "", font: { size: 11, color: "#5f6b7a" } } },
      margin: { l: 62, r: 14, t: subtitle ? 58 : 40, b: 40 },
      height: 320,
      font: { family: "system-ui, -apple-system, Segoe UI, Roboto, Arial, sans-serif", size: 12, color: "#1d2430" },
      paper_bgcolor: "#fff",
      plot_bgcolor: "#fff",
      hovermode: "closest",
      hoverlabel: { align: "left", font: { size: 12 } },
      legend: { orientation: "h", x: 0, y: -0.3, yanchor: "top", font: { size: 11 } },
      xaxis: { title: { text: xTitle, font: { size: 12 } }, gridcolor: "#eef1f4", zeroline: false, automargin: true },
      yaxis: { title: { text: yTitle, font: { size: 12 } }, gridcolor: "#eef1f4", zeroline: false, automargin: true, rangemode: "tozero" }
    };
  }
  function draw(slot, figure) {
    clear(slot);
    var div = el("div", "chart");
    slot.appendChild(div);
    Plotly.newPlot(div, figure.data, figure.layout, PLOT_CONFIG);
    return div;
  }
  // A chart that fails to draw says so in its slot and on the console, and the rest of the page stays.
  function safely(slot, what, fn) {
    try { return fn(); } catch (err) {
      console.error("bench dashboard: " + what + ": " + (err && err.stack || err));
      message(slot, "Could not draw " + what, String(err && err.message || err));
      return null;
    }
  }
  function promptAxis(prompts) {
    var values = uniq(prompts.filter(function (v) { return v > 0; })).sort(function (a, b) { return a - b; });
    var axis = { tickvals: values, ticktext: values.map(String) };
    if (values.length > 1 && values[values.length - 1] / values[0] >= 8) axis.type = "log";
    return axis;
  }

  // ---------------------------------------------------------------- filters

  function seriesVisible(s) {
    return (!state.model || s.model === state.model) && (!state.provider || s.provider === state.provider) &&
      (!state.gpu || s.gpu === state.gpu) && (!state.versions || s.versions === state.versions);
  }
  function batchVisible(b) { return !state.batch || String(b) === state.batch; }
  function visibleSeries() { return DATA.series.filter(seriesVisible); }

  function buildFilters() {
    var nav = clear(document.getElementById("filters"));
    add(nav, el("span", "filters__label", "Filter"));
    var batches = [];
    DATA.series.forEach(function (s) { batches = batches.concat(s.points.batch); });
    var specs = [
      ["model", "model", uniq(DATA.series.map(function (s) { return s.model; })), modelText],
      ["provider", "provider", uniq(DATA.series.map(function (s) { return s.provider; }))],
      ["gpu", "GPU", uniq(DATA.series.map(function (s) { return s.gpu; }))],
      ["batch", "batch", uniq(batches).sort(function (a, b) { return a - b; }).map(String)],
      ["versions", "versions", uniq(DATA.series.map(function (s) { return s.versions; }))]
    ];
    specs.forEach(function (spec) {
      var key = spec[0], values = spec[2], label = spec[3] || String;
      if (key === "versions" && values.length < 2) return;
      var select = el("select");
      select.id = "filter-" + key;
      add(select, option("", "all (" + values.length + ")"));
      values.forEach(function (v) { add(select, option(v, label(v))); });
      select.value = state[key];
      select.addEventListener("change", function () { state[key] = select.value; renderFiltered(); });
      var wrap = el("label");
      add(wrap, spec[1] + " ", select);
      nav.appendChild(wrap);
    });
    add(nav, el("span", "filters__count"));
    nav.lastChild.id = "filter-count";
  }
  function option(value, text) { var o = el("option", null, text); o.value = value; return o; }

  // ---------------------------------------------------------------- header, verdict, runs

  function renderHeader() {
    var meta = document.getElementById("page-meta");
    var nPoints = DATA.runs.reduce(function (n, r) { return n + r.points; }, 0);
    meta.textContent = plural(DATA.runs.length, "run") + " · " + plural(nPoints, "point") + " · generated " + when(DATA.generated);
    var footer = document.getElementById("footer");
    footer.textContent = "Generated by bench " + DATA.bench + " from result files. Self-contained page: works offline. " +
      "Error bars: " + DATA.errorBars + ". Change CIs: 95 % bootstrap of the ratio of medians.";
  }

  var STATE_TEXT = {
    regression: "REGRESSION",
    improvement: "NO REGRESSION",
    no_change: "NO REGRESSION",
    not_comparable: "NOT COMPARABLE",
    none: "NO BASELINE"
  };

  function renderVerdict() {
    var v = DATA.verdict, t = v.totals;
    var root = clear(document.getElementById("verdict"));
    var banner = el("div", "banner banner--" + v.state);
    banner.id = "verdict-banner";
    var text = el("div", "banner__text");
    var counts = el("div", "banner__counts counts");
    if (v.state === "none") {
      add(counts, el("span", null, "No baseline given: the sweep is shown without a verdict"));
    } else {
      add(counts,
        el("span", t.regression ? "n-regression" : null, plural(t.regression, "regression")),
        el("span", t.improvement ? "n-improvement" : null, plural(t.improvement, "improvement")),
        el("span", (t.flagged ? "n-flagged" : null), plural(t.flagged, "flagged point")),
        el("span", null, t.not_comparable + " not comparable"),
        el("span", "muted", t.no_change + " no change"));
    }
    add(text, counts);
    if (v.rule) add(text, el("div", "banner__rule", "Rule: " + v.rule));
    var sides = "Candidate: " + v.candidate.join(", ") + (v.baseline.length ? "  ·  baseline: " + v.baseline.join(", ") : "");
    add(text, el("div", "banner__rule", sides));
    add(banner, el("div", "banner__state", STATE_TEXT[v.state] || v.state), text);
    root.appendChild(banner);

    var twins = Object.keys(DATA.models).filter(isTwin);
    if (twins.length) {
      root.appendChild(el("div", "twin-warning",
        "Synthetic twins (" + DATA.twinMark + "): " + twins.join(", ") +
        ". A twin has the real architecture, operators and graph I/O with random INT4 weights: it measures what the runtime does with that graph," +
        " says nothing about output quality, and only a full-size twin's figures stand for the real model's speed."));
    }

    var table = el("table", "grid");
    table.id = "verdict-table";
    var head = el("tr");
    var columns = v.state === "none" ? ["Model", "Provider · GPU · versions", "Points", "Flagged points", "Verdict"]
      : ["Model", "Provider · GPU · versions", "Regressions", "Improvements", "Flagged points", "Not comparable", "No change", "Worst change"];
    columns.forEach(function (h) { head.appendChild(el("th", null, h)); });
    add(table, add(el("thead"), head));
    var body = el("tbody");
    severityOrder().forEach(function (gi) {
      var g = v.groups[gi], c = g.counts, tr = el("tr");
      var where = el("td");
      add(where, el("div", "nowrap", g.provider + " · " + g.gpu), el("div", "muted small", g.versions));
      add(tr, add(el("td"), modelNode(g.model)), where);
      if (v.state === "none") {
        add(tr, el("td", "num", DATA.series[gi].points.id.length), el("td", "num" + (c.flagged ? " warn" : ""), c.flagged),
          el("td", "muted", "no baseline"));
      } else {
        add(tr,
          el("td", "num" + (c.regression ? " hot" : ""), c.regression),
          el("td", "num" + (c.improvement ? " good" : ""), c.improvement),
          el("td", "num" + (c.flagged ? " warn" : ""), c.flagged),
          el("td", "num" + (c.not_comparable ? " warn" : ""), c.not_comparable),
          el("td", "num", c.no_change));
        var worst = el("td", "worst");
        if (g.worst) {
          var s = DATA.series[gi];
          var button = el("button", "link",
            DATA.metrics[g.worst.metric].title + " at " + pointLabel(s.points, g.worst.point) + ": " + pct(g.worst.change));
          button.title = "open this point";
          button.addEventListener("click", function () { selectPoint(gi, g.worst.point, g.worst.metric, true); });
          add(worst, button, el("div", "muted small", "95 % CI [" + pct(g.worst.cil) + ", " + pct(g.worst.cih) + "], adjusted p " + pval(g.worst.pa)));
        } else {
          worst.textContent = "–";
          worst.className = "muted";
        }
        add(tr, worst);
      }
      body.appendChild(tr);
    });
    add(table, body);
    root.appendChild(add(el("div", "table-wrap"), table));
    if (v.notes.length) {
      var notes = el("ul", "notes");
      v.notes.forEach(function (n) { notes.appendChild(el("li", null, n)); });
      root.appendChild(notes);
    }
    if (v.mismatches.length) {
      var details = el("details");
      add(details, el("summary", null, plural(v.mismatches.length, "line") + " on what could not be compared"));
      var list = el("ul", "notes");
      v.mismatches.forEach(function (m) { list.appendChild(el("li", null, m)); });
      root.appendChild(add(details, list));
    }
  }

  function renderRuns(showAll) {
    var root = clear(document.getElementById("runs-body"));
    var runs = DATA.runs.slice().reverse();  // newest first
    var shown = showAll ? runs : runs.slice(0, RUNS_SHOWN);
    var table = el("table", "grid");
    table.id = "runs-table";
    var head = el("tr");
    ["Time (UTC) · run id", "Role", "Host", "GPU · driver", "Provider · onnxruntime-genai", "Model", "Scenario", "Status"]
      .forEach(function (h) { head.appendChild(el("th", null, h)); });
    add(table, add(el("thead"), head));
    var body = el("tbody");
    shown.forEach(function (r) {
      var tr = el("tr", "role-" + r.role);
      var gpu = el("td");
      if (r.gpu) {
        add(gpu, add(el("div", "nowrap", shortGpu(r.gpu)), r.arch ? el("span", "muted", " · " + r.arch) : null));
        gpu.title = r.gpu;
      } else {
        add(gpu, el("div", "muted nowrap", "none (CPU run)"));
        gpu.title = r.gpuReason || "";
      }
      if (r.gpu || r.driver) add(gpu, el("div", "muted small", r.driver ? "driver " + r.driver : "no driver recorded"));
      var software = el("td");
      add(software, el("div", null, r.providers.join(", ")),
        el("div", "muted small nowrap", "onnxruntime-genai " + (r.genai || "–") + (r.genaiBuild ? " (" + r.genaiBuild + ")" : "")));
      var models = el("td");
      r.models.forEach(function (m) { add(models, add(el("div"), modelNode(m))); });
      var status = el("td");
      add(status, el("span", "badge badge--" + r.status, r.status));
      if (r.flagged) add(status, " ", el("span", "badge badge--flagged", r.flagged + " flagged"));
      if (r.invalid) add(status, " ", el("span", "badge badge--invalid", r.invalid + " invalid"));
      if (r.reasons.length) status.title = r.reasons.join("\n");
      var time = el("td", "nowrap");
      add(time, el("div", "mono", when(r.time).replace(" UTC", "")), el("div", "mono muted small", r.id));
      add(tr,
        time,
        add(el("td"), el("span", "badge badge--" + r.role, r.role)),
        el("td", "nowrap", r.host),
        gpu,
        software,
        models,
        el("td", null, r.scenario),
        status);
      body.appendChild(tr);
    });
    add(table, body);
    root.appendChild(add(el("div", "table-wrap"), table));
    if (runs.length > RUNS_SHOWN) {
      var more = el("button", "link more", showAll ? "show the latest " + RUNS_SHOWN + " only" : "show all " + runs.length + " runs");
      more.addEventListener("click", function () { renderRuns(!showAll); });
      root.appendChild(more);
    }
  }

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
    var p = s.points, m = p.m[metric], b = p.base[metric], unit = DATA.metrics[metric].unit;
    var lines = [
      "<b>" + esc(pointLabel(p, i)) + "</b>  " + esc(modelText(s.model)) + " · " + esc(s.provider),
      DATA.metrics[metric].title + ": <b>" + fmt(m.med[i]) + " " + esc(unit) + "</b>  (p10 " + fmt(m.lo[i]) + ", p90 " + fmt(m.hi[i]) + ", n=" + m.n[i] + ")"
    ];
    if (b.med[i] !== null) {
      lines.push((b.kind === "derived" ? "derived expectation " : "baseline median ") + fmt(b.med[i]) +
        (b.lo[i] !== null ? "  (" + (BAND_HOVER[b.band] || "") + fmt(b.lo[i]) + "–" + fmt(b.hi[i]) + ")" : ""));
    }
    var vd = p.vd && p.vd[metric];
    if (vd && vd.v[i]) {
      var verdict = vd.v[i];
      lines.push("verdict: <b>" + verdict.replace("_", " ") + "</b>" + (vd.x[i] ? " (excluded)" : ""));
      if (vd.chg[i] !== null) lines.push("change " + pct(vd.chg[i]) + "  95 % CI [" + pct(vd.cil[i]) + ", " + pct(vd.cih[i]) + "]");
      if (vd.p[i] !== null) lines.push("p " + pval(vd.p[i]) + ", adjusted p " + pval(vd.pa[i]));
      if (vd.why[i]) lines.push(esc(wrap(vd.why[i], 70)));
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
    var s = DATA.series[si], p = s.points, m = p.m[metric], base = p.base[metric];
    var data = [];
    var lines = lineKeys(p);
    var bandName = BAND_NAMES[base.band] || "baseline band";
    var bandShown = false;
    lines.forEach(function (line) {
      var color = batchColor(line.batch);
      var xs = line.idx.map(function (i) { return p.prompt[i]; });
      var hasBase = line.idx.some(function (i) { return base.med[i] !== null; });
      if (hasBase) {
        var hasBand = line.idx.some(function (i) { return base.lo[i] !== null && base.hi[i] !== null; });
        if (hasBand) {
          data.push({ x: xs, y: line.idx.map(function (i) { return base.lo[i]; }), mode: "lines", line: { width: 0, color: color },
            hoverinfo: "skip", showlegend: false, legendgroup: line.name, meta: "baseline-low" });
          data.push({ x: xs, y: line.idx.map(function (i) { return base.hi[i]; }), mode: "lines", line: { width: 0, color: color },
            fill: "tonexty", fillcolor: hexAlpha(color, 0.13), hoverinfo: "skip", legendgroup: line.name,
            name: bandName, showlegend: !bandShown, meta: "baseline-band" });
          bandShown = true;
        }
        data.push({ x: xs, y: line.idx.map(function (i) { return base.med[i]; }), mode: "lines", name: "baseline, " + line.name,
          line: { color: color, width: 1.3, dash: "dot" }, legendgroup: line.name, showlegend: false, meta: "baseline-median",
          text: line.idx.map(function (i) { return br(hoverText(s, i, metric)); }), hoverinfo: "text" });
      }
      data.push({
        x: xs,
        y: line.idx.map(function (i) { return m.med[i]; }),
        mode: "lines+markers",
        name: line.name,
        legendgroup: line.name,
        line: { color: color, width: 2 },
        marker: { color: color, size: 7 },
        error_y: { type: "data", symmetric: false, color: hexAlpha(color, 0.7), thickness: 1.3, width: 4,
          array: line.idx.map(function (i) { return m.hi[i] === null ? null : m.hi[i] - m.med[i]; }),
          arrayminus: line.idx.map(function (i) { return m.lo[i] === null ? null : m.med[i] - m.lo[i]; }) },
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
    var vd = p.vd && p.vd[metric];
    var visible = [];
    lines.forEach(function (line) { visible = visible.concat(line.idx); });
    overlays.forEach(function (o) {
      if (!vd) return;
      var idx = visible.filter(function (i) { return vd.v[i] === o[0] && !vd.x[i] && m.med[i] !== null; });
      if (!idx.length) return;
      data.push({ x: idx.map(function (i) { return p.prompt[i]; }), y: idx.map(function (i) { return m.med[i]; }),
        mode: "markers", name: o[0], marker: { symbol: o[2], size: o[3], color: o[1], line: { width: 3, color: o[1] } },
        text: idx.map(function (i) { return br(hoverText(s, i, metric)); }), hoverinfo: "text",
        customdata: idx.map(function (i) { return [si, i, p.id[i]]; }), meta: "verdict-" + o[0] });
    });
    var flagged = visible.filter(function (i) {
      return m.med[i] !== null && (p.status[i] === "flagged" || (vd && vd.x[i]));
    });
    if (flagged.length) {
      data.push({ x: flagged.map(function (i) { return p.prompt[i]; }), y: flagged.map(function (i) { return m.med[i]; }),
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
    var bands = uniq(DATA.series.map(function (s) { return s.points.base.ttft_ms.band; }).filter(Boolean));
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
    var withVerdicts = series.filter(function (s) { return s.points.vd; });
    if (!withVerdicts.length) {
      message(slot, "No comparison", DATA.verdict.state === "none"
        ? "No baseline was given: pass --baseline (a result file, a folder of runs or a baseline name) to see the change at every point."
        : "No point of the filtered runs was compared.");
      return;
    }
    var versions = uniq(withVerdicts.map(function (s) { return s.versions + " · " + s.gpu; }));
    var data = [];
    withVerdicts.forEach(function (s) {
      var p = s.points, vd = p.vd[metric], si = DATA.series.indexOf(s);
      var idx = [];
      lineKeys(p).forEach(function (line) { idx = idx.concat(line.idx); });
      idx = idx.filter(function (i) { return vd.chg[i] !== null; });
      if (!idx.length) return;
      var group = s.versions + " · " + s.gpu;
      var gi = versions.indexOf(group);
      data.push({
        type: "bar",
        x: [idx.map(function () { return esc(modelText(s.model)) + " · " + esc(s.provider); }), idx.map(function (i) { return pointLabel(p, i); })],
        y: idx.map(function (i) { return vd.chg[i]; }),
        error_y: { type: "data", symmetric: false, color: "#3c4856", thickness: 1.2, width: 3,
          array: idx.map(function (i) { return vd.cih[i] === null ? null : vd.cih[i] - vd.chg[i]; }),
          arrayminus: idx.map(function (i) { return vd.cil[i] === null ? null : vd.chg[i] - vd.cil[i]; }) },
        marker: { color: idx.map(function (i) { return vd.x[i] ? AMBER : VERDICT_COLOR[vd.v[i]] || GREY; }),
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

  // ---------------------------------------------------------------- point detail: trend, ITL, roofline

  function pointOptions() {
    var select = clear(document.getElementById("detail-point"));
    var options = [];
    visibleSeries().forEach(function (s) {
      var si = DATA.series.indexOf(s), p = s.points;
      p.id.forEach(function (_, i) {
        if (!batchVisible(p.batch[i])) return;
        var mark = "";
        if (p.vd) {
          var verdicts = Object.keys(p.vd).map(function (m) { return p.vd[m].x[i] ? "" : p.vd[m].v[i]; });
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
      if (!p.vd) return;
      Object.keys(p.vd).forEach(function (m) {
        var vd = p.vd[m];
        if (vd.v[i] === "regression" && !vd.x[i] && (!best || Math.abs(vd.chg[i]) > best.score)) {
          best = { series: si, index: i, score: Math.abs(vd.chg[i]), metric: m };
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
    var values = t.v[metric];
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
    var cps = t.cp[metric] || [];
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
    var p = s.points, q = p.itl[i], qb = p.itlBase[i];
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
    if (!r.eff.some(function (v) { return v !== null; })) {
      message(slot, "Roofline efficiency", "Not known for these runs" + (r.note ? " (" + r.note + ")." : "."));
      return;
    }
    var data = [];
    lineKeys(p).forEach(function (line) {
      var color = batchColor(line.batch);
      data.push({ x: line.idx.map(function (k) { return p.prompt[k]; }), y: line.idx.map(function (k) { return r.eff[k]; }),
        mode: "lines+markers", name: line.name, line: { color: color, width: 2 }, marker: { size: 7 },
        text: line.idx.map(function (k) {
          return "<b>" + esc(pointLabel(p, k)) + "</b><br>" + fmt(r.eff[k]) + " % of the bandwidth bound<br>bound " + fmt(r.bound[k]) +
            " tokens/s<br>measured " + fmt(p.m.decode_tokens_per_s.med[k]) + " tokens/s";
        }), hoverinfo: "text" });
    });
    if (r.eff[i] !== null) {
      data.push({ x: [p.prompt[i]], y: [r.eff[i]], mode: "markers", name: "selected point",
        marker: { symbol: "circle-open", size: 16, color: "#1d2430", line: { width: 2 } }, hoverinfo: "skip" });
    }
    var method = r.method ? " · bandwidth: " + (r.method.length > 34 ? r.method.slice(0, 32) + "…" : r.method) : "";
    var layout = baseLayout("Roofline efficiency (decode)", "prompt tokens", "% of bound", esc("% of the memory-bandwidth bound" + method));
    Object.assign(layout.xaxis, promptAxis(p.prompt));
    draw(slot, { data: data, layout: layout });
  }

  // ---------------------------------------------------------------- wiring

  function metricSelect(id, key) {
    var select = clear(document.getElementById(id));
    ["ttft_ms", "decode_tokens_per_s", "prefill_tokens_per_s"].forEach(function (m) { select.appendChild(option(m, DATA.metrics[m].title)); });
    select.value = state[key];
    select.addEventListener("change", function () { state[key] = select.value; if (key === "compareMetric") renderCompare(); else renderDetail(); });
  }

  function renderFiltered() {
    renderSweeps();
    renderCompare();
    pointOptions();
    document.getElementById("trend-metric").value = state.trendMetric;
    renderDetail();
  }

  function init() {
    state.compareMetric = "decode_tokens_per_s";
    state.trendMetric = "decode_tokens_per_s";
    var firstRegression = DATA.verdict.groups.filter(function (g) { return g.worst; })[0];
    if (firstRegression) state.compareMetric = firstRegression.worst.metric;
    renderHeader();
    renderVerdict();
    renderRuns(false);
    buildFilters();
    renderKey();
    metricSelect("compare-metric", "compareMetric");
    metricSelect("trend-metric", "trendMetric");
    document.getElementById("detail-point").addEventListener("change", function (ev) {
      var parts = ev.target.value.split(":");
      state.point = { series: +parts[0], index: +parts[1] };
      renderDetail();
    });
    renderFiltered();
    document.getElementById("compare-metric").value = state.compareMetric;
    document.documentElement.setAttribute("data-ready", "1");
    window.benchReadyAt = performance.now();
  }

  init();
})();
