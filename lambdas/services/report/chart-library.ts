/**
 * The charting library inlined into the report pages: Chart.js's UMD build, read from the installed `chart.js`
 * package (no CDN: the pages work offline). Returns undefined when the package is not installed next to the code
 * (e.g. a Lambda bundle without it); the pages then show their numbers as tables only.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** The file of the browser build inside the package's `dist/` (the package exports only its module entries). */
export const CHART_JS_FILE = 'chart.umd.min.js';

export async function loadChartLibrary(): Promise<string | undefined> {
  // in a Lambda bundle the file is copied next to the bundle (infra/constructs/eval-function.ts, `extraFiles`)
  try {
    return await readFile(new URL(`./${CHART_JS_FILE}`, import.meta.url), 'utf8');
  } catch {
    // not bundled: use the installed package
  }
  let entry: string;
  try {
    entry = createRequire(import.meta.url).resolve('chart.js');
  } catch {
    return undefined;
  }
  try {
    return await readFile(join(dirname(entry), CHART_JS_FILE), 'utf8');
  } catch {
    return undefined;
  }
}
