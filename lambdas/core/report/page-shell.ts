/**
 * The shell of a self-contained report page: one HTML document with its styles, data and scripts inline, and a
 * Content-Security-Policy that forbids every network request and every script but the page's own (by SHA-256), so
 * even text that slipped past escaping could not run or load anything.
 */
import { createHash } from 'node:crypto';
import { escapeHtml, jsonForScript } from './html.ts';

export interface PageParts {
  title: string;
  styles: string;
  body: string;
  /** Data for the client scripts: `<script type="application/json" id="…">`, serialised safely. */
  data: Record<string, unknown>;
  /** Inline scripts, in order (e.g. a charting library, then the page's own code). */
  scripts: string[];
}

/**
 * Makes script text safe inside a `<script>` element: `</script` and `<!--` cannot end the element or switch the
 * HTML parser's script state. In JavaScript, `<\/` and `<\!--` mean the same inside strings, regexes and comments.
 */
export function inlineScriptText(source: string): string {
  return source.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
}

function sha256Base64(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('base64');
}

export function renderPage(parts: PageParts): string {
  const scripts = parts.scripts.map(inlineScriptText);
  const csp = [
    "default-src 'none'",
    `script-src ${scripts.map((s) => `'sha256-${sha256Base64(s)}'`).join(' ') || "'none'"}`,
    "style-src 'unsafe-inline'",
    'img-src data:',
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
  const data = Object.entries(parts.data)
    .map(([id, value]) => `<script type="application/json" id="${escapeHtml(id)}">${jsonForScript(value)}</script>`)
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(csp)}">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(parts.title)}</title>
<style>${parts.styles}</style>
</head><body>
${parts.body}
${data}
${scripts.map((s) => `<script>${s}</script>`).join('\n')}
</body></html>
`;
}
