/**
 * HTML of the run report's first sections: the headline and where the model stands. Every text that comes from
 * a run (model names, warnings, settings) goes through escapeHtml.
 */
import { escapeHtml as e, fixed } from './html.ts';
import type { LeaderboardView } from './leaderboard-view.ts';
import type { Headline, RunReportModel } from './report-model.ts';

export function int(x: number | null | undefined): string {
  return x === null || x === undefined || !Number.isFinite(x) ? '–' : Math.round(x).toLocaleString('en-US');
}

export function usd(x: number): string {
  return x >= 1 || x === 0 ? `$${x.toFixed(2)}` : `$${x.toFixed(4)}`;
}

function card(key: string, value: string, detail: string, cls = ''): string {
  return `<div class="card ${cls}"><span class="k">${key}</span><span class="v">${value}</span><span class="d">${detail}</span></div>`;
}

function generationText(h: Headline): string {
  const g = h.generation;
  const decoding = `max_new_tokens ${g.maxNewTokens} · temperature ${g.temperature} · top_p ${g.topP} · seed ${g.seed ?? '–'}`;
  if (g.source === 'given outputs') return `given outputs (settings recorded: ${decoding})`;
  const extra = [
    g.promptMode ? `prompt ${e(g.promptMode)}` : '', g.engine ? `engine ${e(g.engine)}` : '',
    g.tokensPerSecond !== null ? `${int(g.tokensPerSecond)} tok/s` : '',
    g.rowsAtTokenLimit !== null ? `${int(g.rowsAtTokenLimit)} rows hit the token limit` : '',
  ].filter(Boolean).join(' · ');
  return `${decoding}${extra ? ` · ${extra}` : ''}`;
}

const EXTREME_CHANGE_TEXT = /length controlled win rate is very different/i;

