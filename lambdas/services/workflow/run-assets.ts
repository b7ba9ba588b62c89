/** An AssetSource over a run folder's `inputs/`: later steps read exactly the bytes Prepare recorded. */
import type { AssetName } from '../../core/assets-catalog.ts';
import { RUN_FILES } from '../../core/run/layout.ts';
import type { RunManifest } from '../../core/run/manifest.ts';
import type { AssetProvenance, AssetSource } from '../../ports.ts';
import type { RunFolder } from './run-store.ts';

const KEYS: Partial<Record<AssetName, string>> = {
  'eval-set': RUN_FILES.evalSet,
  'judge-template': RUN_FILES.judgeTemplate,
  gamed: RUN_FILES.gamed,
  leaderboard: RUN_FILES.leaderboardInput,
  'instruction-difficulty': RUN_FILES.instructionDifficulty,
};

export function runInputs(run: RunFolder, manifest: RunManifest): AssetSource {
  return {
    async text(name: AssetName) {
      const recorded = manifest.assets[name];
      const key = KEYS[name];
      if (!key) throw new Error(`asset ${name} is not one of a run's inputs`);
      const text = await run.text(key);
      if (text === undefined || !recorded) throw new Error(`${run.store.locate(key)} is missing (asset ${name} was not available when the run was prepared)`);
      const asset: AssetProvenance = { name, ...recorded, fromCache: false };
      return { asset, text };
    },
  };
}
