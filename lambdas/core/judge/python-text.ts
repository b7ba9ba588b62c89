/**
 * Python `str` behaviours the judge prompt depends on, written for JavaScript strings.
 *
 * Python's whitespace (`str.isspace`, `str.strip()`, `\s` in `re`) is not JavaScript's: Python counts
 * U+001C–U+001F and U+0085 as whitespace and does not count U+FEFF; `String.prototype.trim` does the opposite.
 * Model outputs can contain any of them, so prompts are stripped with Python's set.
 */

/** The characters for which CPython 3.11 `str.isspace()` is true (all in the BMP). */
export const PYTHON_WHITESPACE =
  '\t\n\u000b\u000c\r\u001c\u001d\u001e\u001f \u0085\u00a0\u1680' +
  '\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a' +
  '\u2028\u2029\u202f\u205f\u3000';

const WHITESPACE = new Set(PYTHON_WHITESPACE);

/** Python `ch.isspace()` for one UTF-16 unit (every Python whitespace character is a single unit). */
export function isPythonSpace(ch: string): boolean {
  return WHITESPACE.has(ch);
}

/** Python `s.strip()` with no argument. */
export function pythonStrip(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && WHITESPACE.has(s[start]!)) start++;
  while (end > start && WHITESPACE.has(s[end - 1]!)) end--;
  return s.slice(start, end);
}

/** Python `s.replace(old, new, 1)`: the first occurrence only, `new` inserted literally (no `$` patterns). */
export function replaceFirst(s: string, old: string, replacement: string): string {
  const at = s.indexOf(old);
  if (at < 0) return s;
  return s.slice(0, at) + replacement + s.slice(at + old.length);
}

/** Python `s.split(sep, 1)`: at most two pieces. */
export function splitOnce(s: string, sep: string): [string] | [string, string] {
  const at = s.indexOf(sep);
  return at < 0 ? [s] : [s.slice(0, at), s.slice(at + sep.length)];
}
