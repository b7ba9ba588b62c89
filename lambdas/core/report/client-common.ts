/**
 * Browser code shared by the report pages (inlined as text; runs in the page, not in Node): sortable tables and a
 * Chart.js plugin that draws error bars from a dataset's `errorBars` (half-widths). Defines one global, `AEP`.
 * Only textContent and attributes are ever set from data: no innerHTML.
 */
export const CLIENT_COMMON_JS = String.raw`
var AEP = (function () {
  'use strict';
  function cellValue(row, index, type) {
    var cell = row.cells[index];
    var raw = cell ? cell.getAttribute('data-v') : null;
    if (raw === null) raw = cell ? cell.textContent : '';
    if (type === 'num') return raw === '' ? null : Number(raw);
    return raw.toLowerCase();
  }
  function sortable(table) {
    var body = table.tBodies[0];
    table.querySelectorAll('th[data-sort]').forEach(function (th) {
      th.setAttribute('tabindex', '0');
      var go = function () {
        var type = th.getAttribute('data-sort');
        var asc = th.getAttribute('aria-sort') !== 'ascending';
        table.querySelectorAll('th[aria-sort]').forEach(function (o) { o.removeAttribute('aria-sort'); });
        th.setAttribute('aria-sort', asc ? 'ascending' : 'descending');
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = cellValue(a, th.cellIndex, type), y = cellValue(b, th.cellIndex, type);
          if (x === null || y === null) return x === y ? 0 : x === null ? 1 : -1;
          var c = x < y ? -1 : x > y ? 1 : 0;
          return asc ? c : -c;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      };
      th.addEventListener('click', go);
      th.addEventListener('keydown', function (ev) { if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); go(); } });
    });
  }
  var errorBars = {
    id: 'aepErrorBars',
    afterDatasetsDraw: function (chart) {
      var ctx = chart.ctx, scale = chart.scales.y;
      chart.data.datasets.forEach(function (ds, di) {
        var meta = chart.getDatasetMeta(di);
        if (!ds.errorBars || meta.hidden) return;
        meta.data.forEach(function (el, i) {
          var v = ds.data[i], err = ds.errorBars[i];
          var y = v !== null && typeof v === 'object' ? v.y : v;
          // a number is a half-width; a [low, high] pair is an interval (bootstrap intervals are not symmetric)
          var range = Array.isArray(err) && isFinite(err[0]) && isFinite(err[1]);
          if (y === null || y === undefined || err === null || err === undefined || (!range && !isFinite(err)) || !isFinite(y)) return;
          var top = scale.getPixelForValue(range ? err[1] : y + err), bottom = scale.getPixelForValue(range ? err[0] : y - err), x = el.x;
          ctx.save();
          ctx.beginPath();
          ctx.rect(chart.chartArea.left, chart.chartArea.top, chart.chartArea.right - chart.chartArea.left, chart.chartArea.bottom - chart.chartArea.top);
          ctx.clip();
          ctx.strokeStyle = '#1d2330';
          ctx.lineWidth = 1.3;
          ctx.beginPath();
          ctx.moveTo(x, top); ctx.lineTo(x, bottom);
          ctx.moveTo(x - 5, top); ctx.lineTo(x + 5, top);
          ctx.moveTo(x - 5, bottom); ctx.lineTo(x + 5, bottom);
          ctx.stroke();
          ctx.restore();
        });
      });
    }
  };
  function readJson(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }
  function fixed(x, d) { return x === null || x === undefined || !isFinite(x) ? '–' : Number(x).toFixed(d === undefined ? 2 : d); }
  document.querySelectorAll('table').forEach(function (t) { if (t.querySelector('th[data-sort]')) sortable(t); });
  document.querySelectorAll('.scroll').forEach(function (wrap) {
    var mine = wrap.querySelector('tr.mine');
    if (mine) wrap.scrollTop = Math.max(0, mine.offsetTop - wrap.clientHeight / 2);
  });
  function upper(values, errors) {
    var top = 0;
    values.forEach(function (v, i) {
      if (v === null || !isFinite(v)) return;
      var e = errors ? errors[i] : 0;
      top = Math.max(top, Array.isArray(e) ? (isFinite(e[1]) ? e[1] : v) : v + (isFinite(e) ? e : 0));
    });
    return Math.min(100, Math.ceil((top + 5) / 10) * 10);
  }
  return { errorBars: errorBars, readJson: readJson, fixed: fixed, upper: upper, chartsAvailable: typeof Chart !== 'undefined' };
})();
`;
