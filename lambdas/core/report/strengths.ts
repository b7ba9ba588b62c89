/**
 * Strengths and weaknesses: the groups of instructions (source datasets and keyword-based categories) where the
 * model's win rate is furthest above or below its overall win rate, each with the example instruction it won or
 * lost most clearly, and the run's most decisive wins and losses overall.
 */
import { groupStat, type GroupStat } from './report-stats.ts';

export interface InstructionCategory {
  id: string;
  label: string;
  /** Case-insensitive regular-expression source matched against the instruction. */
  pattern: string;
}

/**
 * Keyword-based instruction categories (a row may fall in several, or none). Heuristic on purpose: AlpacaEval has
 * no category labels; these make the report's "where does it lose" readable, and are data, easy to tune.
 */
export const INSTRUCTION_CATEGORIES: readonly InstructionCategory[] = [
  { id: 'coding', label: 'Coding', pattern: String.raw`\b(code|coding|python|javascript|typescript|java|c\+\+|sql|function|program|script|regex|html|css|bash|algorithm|api)\b` },
  { id: 'math', label: 'Math & logic', pattern: String.raw`\b(calculate|solve|equation|math|probability|integer|prime|percent|how many|riddle|puzzle|logic)\b|\d+\s*[-+*/^x×]\s*\d+` },
  { id: 'creative', label: 'Creative writing', pattern: String.raw`\b(poem|story|song|lyrics|haiku|joke|limerick|fiction|rap|slogan|creative|fairy tale)\b` },
  { id: 'writing', label: 'Writing & editing', pattern: String.raw`\b(write|rewrite|edit|paraphrase|summari[sz]e|essay|e-?mail|letter|tweet|blog|article|proofread|grammar|sentence)\b` },
  { id: 'lists', label: 'Lists & brainstorming', pattern: String.raw`\b(list|brainstorm|ideas|suggest|examples|name (some|a few|\d+))\b` },
  { id: 'advice', label: 'Advice & how-to', pattern: String.raw`\b(should i|how (do|can|should|would) i|recommend|advice|tips|best way|help me|steps)\b` },
  { id: 'knowledge', label: 'Explanations & knowledge', pattern: String.raw`\b(what is|what are|what was|why|explain|who (is|was)|when did|difference between|describe|how does|history)\b` },
  { id: 'classify', label: 'Classification & extraction', pattern: String.raw`\b(classify|categori[sz]e|extract|identify|which of|label|sentiment|detect)\b` },
  { id: 'roleplay', label: 'Role-play & conversation', pattern: String.raw`\b(pretend|act as|you are an?|role|imagine|conversation|dialogue)\b` },
];

/** Category ids of each instruction. */
export function categorise(instructions: readonly string[], categories: readonly InstructionCategory[] = INSTRUCTION_CATEGORIES): string[][] {
  const compiled = categories.map((c) => ({ id: c.id, re: new RegExp(c.pattern, 'i') }));
  return instructions.map((text) => compiled.filter(({ re }) => re.test(text)).map(({ id }) => id));
}

export interface ExampleRef {
  /** Row index (annotation order). */
  row: number;
  instruction: string;
  dataset: string;
  preference: number;
}

export interface GroupFinding extends GroupStat {
  kind: 'dataset' | 'category';
  /** Group win rate minus the overall win rate (points). */
  delta: number;
  /** The group's most decisive win (for a strength) or loss (for a weakness). */
  example: ExampleRef | null;
}

export interface StrengthsWeaknesses {
  overallWinRate: number;
  strengths: GroupFinding[];
  weaknesses: GroupFinding[];
  /** Every dataset and category considered (at least `minRows` rows), by descending win rate. */
  groups: GroupFinding[];
  bestWins: ExampleRef[];
  worstLosses: ExampleRef[];
}

export interface StrengthRow {
  instruction: string;
  dataset: string;
  preference: number | null;
}

function judged(rows: readonly StrengthRow[], indices: readonly number[]): ExampleRef[] {
  return indices
    .filter((i) => rows[i]!.preference !== null)
    .map((i) => ({ row: i, instruction: rows[i]!.instruction, dataset: rows[i]!.dataset, preference: rows[i]!.preference === 0 ? 1.5 : rows[i]!.preference! }));
}

/** Most decisive first; equal preferences keep row order. */
function decisive(refs: ExampleRef[], wins: boolean): ExampleRef[] {
  return refs
    .filter((r) => (wins ? r.preference > 1.5 : r.preference < 1.5))
    .sort((a, b) => (wins ? b.preference - a.preference : a.preference - b.preference) || a.row - b.row);
}

export function strengthsAndWeaknesses(
  rows: readonly StrengthRow[],
  options: { overallWinRate: number; categories?: readonly InstructionCategory[]; minRows?: number; top?: number; examples?: number },
): StrengthsWeaknesses {
  const minRows = options.minRows ?? 20;
  const top = options.top ?? 3;
  const prefs = rows.map((r) => r.preference);
  const categories = options.categories ?? INSTRUCTION_CATEGORIES;
  const cats = categorise(rows.map((r) => r.instruction), categories);
  const members = new Map<string, { kind: GroupFinding['kind']; label: string; idx: number[] }>();
  const add = (key: string, kind: GroupFinding['kind'], label: string, i: number) => {
    const g = members.get(key) ?? { kind, label, idx: [] };
    g.idx.push(i);
    members.set(key, g);
  };
  rows.forEach((r, i) => {
    add(`dataset:${r.dataset}`, 'dataset', r.dataset, i);
    for (const id of cats[i]!) add(`category:${id}`, 'category', categories.find((c) => c.id === id)!.label, i);
  });
  const groups: GroupFinding[] = [];
  for (const [key, g] of members) {
    if (g.idx.length < minRows) continue;
    const stat = groupStat(key, g.label, g.idx, prefs);
    if (Number.isNaN(stat.winRate)) continue;
    const delta = stat.winRate - options.overallWinRate;
    groups.push({ ...stat, kind: g.kind, delta, example: decisive(judged(rows, g.idx), delta >= 0)[0] ?? null });
  }
  groups.sort((a, b) => b.winRate - a.winRate || (a.key < b.key ? -1 : 1));
  const all = judged(rows, rows.map((_, i) => i));
  const n = options.examples ?? 5;
  return {
    overallWinRate: options.overallWinRate,
    strengths: groups.filter((g) => g.delta > 0).slice(0, top),
    weaknesses: groups.filter((g) => g.delta < 0).sort((a, b) => a.winRate - b.winRate || (a.key < b.key ? -1 : 1)).slice(0, top),
    groups,
    bestWins: decisive(all, true).slice(0, n),
    worstLosses: decisive(all, false).slice(0, n),
  };
}
