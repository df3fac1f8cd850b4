/**
 * `WWW-Authenticate` as a registry sends it (RFC 7235 auth-params; distribution's
 * `registry/client/auth/challenge/authchallenge.go`): `Bearer realm="…",service="…",scope="…"`
 * or `Basic realm="…"`. Quoted values may hold commas and backslash escapes.
 */
export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

export function parseChallenges(header: string | null): Challenge[] {
  if (!header) return [];
  const out: Challenge[] = [];
  let rest = header.trim();
  while (rest.length > 0) {
    const scheme = /^([A-Za-z][\w.-]*)\s*/.exec(rest);
    if (!scheme) break;
    rest = rest.slice(scheme[0].length);
    const params: Record<string, string> = {};
    for (;;) {
      const param = /^([\w.-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,"]*))\s*(,\s*)?/.exec(rest);
      if (!param) break;
      params[(param[1] as string).toLowerCase()] = param[2] !== undefined ? param[2].replace(/\\(.)/g, '$1') : (param[3] ?? '');
      rest = rest.slice(param[0].length);
      if (!param[4]) break;
    }
    out.push({ scheme: (scheme[1] as string).toLowerCase(), params });
    rest = rest.replace(/^,\s*/, '');
  }
  return out;
}
