/**
 * The comparison page of `aep compare --html` in a real browser (headless Debian Chromium): real annotations of two
 * models, with hostile text in some outputs; checked for errors and network, the verdict, the flip explorer's
 * filters and detail view, and that model text renders inert.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderComparePage } from '../../lambdas/core/report/compare-page.ts';
import { compareRuns, type CompareOutput } from '../../lambdas/services/compare.ts';
import { inThreadRunner } from '../../lambdas/services/lc-bootstrap.ts';
import { missingFixtures, missingMessage } from '../support/fixtures.ts';
import { browserUnavailable, launchBrowser, openPage, type Browser } from './browser.ts';
import { fixtureAnnotations, fixtureAssets } from './run-folder.ts';

const missing = missingFixtures('standin/df_gamed.csv', 'annotations/alpaca-7b.annotations.json.gz', 'annotations/vicuna-7b.annotations.json.gz');
const skip = browserUnavailable() ?? (missing.length ? missingMessage(missing) : undefined);
if (skip) console.warn(`[skip] comparison page browser tests: ${skip}`);

const PAYLOAD = '</script><script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">';

let browser: Browser;
let dir: string;
let result: CompareOutput;

beforeAll(async () => {
  if (skip) return;
  const a = fixtureAnnotations('alpaca-7b');
  const b = fixtureAnnotations('vicuna-7b').map((r, i) => (i % 7 === 0 ? { ...r, output_2: `${PAYLOAD} ${r.output_2}` } : r));
  result = await compareRuns({
    a: { text: JSON.stringify(a), file: 'a.json' }, b: { text: JSON.stringify(b), file: 'b.json' }, assets: fixtureAssets(),
    checkInstructionDifficulty: false, bootstrap: { replicates: 100, runner: inThreadRunner },
  });
  dir = await mkdtemp(join(tmpdir(), 'aep-cmp-browser-'));
  await writeFile(join(dir, 'compare.html'), renderComparePage(result));
  browser = await launchBrowser();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe.skipIf(!!skip)('the comparison page in Chromium', () => {
  it('loads clean, states the verdict, filters the flips and shows both outputs and the reference as text', async () => {
    const w = await openPage(browser, pathToFileURL(join(dir, 'compare.html')).href);
    expect([...w.consoleErrors, ...w.pageErrors, ...w.dialogs, ...w.external]).toEqual([]);
    expect(await w.page.locator('#delta-lc').textContent()).toBe(`${result.delta_length_controlled_winrate >= 0 ? '+' : ''}${result.delta_length_controlled_winrate.toFixed(2)}`);
    const { toWin, toLoss } = result.what_changed.counts;
    expect(toWin).toBeGreaterThan(0);
    expect(toLoss).toBeGreaterThan(0);
    expect((await w.page.locator('#flip-count').textContent())!.trim()).toBe(`${toWin + toLoss} of ${toWin + toLoss} flips`);
    await w.page.selectOption('#flip-direction', 'loss');
    expect((await w.page.locator('#flip-count').textContent())!.trim()).toBe(`${toLoss} of ${toWin + toLoss} flips`);
    expect(await w.page.locator('#flip-list .flip-row.to-win').count()).toBe(0);
    expect(await w.page.locator('#flip-list .flip-row.to-loss').count()).toBe(toLoss);
    await w.page.selectOption('#flip-direction', '');
    const hostile = result.what_changed.flips.find((f) => f.outputB.startsWith(PAYLOAD))!;
    expect(hostile).toBeDefined();
    await w.page.fill('#flip-search', 'window.__pwned');
    const shown = result.what_changed.flips.filter((f) => `${f.instruction}\n${f.outputA}\n${f.outputB}`.toLowerCase().includes('window.__pwned')).length;
    expect((await w.page.locator('#flip-count').textContent())!.trim()).toBe(`${shown} of ${toWin + toLoss} flips`);
    await w.page.locator('#flip-list .flip-row').first().click();
    const detail = (await w.page.locator('#flip-detail').textContent())!;
    expect(detail).toContain(PAYLOAD);
    expect(await w.page.locator('#flip-detail img, #flip-detail script').count()).toBe(0);
    expect(await w.page.evaluate('typeof window.__pwned')).toBe('undefined');
    await w.page.close();
  });
});
