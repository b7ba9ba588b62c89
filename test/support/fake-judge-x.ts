/**
 * The fake judge playing "judge X" for calibration tests: it knows the official per-row preferences of the panel
 * models and answers with a distorted version of them — a monotone squash in logit space, a length bias (longer
 * model outputs preferred) and deterministic per-prompt noise — so judge X's LC differs from the official one
 * the way a real other judge's would, and the bridge has something to undo.
 */
import { createHash } from 'node:crypto';
import { choiceWithProbability, type FakeChatRequest } from './fake-openai.ts';
import { readFixtureJson } from './fixtures.ts';

export interface JudgeXDistortion {
  /** Slope of the squash in logit space (< 1 compresses). */
  squash: number;
  /** Logit shift per 1000 characters of model-minus-reference length. */
  lengthBias: number;
  /** Half-width of the uniform logit noise. */
  noise: number;
}

const BLOCK = /"model_identifier": "m",\s*"output": """([\s\S]*?)"""\s*},\s*{\s*"model_identifier": "M",\s*"output": """([\s\S]*?)"""\s*}\s*}\s*## Task/;

function logit(p: number): number {
  const q = Math.min(0.995, Math.max(0.005, p));
  return Math.log(q / (1 - q));
}

function unitNoise(key: string): number {
  return createHash('sha256').update(key).digest().readUInt32BE(0) / 2 ** 32 - 0.5;
}

/**
 * An `answer` hook for startFakeOpenAI. `official` maps `instruction \0 model output` to the official preference
 * (1–2); `reference` maps the instruction to the reference output. Unknown prompts get undefined (the default answer).
 */
export function judgeXAnswer(
  official: ReadonlyMap<string, number>,
  reference: ReadonlyMap<string, string>,
  d: JudgeXDistortion,
): (req: FakeChatRequest) => Record<string, unknown> | undefined {
  return (req) => {
    const text = (req.body.messages as { content: string }[]).map((m) => m.content).join('\n');
    const block = BLOCK.exec(text);
    if (!block) return undefined;
    const [outM, outBigM] = [block[1]!, block[2]!];
    const inst = /"instruction": """([\s\S]*?)""",/.exec(text)?.[1];
    if (inst === undefined) return undefined;
    const ref = reference.get(inst);
    const modelIsM = ref !== undefined && outBigM === ref && outM !== ref;
    const modelOut = modelIsM ? outM : outBigM;
    const pref = official.get(`${inst}\u0000${modelOut}`);
    if (pref === undefined || ref === undefined) return undefined;
    const z = d.squash * logit(pref - 1) + d.lengthBias * (modelOut.length - ref.length) / 1000 + 2 * d.noise * unitNoise(req.promptKey);
    const pModelBetter = 1 / (1 + Math.exp(-z));
    return choiceWithProbability(modelIsM ? pModelBetter : 1 - pModelBetter);
  };
}

/**
 * Judge X's answers for a panel: the official preferences of each panel model's fixture annotations (by instruction
 * and model output), distorted by `distortion`. `referencePath` is the reference outputs fixture.
 */
export function panelJudgeX(panel: readonly string[], referencePath: string, distortion: JudgeXDistortion): ReturnType<typeof judgeXAnswer> {
  const official = new Map<string, number>();
  for (const m of panel) {
    for (const r of readFixtureJson<{ instruction: string; output_2: string; preference: number | null }[]>(`annotations/${m}.annotations.json.gz`)) {
      if (r.preference !== null) official.set(`${r.instruction}\u0000${r.output_2}`, r.preference);
    }
  }
  const reference = new Map(readFixtureJson<{ instruction: string; output: string }[]>(referencePath).map((r) => [r.instruction, r.output]));
  return judgeXAnswer(official, reference, distortion);
}
