/**
 * The clients seen, as plain data with a merge that any worker may apply in any order: the
 * latest time wins per client and per repository, and each list is cut to its most recent
 * entries by one total order. So merging is commutative, associative and idempotent, and the
 * record stays bounded however many workers write and however often the same data is merged.
 */

export type Protocol = 'v1' | 'v2';
export type ClientAction = 'pull' | 'push' | 'delete';

export interface RepositoryUse {
  name: string;
  action: ClientAction;
  /** ms since the epoch */
  last: number;
}

export interface ClientEntry {
  protocol: Protocol;
  /** the User-Agent as sent, cut to AGENT_MAX characters */
  agent: string;
  /** only with `ui.record_addresses` */
  address?: string;
  last: number;
  repositories: RepositoryUse[];
}

export interface ActivityLimits {
  clients: number;
  repositoriesPerClient: number;
  /** entries older than this are dropped (ms) */
  maxAgeMs: number;
}

export const DEFAULT_LIMITS: ActivityLimits = { clients: 500, repositoriesPerClient: 20, maxAgeMs: 30 * 24 * 3600 * 1000 };
export const AGENT_MAX = 200;

const clientKey = (c: Pick<ClientEntry, 'protocol' | 'agent' | 'address'>) => `${c.protocol}\0${c.agent}\0${c.address ?? ''}`;
const useKey = (u: Pick<RepositoryUse, 'name' | 'action'>) => `${u.action}\0${u.name}`;

/** Most recent first; equal times by key, so every worker cuts a list at the same place. */
function byRecency<T extends { last: number }>(key: (item: T) => string) {
  return (a: T, b: T) => b.last - a.last || (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);
}

export function mergeActivity(lists: readonly (readonly ClientEntry[])[], now: number, limits: ActivityLimits = DEFAULT_LIMITS): ClientEntry[] {
  const oldest = now - limits.maxAgeMs;
  const clients = new Map<string, { entry: ClientEntry; uses: Map<string, RepositoryUse> }>();
  for (const list of lists) {
    for (const c of list) {
      if (!(c.last >= oldest)) continue;
      const key = clientKey(c);
      let held = clients.get(key);
      if (!held) {
        const entry: ClientEntry = { protocol: c.protocol, agent: c.agent, last: c.last, repositories: [] };
        if (c.address !== undefined) entry.address = c.address;
        held = { entry, uses: new Map() };
        clients.set(key, held);
      }
      held.entry.last = Math.max(held.entry.last, c.last);
      for (const u of c.repositories) {
        if (!(u.last >= oldest)) continue;
        const k = useKey(u);
        const had = held.uses.get(k);
        if (!had || had.last < u.last) held.uses.set(k, { name: u.name, action: u.action, last: u.last });
      }
    }
  }
  const merged = [...clients.values()].map(({ entry, uses }) => ({
    ...entry,
    repositories: [...uses.values()].sort(byRecency<RepositoryUse>(useKey)).slice(0, limits.repositoriesPerClient),
  }));
  return merged.sort(byRecency<ClientEntry>(clientKey)).slice(0, limits.clients);
}

/** Entries read back from storage: anything that is not one is left out rather than trusted. */
export function parseActivity(text: string): ClientEntry[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return [];
  }
  const list = (value as { clients?: unknown } | null)?.clients;
  if (!Array.isArray(list)) return [];
  return list.filter(isEntry);
}

function isEntry(v: unknown): v is ClientEntry {
  const c = v as ClientEntry;
  return (
    typeof c === 'object' &&
    c !== null &&
    (c.protocol === 'v1' || c.protocol === 'v2') &&
    typeof c.agent === 'string' &&
    typeof c.last === 'number' &&
    (c.address === undefined || typeof c.address === 'string') &&
    Array.isArray(c.repositories) &&
    c.repositories.every((u) => typeof u?.name === 'string' && typeof u.last === 'number' && ['pull', 'push', 'delete'].includes(u.action))
  );
}
