/**
 * What changed between two checkpoints judged on the same instructions: length drift and its share of the raw
 * win-rate change, the paired change per eval-set dataset (paired t-test interval), and the flips — instructions
 * that went from a loss to a win or back. Pure: annotation rows in, plain data out.
 */
import { codePointLength } from '../metrics/numeric.ts';
import { comparePairedRuns, type PairedTTest } from './paired-test.ts';

export interface ChangeRow {
  instruction: string;
  output_1: string | null;
  output_2: string | null;
  preference: number | null;
  dataset?: string;
}

export interface Flip {
  instruction: string;
  dataset: string;
  /** 'win' = loss in A, win in B; 'loss' = win in A, loss in B */
  direction: 'win' | 'loss';
  reference: string;
  outputA: string;
  outputB: string;
  preferenceA: number;
  preferenceB: number;
}

export interface WhatChanged {
  length: {
    /** mean output length (code points) of A's and B's outputs on the shared instructions */
    avgA: number;
    avgB: number;
    delta: number;
    /** raw win-rate change and LC change (points) */
    deltaWinRate: number;
    deltaLc: number;
    /**
     * (ΔWR − ΔLC) / ΔWR: the part of the raw change that the length control takes out, as a share of the raw
     * change (null when the raw change is 0)
     */
    shareOfWinRateChange: number | null;
  };
  byDataset: Array<{ dataset: string; n: number; tTest: PairedTTest }>;
  flips: Flip[];
  counts: { toWin: number; toLoss: number };
}

function pref(p: number | null): number | null {
  if (p === null || Number.isNaN(p)) return null;
  return p === 0 ? 1.5 : p;
}

/** Pairs B's rows with A's by instruction text (occurrence by occurrence). */
function pairRows(a: readonly ChangeRow[], b: readonly ChangeRow[]): Array<[ChangeRow, ChangeRow]> {
  const byInstruction = new Map<string, ChangeRow[]>();
  for (const r of a) byInstruction.set(r.instruction, [...(byInstruction.get(r.instruction) ?? []), r]);
  const out: Array<[ChangeRow, ChangeRow]> = [];
  for (const r of b) {
    const ra = byInstruction.get(r.instruction)?.shift();
    if (ra) out.push([ra, r]);
  }
  return out;
}

export function whatChanged(
  a: readonly ChangeRow[], b: readonly ChangeRow[], delta: { winRate: number; lc: number },
): WhatChanged {
  const pairs = pairRows(a, b);
  let lenA = 0;
  let lenB = 0;
  let nLen = 0;
  for (const [ra, rb] of pairs) {
    if (typeof ra.output_2 !== 'string' || typeof rb.output_2 !== 'string') continue;
    lenA += codePointLength(ra.output_2);
    lenB += codePointLength(rb.output_2);
    nLen++;
  }
  const avgA = nLen ? lenA / nLen : NaN;
  const avgB = nLen ? lenB / nLen : NaN;
  const groups = new Map<string, Array<[ChangeRow, ChangeRow]>>();
  for (const p of pairs) {
    const key = p[1].dataset ?? p[0].dataset ?? '(none)';
    groups.set(key, [...(groups.get(key) ?? []), p]);
  }
  const byDataset = [...groups.entries()]
    .map(([dataset, ps]) => {
      const c = comparePairedRuns(ps.map((p) => p[0]), ps.map((p) => p[1]));
      return { dataset, n: c.shared, tTest: c.tTest };
    })
    .sort((x, y) => (x.dataset < y.dataset ? -1 : x.dataset > y.dataset ? 1 : 0));
  const flips: Flip[] = [];
  for (const [ra, rb] of pairs) {
    const pa = pref(ra.preference);
    const pb = pref(rb.preference);
    if (pa === null || pb === null) continue;
    const direction = pa < 1.5 && pb > 1.5 ? 'win' : pa > 1.5 && pb < 1.5 ? 'loss' : null;
    if (!direction) continue;
    flips.push({
      instruction: rb.instruction, dataset: rb.dataset ?? ra.dataset ?? '(none)', direction,
      reference: rb.output_1 ?? ra.output_1 ?? '', outputA: ra.output_2 ?? '', outputB: rb.output_2 ?? '', preferenceA: pa, preferenceB: pb,
    });
  }
  return {
    length: {
      avgA, avgB, delta: avgB - avgA, deltaWinRate: delta.winRate, deltaLc: delta.lc,
      shareOfWinRateChange: delta.winRate === 0 ? null : (delta.winRate - delta.lc) / delta.winRate,
    },
    byDataset,
    flips,
    counts: { toWin: flips.filter((f) => f.direction === 'win').length, toLoss: flips.filter((f) => f.direction === 'loss').length },
  };
}
