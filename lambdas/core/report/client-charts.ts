/**
 * Browser code of the run report's plots (inlined as text): reads `#report-data` and draws five Chart.js charts.
 * Does nothing when the library is absent (the page then shows the numbers in tables only).
 */
export const CLIENT_CHARTS_JS = String.raw`
(function () {
  'use strict';
  if (!AEP.chartsAvailable) return;
  var data = AEP.readJson('report-data');
  var C = { other: 'rgba(120,132,153,0.55)', similar: '#ef8a17', mine: '#c62828', model: 'rgba(25,118,210,0.75)', ref: 'rgba(120,132,153,0.6)', lc: 'rgba(46,125,50,0.7)' };
  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.font.family = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
  function make(id, config) {
    var el = document.getElementById(id);
    if (el) new Chart(el, config);
  }
  var axis = function (title, extra) { var o = { title: { display: true, text: title } }; for (var k in extra || {}) o[k] = extra[k]; return o; };
  var pts = function (kind) {
    return data.scatter.filter(function (p) { return p.kind === kind; }).map(function (p) { return { x: p.wr, y: p.lc, name: p.name }; });
  };
  var labelMine = {
    id: 'aepLabelMine',
    afterDatasetsDraw: function (chart) {
      var meta = chart.getDatasetMeta(2), el = meta && meta.data[0];
      if (!el) return;
      var ctx = chart.ctx;
      ctx.save();
      ctx.fillStyle = C.mine;
      ctx.font = '600 12px system-ui, sans-serif';
      ctx.fillText(data.name, el.x + 10, el.y - 8);
      ctx.restore();
    }
  };
  make('chart-scatter', {
    type: 'scatter',
    data: { datasets: [
      { label: 'leaderboard', data: pts('other'), backgroundColor: C.other, pointRadius: 3 },
      { label: 'similar size', data: pts('similar'), backgroundColor: C.similar, pointRadius: 5 },
      { label: 'this run', data: pts('mine'), backgroundColor: C.mine, pointRadius: 8, pointStyle: 'rectRot' },
      { label: 'LC = win rate', type: 'line', data: [{ x: 0, y: 0 }, { x: 100, y: 100 }], borderColor: 'rgba(0,0,0,0.25)', borderDash: [4, 4], pointRadius: 0, borderWidth: 1 }
    ] },
    options: {
      scales: { x: axis('win rate', { min: 0, max: 100 }), y: axis('LC win rate', { min: 0, max: 100 }) },
      plugins: { tooltip: { callbacks: { label: function (c) { return (c.raw.name || '') + ': LC ' + AEP.fixed(c.raw.y) + ', WR ' + AEP.fixed(c.raw.x); } } } }
    },
    plugins: [labelMine]
  });
  var ds = data.datasets;
  var sets = [{ label: 'win rate', data: ds.map(function (d) { return d.wr; }), errorBars: ds.map(function (d) { return 1.96 * d.se; }), backgroundColor: C.model }];
  if (ds.some(function (d) { return d.lc !== null; })) sets.push({ label: 'LC win rate', data: ds.map(function (d) { return d.lc; }), backgroundColor: C.lc });
  make('chart-datasets', {
    type: 'bar',
    data: { labels: ds.map(function (d) { return d.label + ' (' + d.n + ')'; }), datasets: sets },
    options: { scales: { y: axis('win rate', { min: 0, max: Math.max(AEP.upper(sets[0].data, sets[0].errorBars), sets.length > 1 ? AEP.upper(sets[1].data) : 0) }) } },
    plugins: [AEP.errorBars]
  });
  var L = data.lengths;
  var binLabels = L.edges.map(function (e, i) { return i + 1 < L.edges.length ? e + '–' + (L.edges[i + 1] - 1) : '≥ ' + e; });
  make('chart-lengths', {
    type: 'bar',
    data: { labels: binLabels, datasets: [
      { label: 'model', data: L.model, backgroundColor: C.model },
      { label: 'reference (GPT-4 Turbo)', data: L.reference, backgroundColor: C.ref }
    ] },
    options: { scales: { x: axis('length (code points)'), y: axis('rows') } }
  });
  var P = data.preferences;
  make('chart-preferences', {
    type: 'bar',
    data: { labels: P.counts.map(function (_, i) { return P.edges[i].toFixed(1) + '–' + P.edges[i + 1].toFixed(1); }), datasets: [
      { label: 'rows', data: P.counts, backgroundColor: P.counts.map(function (_, i) { return i < 5 ? 'rgba(183,28,28,0.6)' : 'rgba(46,125,50,0.65)'; }) }
    ] },
    options: { plugins: { legend: { display: false } }, scales: { x: axis('preference (1 reference … 2 model)'), y: axis('rows') } }
  });
  var B = data.buckets;
  var bWr = B.map(function (b) { return b.n > 0 ? b.wr : null; }), bErr = B.map(function (b) { return 1.96 * b.se; });
  make('chart-buckets', {
    type: 'bar',
    data: { labels: B.map(function (b) { return b.label + ' (' + b.n + ')'; }), datasets: [
      { label: 'win rate', data: bWr, errorBars: bErr, backgroundColor: C.model }
    ] },
    options: { plugins: { legend: { display: false } }, scales: { x: axis('model length − reference length'), y: axis('win rate', { min: 0, max: AEP.upper(bWr, bErr) }) } },
    plugins: [AEP.errorBars]
  });
})();
`;
