// How values are written on the page.

export function bytes(n: number | null): string {
  if (n === null) return '–';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

export function when(value: string | number | null): string {
  if (value === null) return '–';
  const d = new Date(value);
  return Number.isNaN(d.getTime())
    ? String(value)
    : d
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d+Z$/, ' UTC');
}

export const short = (digest: string) => digest.replace(/^(sha256:|sha512:)?([0-9a-f]{12})[0-9a-f]*$/, '$1$2');

/** What a User-Agent says the client is: Docker engine versions, containerd, skopeo, podman, … */
export function clientOf(agent: string): string {
  const known: Array<[RegExp, string]> = [
    [/^docker\/([^\s]+)/i, 'Docker $1'],
    [/^containerd\/([^\s]+)/i, 'containerd $1'],
    [/^skopeo\/([^\s]+)/i, 'skopeo $1'],
    [/^podman\/([^\s]+)/i, 'podman $1'],
    [/^buildah\/([^\s]+)/i, 'buildah $1'],
    [/^containers\/([^\s]+)/i, 'containers/image $1 (podman, skopeo, buildah)'],
    [/^cri-o\/([^\s]+)/i, 'CRI-O $1'],
    [/^crane\/?([^\s]*)/i, 'crane $1'],
    [/^go-containerregistry\/?([^\s]*)/i, 'go-containerregistry $1'],
    [/^Go-http-client\/([^\s]+)/i, 'a Go program (Go-http-client $1)'],
    [/^curl\/([^\s]+)/i, 'curl $1'],
  ];
  for (const [pattern, label] of known) {
    const m = pattern.exec(agent);
    if (m) return label.replace('$1', m[1] ?? '').trim();
  }
  return agent === '' ? '(no User-Agent)' : (agent.split(/\s/)[0] ?? agent);
}
