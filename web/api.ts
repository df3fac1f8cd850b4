// The page's calls to its JSON API (lib/http/routes/ui.ts) and the URLs of its views.

import type {
  MigrationReply as Migration,
  RepositoryPage,
  RepositoryReply as RepositoryView,
  TagReply as TagDetail,
  TagSummary,
} from '../lib/services/ui/view-types.js';

export type { Migration, RepositoryPage, RepositoryView, TagDetail, TagSummary };

async function call<T>(path: string, method = 'GET'): Promise<T> {
  const res = await fetch(path, { method, credentials: 'same-origin', headers: { Accept: 'application/json' } });
  if (!res.ok) {
    const body = (await res.json().catch(() => null)) as { error?: string } | null;
    throw new Error(body?.error ?? `${res.status} ${res.statusText}`);
  }
  return (await res.json()) as T;
}

/** A repository name in a URL: each part escaped, the slashes kept. */
export const namePath = (name: string) => name.split('/').map(encodeURIComponent).join('/');

export const api = {
  repositories: (q: string, page: number) => call<RepositoryPage>(`/ui/api/repositories?q=${encodeURIComponent(q)}&page=${page}`),
  repository: (name: string, page: number) => call<RepositoryView>(`/ui/api/repositories/${namePath(name)}/tags?page=${page}`),
  tag: (name: string, tag: string) => call<TagDetail>(`/ui/api/repositories/${namePath(name)}/tags/${encodeURIComponent(tag)}`),
  deleteTag: (name: string, tag: string) => call<{ deleted: boolean }>(`/ui/api/repositories/${namePath(name)}/tags/${encodeURIComponent(tag)}`, 'DELETE'),
  migration: () => call<Migration>('/ui/api/migration'),
};

export type Route =
  | { view: 'repositories'; q: string; page: number }
  | { view: 'repository'; name: string; page: number }
  | { view: 'tag'; name: string; tag: string }
  | { view: 'migration' };

export function parseRoute(loc: Location): Route {
  const path = loc.pathname;
  const query = new URLSearchParams(loc.search);
  const page = Math.max(1, Number.parseInt(query.get('page') ?? '1', 10) || 1);
  if (path === '/ui/migration') return { view: 'migration' };
  if (path.startsWith('/ui/r/')) {
    const rest = path.slice('/ui/r/'.length);
    const at = rest.lastIndexOf('/t/');
    if (at > 0) return { view: 'tag', name: decodeParts(rest.slice(0, at)), tag: decodeURIComponent(rest.slice(at + 3)) };
    return { view: 'repository', name: decodeParts(rest), page };
  }
  return { view: 'repositories', q: query.get('q') ?? '', page };
}

export function hrefOf(route: Route): string {
  switch (route.view) {
    case 'migration':
      return '/ui/migration';
    case 'tag':
      return `/ui/r/${namePath(route.name)}/t/${encodeURIComponent(route.tag)}`;
    case 'repository':
      return `/ui/r/${namePath(route.name)}${route.page > 1 ? `?page=${route.page}` : ''}`;
    case 'repositories': {
      const q = new URLSearchParams();
      if (route.q) q.set('q', route.q);
      if (route.page > 1) q.set('page', String(route.page));
      const s = q.toString();
      return `/ui/${s ? `?${s}` : ''}`;
    }
  }
}

function decodeParts(path: string): string {
  return path.split('/').map(decodeURIComponent).join('/');
}
