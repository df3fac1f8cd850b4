/**
 * Which repositories a pull-through cache fetches, and under which name the upstream knows
 * each. Docker Hub keeps its official images under `library/`: `docker pull mirror/ubuntu`
 * asks us for `ubuntu`, which is `library/ubuntu` upstream (mirroring.library_names, on by
 * default for a source on docker.io). The allow-list (mirroring.repositories) matches the
 * upstream name, with the patterns of `auth.access` (lib/auth/repository-patterns.ts).
 */
import { compilePattern } from '../auth/repository-patterns.js';

export interface ScopeSettings {
  source: string;
  repositories: readonly string[];
  library_names: boolean | null;
}

export class MirrorScope {
  private readonly patterns: RegExp[];
  /** one-part names are `library/<name>` upstream */
  readonly libraryNames: boolean;

  constructor(settings: ScopeSettings) {
    this.patterns = settings.repositories.map(compilePattern);
    this.libraryNames = settings.library_names ?? /(^|\.)docker\.io$/i.test(new URL(settings.source).hostname);
  }

  /** The upstream's name of a repository we are asked for. */
  upstreamName(name: string): string {
    return this.libraryNames && !name.includes('/') ? `library/${name}` : name;
  }

  /** Whether misses on this repository are fetched from upstream (else only what is here is served). */
  fetches(name: string): boolean {
    if (this.patterns.length === 0) return true;
    const upstream = this.upstreamName(name);
    return this.patterns.some((p) => p.test(upstream));
  }
}

/** What is wrong with a mirror's settings that the schema cannot see alone (for preflight). */
export function mirrorIssues(settings: { source: string | null; protocol: 'v1' | 'v2' | 'auto' }): Array<{ key: string; message: string }> {
  if (!settings.source || settings.protocol === 'v1') return [];
  try {
    const url = new URL(settings.source);
    if (url.protocol === 'http:' || url.protocol === 'https:') return [];
  } catch {
    // not a URL at all: said below
  }
  return [{ key: 'mirroring.source', message: 'expected the http(s) URL of a registry, e.g. https://registry-1.docker.io' }];
}
