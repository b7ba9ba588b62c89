/** A small Dockerfile linter for the rules the generator image must keep (used by dockerfile.test.ts). */

export interface Instruction {
  keyword: string;
  args: string;
  line: number;
}

/** Instructions with continuation lines joined and comments dropped. */
export function parseDockerfile(text: string): Instruction[] {
  const out: Instruction[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    let line = lines[i]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    while (line.endsWith('\\') && i + 1 < lines.length) {
      line = `${line.slice(0, -1).trim()} ${lines[++i]!.trim()}`;
    }
    const m = /^(\S+)\s*(.*)$/.exec(line)!;
    out.push({ keyword: m[1]!.toUpperCase(), args: m[2]!.trim(), line: start + 1 });
  }
  return out;
}

const SECRET_NAME = /(TOKEN|SECRET|PASSWORD|PASSWD|API_KEY|ACCESS_KEY|PRIVATE_KEY|CREDENTIAL)/i;

/** Rule violations, one sentence each; empty when the Dockerfile is fine. */
export function lintDockerfile(text: string, { finalBase }: { finalBase: RegExp }): string[] {
  const ins = parseDockerfile(text);
  const problems: string[] = [];
  const froms = ins.filter((i) => i.keyword === 'FROM');
  if (froms.length === 0) return ['no FROM'];
  const stageNames = new Set(froms.map((f) => /\sAS\s+(\S+)$/i.exec(f.args)?.[1]?.toLowerCase()).filter(Boolean));
  for (const f of froms) {
    const image = f.args.split(/\s+/).find((t) => !t.startsWith('--'))!;
    if (stageNames.has(image.toLowerCase())) continue;
    const tag = /^[^@]+:([^/@]+)(@sha256:[0-9a-f]{64})?$/.exec(image)?.[1];
    if (!tag) problems.push(`line ${f.line}: base image ${image} has no tag`);
    else if (tag === 'latest') problems.push(`line ${f.line}: base image ${image} uses latest`);
    if (image.includes('$')) problems.push(`line ${f.line}: base image ${image} comes from a build argument`);
  }
  const last = froms.at(-1)!;
  if (!finalBase.test(last.args)) problems.push(`line ${last.line}: final stage is not ${finalBase} but ${last.args}`);
  const finalStage = ins.slice(ins.indexOf(last));
  const users = finalStage.filter((i) => i.keyword === 'USER');
  const user = users.at(-1);
  if (!user) problems.push('the final stage sets no USER (it would run as root)');
  else if (/^(root|0)(:|$)/.test(user.args)) problems.push(`line ${user.line}: USER ${user.args} is root`);
  else if (finalStage.slice(finalStage.indexOf(user)).some((i) => i.keyword === 'RUN')) {
    problems.push(`line ${user.line}: RUN after the last USER`);
  }
  const entrypoints = finalStage.filter((i) => i.keyword === 'ENTRYPOINT');
  const entry = entrypoints.at(-1);
  if (!entry) problems.push('no ENTRYPOINT');
  else {
    let parsed: unknown;
    try {
      parsed = JSON.parse(entry.args);
    } catch {
      parsed = undefined;
    }
    if (!Array.isArray(parsed) || parsed.some((a) => typeof a !== 'string')) {
      problems.push(`line ${entry.line}: ENTRYPOINT is not in exec form (a JSON array)`);
    }
  }
  for (const i of ins) {
    if (i.keyword === 'ENV' || i.keyword === 'ARG') {
      const names = [...i.args.matchAll(/(?:^|\s)([A-Za-z_][A-Za-z0-9_]*)(?==|\s|$)/g)].map((m) => m[1]!);
      for (const n of names.filter((x) => SECRET_NAME.test(x))) problems.push(`line ${i.line}: ${i.keyword} ${n} looks like a secret`);
    }
    if (i.keyword === 'ADD' && /https?:\/\//.test(i.args)) problems.push(`line ${i.line}: ADD from a URL (unpinned download)`);
  }
  return problems;
}

/** The files COPY takes from the build context (not from other stages). */
export function copiedSources(text: string): string[] {
  return parseDockerfile(text)
    .filter((i) => i.keyword === 'COPY' && !/--from=/.test(i.args))
    .flatMap((i) => i.args.split(/\s+/).filter((t) => !t.startsWith('--')).slice(0, -1));
}
