/**
 * The lines of an htpasswd or htgroup file as Apache reads them (httpd `server/util.c`
 * `ap_cfg_getline`, used by mod_authn_file and mod_authz_groupfile): whitespace around a line
 * is dropped, and blank lines and lines starting with `#` are skipped. Line numbers count every
 * line, so a message points at the line an editor shows.
 */
export interface FileLine {
  number: number;
  text: string;
}

export interface LineProblem {
  line: number;
  message: string;
}

export function contentLines(text: string): FileLine[] {
  const lines: FileLine[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line !== '' && !line.startsWith('#')) lines.push({ number: i + 1, text: line });
  });
  return lines;
}

/** `line 3: …`, the form every file problem is reported in. */
export function describeProblem(problem: LineProblem): string {
  return `line ${problem.line}: ${problem.message}`;
}
