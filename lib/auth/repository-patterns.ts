/**
 * The repository patterns of `auth.access[].repositories`. Names are always asked for in full,
 * `namespace/name` (see access-rules.ts), so a pattern describes such a path:
 *
 *   - the characters of a repository name, `[a-z0-9._-]`, match themselves;
 *   - `*` matches any run of those characters within one path component (not `/`):
 *     `alice/*` matches `alice/app` but not `alice/app/cache`; `alice/*-cache` matches `alice/app-cache`;
 *   - `**`, alone as the last component, matches one or more whole components:
 *     `alice/**` matches `alice/app` and `alice/app/cache`; `**` alone matches every repository.
 *
 * Refused, so that a mistake is an error at startup rather than a rule that never matches:
 * an empty pattern, any other character (upper case included: names are lower case), an empty
 * component (`alice//app`, a leading or trailing `/`), `**` anywhere but the end or inside a
 * component, and a pattern of one component other than `**` (`ubuntu`, `*`), which no
 * `namespace/name` can match: write `library/ubuntu`, or `**` for every repository.
 */

const COMPONENT = /^[a-z0-9._*-]+$/;

/** Why `pattern` is not a valid pattern; null when it is. */
export function patternProblem(pattern: string): string | null {
  if (pattern === '') return 'an empty pattern matches nothing';
  const bad = pattern.match(/[^a-z0-9._/*-]/);
  if (bad) return `${JSON.stringify(bad[0])} cannot appear in a repository name (allowed: a-z 0-9 . _ - / and * as a wildcard)`;
  const parts = pattern.split('/');
  if (parts.some((p) => p === '')) return 'a pattern cannot start or end with "/", nor hold "//"';
  for (const [i, part] of parts.entries()) {
    if (!COMPONENT.test(part)) return 'invalid component';
    if (part.includes('**') && (part !== '**' || i !== parts.length - 1)) return '"**" can only be the whole last component (alice/**)';
  }
  if (parts.length === 1 && pattern !== '**') {
    const hint = pattern === '*' ? '"**" for every repository, or "*/*"' : `"library/${pattern}"`;
    return `repositories are matched as namespace/name, so a pattern of one component never matches; use ${hint}`;
  }
  return null;
}

/** The matcher of a valid pattern; throws on an invalid one (config validation has refused it). */
export function compilePattern(pattern: string): RegExp {
  const problem = patternProblem(pattern);
  if (problem) throw new Error(`invalid repository pattern ${JSON.stringify(pattern)}: ${problem}`);
  const parts = pattern.split('/').map((part) => (part === '**' ? '[^/]+(?:/[^/]+)*' : part.replace(/[.]/g, '\\.').replace(/\*/g, '[^/]*')));
  return new RegExp(`^${parts.join('/')}$`);
}
