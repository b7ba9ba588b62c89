/** The reports' stylesheet: laptop-first (≥ 1280 px wide, readable at 1366 × 768), no external fonts. */
export const REPORT_STYLES = String.raw`
:root{--fg:#1d2330;--muted:#5b6475;--line:#e3e7ef;--card:#f7f9fc;--accent:#c62828;--similar:#ef8a17;--ok:#2e7d32;--bad:#b71c1c}
*{box-sizing:border-box}
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);margin:0;background:#fff}
main{max-width:1240px;margin:0 auto;padding:1.2rem 1.2rem 3rem;overflow-wrap:anywhere}
nav.toc{position:sticky;top:0;z-index:5;background:#fffffff0;border-bottom:1px solid var(--line);padding:.45rem 1.2rem;font-size:.9rem}
nav.toc a{margin-right:1rem;color:var(--muted);text-decoration:none}nav.toc a:hover{color:var(--fg)}
h1{font-size:1.55rem;margin:.6rem 0 .1rem}h2{font-size:1.2rem;margin:2rem 0 .6rem;padding-top:.4rem;border-top:1px solid var(--line)}
h3{font-size:1rem;margin:1rem 0 .4rem}
.sub{color:var(--muted);margin:0 0 1rem}.muted{color:var(--muted)}.small{font-size:.85rem}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(215px,1fr));gap:.7rem;margin:.8rem 0}
.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:.65rem .85rem}
.card .k{color:var(--muted);font-size:.82rem;text-transform:uppercase;letter-spacing:.03em}
.card .v{display:block;font-size:1.5rem;font-weight:650;margin:.1rem 0;overflow-wrap:anywhere}.card .d{font-size:.85rem;color:var(--muted);overflow-wrap:anywhere}
table.compact{width:auto;min-width:40%}
.card.main{border-color:#9fb3d9;background:#eef3fc}
.warn{background:#fdecea;border-left:4px solid var(--accent);padding:.55rem .8rem;margin:.6rem 0;border-radius:4px}
.note{background:#fff8e1;border-left:4px solid #f9a825;padding:.5rem .8rem;margin:.6rem 0;border-radius:4px}
table{border-collapse:collapse;width:100%;font-size:.9rem}
th,td{border-bottom:1px solid var(--line);padding:.28rem .5rem;text-align:left;vertical-align:top}
th{background:#fafbfd;position:sticky;top:0;z-index:1}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
th[data-sort]{cursor:pointer;user-select:none}th[data-sort]:hover{background:#eef1f6}
th[aria-sort=ascending]::after{content:" ▲";font-size:.7em}th[aria-sort=descending]::after{content:" ▼";font-size:.7em}
tr.mine td{background:#fff1c2;font-weight:650}tr.similar td{background:#fff6ec}
.badge{display:inline-block;border-radius:999px;padding:0 .45rem;font-size:.75rem;line-height:1.35rem;background:#e9edf4;color:#334}
.badge.similar{background:#ffe3c2;color:#7a3d00}.badge.win{background:#dff3e0;color:var(--ok)}.badge.loss{background:#fbe1e1;color:var(--bad)}
.badge.tie{background:#ececec}.badge.failed{background:#444;color:#fff}.badge.flag{background:#6a1b9a;color:#fff}
.scroll{max-height:420px;overflow:auto;border:1px solid var(--line);border-radius:6px}
.grid2{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:1.2rem}
@media (max-width:980px){.grid2{grid-template-columns:minmax(0,1fr)}}
figure{margin:0;border:1px solid var(--line);border-radius:8px;padding:.6rem .8rem}
figcaption{font-weight:600;margin-bottom:.3rem}.chart{position:relative;height:300px}
details.data{margin-top:.4rem;font-size:.85rem}details.data summary{cursor:pointer;color:var(--muted)}
.sw{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:1.2rem}@media (max-width:980px){.sw{grid-template-columns:minmax(0,1fr)}}
.sw ol{padding-left:1.2rem;margin:.3rem 0}.sw li{margin:.35rem 0}
.quote{display:block;color:var(--muted);font-size:.85rem;white-space:nowrap;overflow:hidden;text-overflow:ellipsis;max-width:100%}
.ex-controls{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center;margin:.4rem 0 .6rem}
.ex-controls input[type=search]{flex:1 1 260px;padding:.35rem .5rem;font:inherit;border:1px solid #c8cfdb;border-radius:6px}
.ex-controls select{padding:.3rem;font:inherit;border:1px solid #c8cfdb;border-radius:6px;background:#fff}
.ex-wrap{display:grid;grid-template-columns:minmax(300px,2fr) minmax(0,3fr);gap:.8rem}@media (max-width:980px){.ex-wrap{grid-template-columns:minmax(0,1fr)}}
.ex-list{position:relative;height:520px;overflow-y:auto;border:1px solid var(--line);border-radius:6px;outline:none}
.ex-row{position:absolute;left:0;right:0;height:44px;padding:.25rem .5rem;border-bottom:1px solid var(--line);cursor:pointer;overflow:hidden}
.ex-row:hover{background:#f3f6fb}.ex-row.sel{background:#e3ecfb}
.ex-row .t{display:block;white-space:nowrap;overflow:hidden;text-overflow:ellipsis;font-size:.88rem}
.ex-row .m{font-size:.75rem;color:var(--muted)}
.ex-detail{border:1px solid var(--line);border-radius:6px;padding:.6rem .8rem;height:520px;overflow:auto}
.ex-detail .text{white-space:pre-wrap;word-break:break-word;font:13px/1.45 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:#fafbfd;border:1px solid var(--line);border-radius:4px;padding:.45rem .6rem;margin:.2rem 0 .7rem}
.ex-detail h4{margin:.4rem 0 .1rem;font-size:.9rem}
.pair{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:.6rem}@media (max-width:1200px){.pair{grid-template-columns:minmax(0,1fr)}}
code{font-size:.85em;background:#f1f3f7;padding:0 .25rem;border-radius:3px}
footer{margin-top:2.5rem;color:var(--muted);font-size:.8rem}
`;
