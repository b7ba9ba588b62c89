/**
 * Judge-manipulation flags. A model output is pasted into the judge prompt between the template's delimiters; an
 * output that contains the template's own markers (chat-format tokens such as `<|im_start|>`, the JSON keys that
 * name the candidates such as `model_identifier`, the sequence that closes an output slot, the template's section
 * headings) can close its slot and write instructions to the judge — the leaderboard's "NullModel" does exactly
 * this. The markers are derived from the template text the run used, not hard-coded.
 */

export type MarkerKind = 'special-token' | 'identifier' | 'slot-opener' | 'slot-closer' | 'heading';

export interface ManipulationMarker {
  id: string;
  kind: MarkerKind;
  /** What the marker looks like in the template (for display). */
  label: string;
  /** Regular-expression source matched against outputs (built from escaped template text). */
  pattern: string;
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A pattern for a template fragment: literal characters, any whitespace run matching any (or no) whitespace. */
function fragmentPattern(fragment: string): string {
  return fragment.trim().split(/\s+/).map(escapeRe).join('\\s*');
}

const SLOT = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** The markers of a judge template, in a stable order and without duplicates. */
export function markersFromTemplate(template: string): ManipulationMarker[] {
  const out: ManipulationMarker[] = [];
  const seen = new Set<string>();
  const add = (kind: MarkerKind, label: string, pattern: string) => {
    if (!label.trim() || seen.has(pattern)) return;
    seen.add(pattern);
    out.push({ id: `${kind}:${label}`, kind, label, pattern });
  };
  for (const m of template.matchAll(/<\|[A-Za-z0-9_]+\|>/g)) add('special-token', m[0], escapeRe(m[0]));
  for (const m of template.matchAll(/"([A-Za-z][A-Za-z0-9]*_[A-Za-z0-9_]+)"\s*:/g)) add('identifier', m[1]!, escapeRe(m[1]!));
  const lines = template.split('\n');
  lines.forEach((line, i) => {
    for (const m of line.matchAll(SLOT)) {
      const before = line.slice(0, m.index).trim();
      if (before) add('slot-opener', before, fragmentPattern(before));
      let after = line.slice(m.index! + m[0].length).trim();
      // a slot closed by quotes alone is closed for good by the next line's bracket: take it too
      const next = lines.slice(i + 1).find((l) => l.trim() !== '')?.trim();
      if (after && next && /^[\]}),]+$/.test(next)) after = `${after} ${next.replace(/,+$/, '')}`;
      if (after && !SLOT.test(after)) add('slot-closer', after, fragmentPattern(after));
      SLOT.lastIndex = 0;
    }
  });
  for (const line of lines) {
    const h = /^(#{1,6})\s+(.+?)\s*$/.exec(line);
    // single-word headings ("## Task") are too common in ordinary answers to flag
    if (h && h[2]!.split(/\s+/).length >= 2) add('heading', `${h[1]} ${h[2]}`, `#{1,6}\\s*${fragmentPattern(h[2]!)}`);
  }
  return out;
}

/** Ids of the markers found in a text. */
export function findMarkers(text: string, markers: readonly ManipulationMarker[]): string[] {
  return markers.filter((m) => new RegExp(m.pattern).test(text)).map((m) => m.id);
}

export interface ManipulationReport {
  markers: (ManipulationMarker & { rows: number })[];
  /** Row indices (annotation order) of the flagged outputs. */
  flaggedRows: number[];
  /** Win rate of the model on the flagged rows (preference − 1, × 100), null when none is flagged or judged. */
  flaggedWinRate: number | null;
  /** Whether a template was available to derive the markers from. */
  templateKnown: boolean;
}

/** Scans every model output; `flagsByRow[i]` lists the marker ids of row i. */
export function scanOutputs(
  outputs: readonly string[],
  preferences: readonly (number | null)[],
  template: string | undefined,
): { report: ManipulationReport; flagsByRow: string[][] } {
  const markers = template === undefined ? [] : markersFromTemplate(template);
  const compiled = markers.map((m) => ({ m, re: new RegExp(m.pattern) }));
  const counts = new Map<string, number>();
  const flaggedRows: number[] = [];
  const flagsByRow = outputs.map((text, i) => {
    const ids = compiled.filter(({ re }) => re.test(text)).map(({ m }) => m.id);
    for (const id of ids) counts.set(id, (counts.get(id) ?? 0) + 1);
    if (ids.length > 0) flaggedRows.push(i);
    return ids;
  });
  const judged = flaggedRows.map((i) => preferences[i]).filter((p): p is number => p !== null && p !== undefined)
    .map((p) => (p === 0 ? 1.5 : p));
  const flaggedWinRate = judged.length ? (judged.reduce((s, p) => s + (p - 1), 0) / judged.length) * 100 : null;
  return {
    report: { markers: markers.map((m) => ({ ...m, rows: counts.get(m.id) ?? 0 })), flaggedRows, flaggedWinRate, templateKnown: template !== undefined },
    flagsByRow,
  };
}
