/**
 * Browser code of the examples browser (inlined as text): filters (dataset, outcome, text search), sort, and a
 * virtual list that keeps only the visible rows (plus a margin) in the DOM, so 805 rows scroll smoothly. Model
 * text is only ever assigned to textContent.
 */
export const CLIENT_EXAMPLES_JS = String.raw`
(function () {
  'use strict';
  var rows = AEP.readJson('report-rows');
  var markers = AEP.readJson('report-markers') || {};
  if (!rows) return;
  var ROW_H = 44, MARGIN = 10;
  var list = document.getElementById('ex-list'), spacer = document.getElementById('ex-spacer');
  var detail = document.getElementById('ex-detail'), count = document.getElementById('ex-count');
  var search = document.getElementById('ex-search'), dsSel = document.getElementById('ex-dataset');
  var outSel = document.getElementById('ex-outcome'), sortSel = document.getElementById('ex-sort');
  var view = [], selected = -1, hay = null, pending = 0;

  function outcome(p) { return p === null ? 'failed' : p > 1.5 ? 'win' : p < 1.5 ? 'loss' : 'tie'; }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function matches(r, i, q) {
    if (dsSel.value && r.d !== dsSel.value) return false;
    var o = outSel.value;
    if (o === 'flagged' ? r.f.length === 0 : o && outcome(r.p) !== o) return false;
    if (q) {
      if (!hay) hay = rows.map(function (x) { return (x.q + '\n' + x.m + '\n' + x.r).toLowerCase(); });
      if (hay[i].indexOf(q) < 0) return false;
    }
    return true;
  }
  function apply() {
    var q = search.value.trim().toLowerCase();
    view = [];
    rows.forEach(function (r, i) { if (matches(r, i, q)) view.push(i); });
    var s = sortSel.value;
    var pref = function (i) { return rows[i].p === null ? -1 : rows[i].p; };
    if (s === 'pref-desc') view.sort(function (a, b) { return pref(b) - pref(a) || a - b; });
    if (s === 'pref-asc') view.sort(function (a, b) { return (rows[a].p === null ? 9 : rows[a].p) - (rows[b].p === null ? 9 : rows[b].p) || a - b; });
    if (s === 'len-desc') view.sort(function (a, b) { return (rows[b].lm - rows[b].lr) - (rows[a].lm - rows[a].lr) || a - b; });
    spacer.style.height = view.length * ROW_H + 'px';
    count.textContent = view.length + ' of ' + rows.length + ' rows';
    list.scrollTop = 0;
    render();
    if (view.length && view.indexOf(selected) < 0) select(view[0]);
    if (!view.length) { selected = -1; detail.replaceChildren(el('p', 'muted', 'No row matches.')); }
  }
  function render() {
    pending = 0;
    var first = Math.max(0, Math.floor(list.scrollTop / ROW_H) - MARGIN);
    var last = Math.min(view.length, Math.ceil((list.scrollTop + list.clientHeight) / ROW_H) + MARGIN);
    var frag = document.createDocumentFragment();
    for (var k = first; k < last; k++) {
      var i = view[k], r = rows[i];
      var div = el('div', 'ex-row' + (i === selected ? ' sel' : ''));
      div.style.top = k * ROW_H + 'px';
      div.setAttribute('data-row', String(i));
      div.appendChild(el('span', 't', r.q));
      var meta = el('span', 'm', '#' + (i + 1) + ' · ' + r.d + ' · ');
      meta.appendChild(el('span', 'badge ' + outcome(r.p), r.p === null ? 'no judgement' : AEP.fixed(r.p, 3)));
      if (r.f.length) { meta.appendChild(document.createTextNode(' ')); meta.appendChild(el('span', 'badge flag', 'flagged')); }
      div.appendChild(meta);
      frag.appendChild(div);
    }
    spacer.replaceChildren(frag);
  }
  function textBlock(title, text) {
    var box = el('div');
    box.appendChild(el('h4', '', title));
    box.appendChild(el('div', 'text', text));
    return box;
  }
  function select(i) {
    selected = i;
    var r = rows[i];
    var parts = [el('h3', '', '#' + (i + 1) + ' · ' + r.d)];
    var facts = el('p');
    facts.appendChild(el('span', 'badge ' + outcome(r.p), r.p === null ? 'no judgement' : 'preference ' + AEP.fixed(r.p, 3) + ' (' + outcome(r.p) + ')'));
    facts.appendChild(document.createTextNode(' model ' + r.lm + ' · reference ' + r.lr + ' code points' + (r.g === null ? '' : ' · LC-adjusted P(model) ' + AEP.fixed(r.g, 3))));
    parts.push(facts);
    if (r.f.length) {
      var flags = el('p');
      flags.appendChild(el('span', 'badge flag', 'judge-template markers'));
      r.f.forEach(function (id) { flags.appendChild(document.createTextNode(' ')); flags.appendChild(el('code', '', markers[id] || id)); });
      parts.push(flags);
    }
    parts.push(textBlock('Instruction', r.q));
    var pair = el('div', 'pair');
    pair.appendChild(textBlock('Model output', r.m));
    pair.appendChild(textBlock('Reference output', r.r));
    parts.push(pair);
    detail.replaceChildren.apply(detail, parts);
    detail.scrollTop = 0;
    render();
  }
  function reveal(i) {
    var k = view.indexOf(i);
    if (k < 0) { search.value = ''; dsSel.value = ''; outSel.value = ''; apply(); k = view.indexOf(i); }
    list.scrollTop = Math.max(0, k * ROW_H - list.clientHeight / 2);
    select(i);
  }
  list.addEventListener('scroll', function () { if (!pending) pending = requestAnimationFrame(render); });
  list.addEventListener('click', function (ev) {
    var row = ev.target.closest('.ex-row');
    if (row) select(Number(row.getAttribute('data-row')));
  });
  list.addEventListener('keydown', function (ev) {
    if (ev.key !== 'ArrowDown' && ev.key !== 'ArrowUp') return;
    ev.preventDefault();
    var k = Math.max(0, Math.min(view.length - 1, view.indexOf(selected) + (ev.key === 'ArrowDown' ? 1 : -1)));
    if (!view.length) return;
    var top = k * ROW_H;
    if (top < list.scrollTop) list.scrollTop = top;
    else if (top + ROW_H > list.scrollTop + list.clientHeight) list.scrollTop = top + ROW_H - list.clientHeight;
    select(view[k]);
  });
  var timer = 0;
  search.addEventListener('input', function () { clearTimeout(timer); timer = setTimeout(apply, 120); });
  [dsSel, outSel, sortSel].forEach(function (s) { s.addEventListener('change', apply); });
  document.querySelectorAll('a.jump[data-row]').forEach(function (a) {
    a.addEventListener('click', function () { reveal(Number(a.getAttribute('data-row'))); });
  });
  apply();
})();
`;
