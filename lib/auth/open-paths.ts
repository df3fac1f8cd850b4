/**
 * Which paths answer without credentials when Berth's auth is on. The pings always do:
 * orchestrators probe them, and Docker 1.x calls `/v1/_ping` before it has credentials (`/v2/`
 * is not among them: its 401 is the challenge that tells a V2 client to log in). `auth.open_paths` may add a few read-only operator endpoints, and nothing
 * else: opening a repository route by path would bypass the access rules.
 */
export const ALWAYS_OPEN_PATHS = ['/_ping', '/v1/_ping', '/healthz', '/readyz'] as const;

/** What `auth.open_paths` may list. */
export const OPENABLE_PATHS = ['/metrics', '/_status', '/v1/_status', '/'] as const;

/** The paths that need no credentials under `openPaths` (the validated `auth.open_paths`). */
export function openPathSet(openPaths: readonly string[]): ReadonlySet<string> {
  return new Set([...ALWAYS_OPEN_PATHS, ...openPaths]);
}
