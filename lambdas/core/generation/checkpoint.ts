/**
 * The generation checkpoint: one small JSON object per finished row, written as soon as the row is done, so a
 * restarted run (spot interruption, kill -9) skips it. Each record carries the settings it was generated with, so
 * rows made with other settings are never mixed into one output file.
 */
import { createHash } from 'node:crypto';
import { InputError } from '../errors.ts';
import type { DecodingParams } from './decoding.ts';
import type { PromptModeRequest, PromptModeUsed } from './prompt-mode.ts';
import type { RowStats } from './stats.ts';

/** Key prefix of the checkpoint inside the output store. */
export const CHECKPOINT_PREFIX = 'generation-checkpoint/';
const VERSION = 1;

/** What decides the text of a row: a resumed row must have been generated with exactly these. */
export interface GenerationSettings {
  model: string;
  revision: string | null;
  decoding: DecodingParams;
  promptMode: PromptModeRequest['kind'];
  /** SHA-256 of the template file of `template` mode, else null. */
  templateSha256: string | null;
}

export interface CheckpointRecord {
  version: typeof VERSION;
  settings: GenerationSettings;
  /** 0-based position of the row in the eval set. */
  evalIndex: number;
  instruction: string;
  /** The engine's text, not stripped. */
  output: string;
  mode: PromptModeUsed;
  stats: RowStats;
}

export function checkpointKey(evalIndex: number): string {
  return `${CHECKPOINT_PREFIX}row-${String(evalIndex).padStart(5, '0')}.json`;
}

export function settingsOf({ model, revision, decoding, promptMode }: {
  model: string;
  revision: string | null;
  decoding: DecodingParams;
  promptMode: PromptModeRequest;
}): GenerationSettings {
  const templateSha256 = promptMode.kind === 'template'
    ? createHash('sha256').update(promptMode.template, 'utf8').digest('hex') : null;
  return { model, revision, decoding: { ...decoding }, promptMode: promptMode.kind, templateSha256 };
}

export function serialiseCheckpointRecord(record: Omit<CheckpointRecord, 'version'>): string {
  return JSON.stringify({ version: VERSION, ...record });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Parses one checkpoint object. Throws `InputError` naming the key when it is not a record this version wrote. */
export function parseCheckpointRecord(text: string, key: string): CheckpointRecord {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (cause) {
    throw new InputError({ file: key }, `invalid JSON (${(cause as Error).message})`, { cause });
  }
  if (!isObject(data) || data.version !== VERSION) throw new InputError({ file: key }, 'not a version 1 checkpoint record');
  const ok = typeof data.evalIndex === 'number' && typeof data.instruction === 'string' &&
    typeof data.output === 'string' && typeof data.mode === 'string' && isObject(data.settings) &&
    isObject(data.stats) && typeof data.stats.latencyMs === 'number';
  if (!ok) throw new InputError({ file: key }, 'checkpoint record lacks evalIndex, instruction, output, mode, settings or stats');
  return data as unknown as CheckpointRecord;
}

function flatten(value: unknown, path: string, out: Map<string, string>): void {
  if (isObject(value)) for (const [k, v] of Object.entries(value)) flatten(v, path ? `${path}.${k}` : k, out);
  else out.set(path, JSON.stringify(value ?? null));
}

/** The settings that differ, as `name: old → new` pieces; empty when equal. */
export function settingsDifferences(saved: GenerationSettings, current: GenerationSettings): string[] {
  const a = new Map<string, string>();
  const b = new Map<string, string>();
  flatten(saved, '', a);
  flatten(current, '', b);
  const keys = [...new Set([...a.keys(), ...b.keys()])].sort();
  return keys.filter((k) => a.get(k) !== b.get(k)).map((k) => `${k}: ${a.get(k) ?? 'absent'} → ${b.get(k) ?? 'absent'}`);
}
