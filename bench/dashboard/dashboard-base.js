/* bench dashboard: draws every chart from the JSON payload in #bench-data (no server, no network).
 *
 * Safety: text from result files (model, scenario, host names...) reaches the page only through
 * textContent or, inside charts, through esc() (plotly renders a subset of HTML in its labels and
 * decodes &lt; &gt; &amp; back to plain characters). Nothing here assigns innerHTML.
 */
/* The page's shared state, constants and helpers: the payload (DATA), DOM and number formatting,
 * chart layout, filters. Loaded first; the other dashboard-*.js files use these names. */

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