export function headlineSection(m: RunReportModel, links: { history?: string }): string {
  const h = m.headline;
  const ratio = h.referenceAvgLength > 0 ? h.avgLength / h.referenceAvgLength : NaN;
  const warnings = [
    h.extremeChangeWarning ? '<p class="warn" id="extreme-change"><b>Extreme change:</b> the length-controlled win rate is very different from the raw win rate; the LC fit may have failed for this model. Read both numbers with care.</p>' : '',
    // the aggregate step's own sentence for the same warning is replaced by the block above
    ...m.warnings.filter((w) => !(h.extremeChangeWarning && EXTREME_CHANGE_TEXT.test(w))).map((w) => `<p class="warn">${e(w)}</p>`),
  ].join('\n');
  return `<header id="headline">
<h1>${e(m.name)} <span class="muted">on AlpacaEval 2.0</span></h1>
<p class="sub">model <code>${e(m.model)}</code>${m.revision ? ` @ <code>${e(m.revision)}</code>` : ''} · run <code>${e(m.runId)}</code> · ${e(m.createdAt.slice(0, 19).replace('T', ' '))} UTC · ${e(m.status)}${links.history ? ` · <a href="${e(links.history)}">checkpoint history</a>` : ''}</p>
${warnings}
<div class="cards">
${h.lc.ci95
    ? card(h.officialScale ? `LC win rate (scale of ${e(h.officialScale.judgeScale)})` : 'LC win rate', `<span id="lc-value">${fixed(h.lc.value)}</span> <small id="lc-ci">[${fixed(h.lc.ci95[0])}, ${fixed(h.lc.ci95[1])}]</small>`,
      `95 % bootstrap interval (${int(h.lc.replicates ?? 0)} resamples of the instructions, GLM refitted) · official lc_standard_error ± ${fixed(h.lc.se)} (fit uncertainty not included) · C-sensitivity band ${fixed(h.lc.band[0])}–${fixed(h.lc.band[1])}`, 'main')
    : card(h.officialScale ? `LC win rate (scale of ${e(h.officialScale.judgeScale)})` : 'LC win rate', `<span id="lc-value">${fixed(h.lc.value)}</span> <small>± ${fixed(h.lc.se)}</small>`, `C-sensitivity band ${fixed(h.lc.band[0])}–${fixed(h.lc.band[1])}`, 'main')}
${h.officialScale ? card('LC, official-scale estimate', `<span id="official-lc">${fixed(h.officialScale.lc)}</span>`, `${Math.round(h.officialScale.level * 100)} % interval ${fixed(h.officialScale.interval[0])}–${fixed(h.officialScale.interval[1])} · through the calibration of ${e(h.officialScale.judgeScale)}${h.officialScale.drift === null ? '' : h.officialScale.drift ? ' · <b>judge drift</b>' : ' · no drift'}`, 'main') : ''}
${h.winRate.ci95
    ? card('Win rate', `<span id="wr-value">${fixed(h.winRate.value)}</span> <small id="wr-ci">[${fixed(h.winRate.ci95[0])}, ${fixed(h.winRate.ci95[1])}]</small>`, `95 % bootstrap interval · standard error ± ${fixed(h.winRate.se)} · discrete win rate ${fixed(h.discreteWinRate)}`, 'main')
    : card('Win rate', `<span id="wr-value">${fixed(h.winRate.value)}</span> <small>± ${fixed(h.winRate.se)}</small>`, `discrete win rate ${fixed(h.discreteWinRate)}`, 'main')}
${card('Wins / losses / draws', `<span id="wld">${int(h.wins)} / ${int(h.losses)} / ${int(h.draws)}</span>`, `of ${int(h.rows.judged)} judged rows`)}
${card('Average length', int(h.avgLength), `reference ${int(h.referenceAvgLength)} · ratio ${fixed(ratio)} (code points)`)}
${card('Leaderboard', m.leaderboard.rank === null ? '–' : `#${m.leaderboard.rank}`, `of ${m.leaderboard.size} by ${h.officialScale ? 'the official-scale LC estimate' : 'LC win rate'}`)}
${card('Judge', `<span class="small" id="judge-snapshot">${e(h.judge.snapshots.length ? h.judge.snapshots.join(', ') : h.judge.model ?? h.judge.preset)}</span>`,
    `${e(h.judge.annotator ?? h.judge.preset)} · ${e(h.judge.mode)} · ${h.judge.comparable ? 'the leaderboard judge: official scale'
      : `<b>not the leaderboard judge</b>: LC and win rate are on its own scale (<code>${e(h.judge.scale)}</code>)${h.officialScale ? '' : ', not comparable to the leaderboard'}`}`)}
${card('Rows judged', `${int(h.rows.judged)} <small>/ ${int(h.rows.total)}</small>`, `${int(h.rows.failed)} failed`)}
${h.judgeEngine
    ? card('Judge GPU time', `<span id="judge-gpu-minutes">${fixed(h.judgeEngine.gpuMinutes)}</span> <small>GPU-min</small>`, h.judgeEngine.usd
      ? `≈ ${usd(h.judgeEngine.usd.onDemand)} on demand, ${usd(h.judgeEngine.usd.spot)} spot at ${e(h.judgeEngine.usd.instance)} list price · ${int(h.judgeEngine.gpus)} GPU(s), engine start ${fixed(h.judgeEngine.startupMs / 1000, 0)} s`
      : `${int(h.judgeEngine.gpus)} GPU(s)`)
    : card('Judge cost', usd(h.costUsd), `${int(h.tokens.judgePrompt)} prompt + ${int(h.tokens.judgeCompletion)} completion tokens`)}
</div>
<p class="small muted" id="generation">Generation: ${generationText(h)}${h.generation.tokensGenerated !== null ? ` · ${int(h.generation.tokensGenerated)} tokens generated` : ''}</p>
</header>`;
}

function numCell(x: number | null, digits = 2): string {
  return `<td class="n" data-v="${x === null ? '' : x}">${x === null ? '–' : x.toFixed(digits)}</td>`;
}

export function leaderboardSection(v: LeaderboardView): string {
  const rows = v.entries.map((r) => {
    const cls = r.isThis ? 'mine' : r.similarSize ? 'similar' : '';
    const badge = r.isThis ? ' <span class="badge">this run</span>' : r.similarSize ? ` <span class="badge similar">${e(r.similarSize)}</span>` : '';
    return `<tr class="${cls}"><td class="n" data-v="${r.rank}">${r.rank}</td><td data-v="${e(r.name)}">${e(r.name)}${badge}</td>${numCell(r.lc)}${numCell(r.lcSe)}${numCell(r.winRate)}${numCell(r.winRateSe)}${numCell(r.avgLength, 0)}<td data-v="${e(r.mode)}">${e(r.mode)}</td></tr>`;
  }).join('\n');
  const similar = v.entries.filter((r) => r.similarSize && !r.isThis);
  const mine = v.entries.find((r) => r.isThis);
  const above = mine ? similar.filter((s) => s.rank < mine.rank).length : 0;
  const summary = mine
    ? `This model ranks <b>#${mine.rank}</b> of ${v.size}; ${above} of the ${similar.length} similar-size models on the board rank above it.`
    : 'This model is not on the leaderboard.';
  const th = (label: string, type: 'num' | 'text', cls = '') => `<th data-sort="${type}" class="${cls}">${label}</th>`;
  return `<section id="standing"><h2>Where the model stands</h2>
<p>${summary} Similar-size models (about 1–3 B parameters) are marked <span class="badge similar">size</span>. Click a column to sort.</p>
<div class="scroll" id="leaderboard-wrap"><table id="leaderboard"><thead><tr>
${th('#', 'num', 'n')}${th('model', 'text')}${th('LC win rate', 'num', 'n')}${th('± SE', 'num', 'n')}${th('win rate', 'num', 'n')}${th('± SE', 'num', 'n')}${th('avg length', 'num', 'n')}${th('mode', 'text')}
</tr></thead><tbody>
${rows}
</tbody></table></div>
</section>`;
}
