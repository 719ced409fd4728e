/* Wiring: metric selectors, re-rendering on filter changes, and init() (runs once the page has loaded). */

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
