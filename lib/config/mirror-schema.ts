/**
 * The `mirroring` keys of a V2 source (README "Keep Docker 1.x hosts pulling"), beside
 * docker-registry's own (`source`, `source_index`, `tags_cache_ttl`), which keep their meaning.
 */
import { z } from 'zod';
import { patternProblem } from '../auth/repository-patterns.js';
import { bool, int, optionalBool, secret, str, stringList } from './fields.js';

const protocol = z
  .union([z.string(), z.null()], { error: 'expected v1, v2 or auto' })
  .optional()
  .transform((v, ctx): 'v1' | 'v2' | 'auto' => {
    const word = (v ?? 'auto').trim().toLowerCase() || 'auto';
    if (word === 'v1' || word === 'v2' || word === 'auto') return word;
    ctx.addIssue({ code: 'custom', message: `expected v1, v2 or auto, got ${JSON.stringify(v)}` });
    return z.NEVER;
  });

/** `name:tag`, as written in `pinned`. */
const pinnedTag = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*:[\w][\w.-]{0,127}$/;

export const mirrorV2Keys = {
  /** auto: a source that answers `/v2/` as a registry does is a V2 source */
  protocol,
  username: str(),
  password: secret(),
  /** how long a manifest fetched by tag is served before the tag is checked again (a HEAD) */
  manifests_cache_ttl: int(300, 0),
  /** repositories the mirror fetches (globs: `library/*`); empty: all */
  repositories: stringList('["library/*", "myorg/**"]').superRefine((patterns, ctx) => {
    for (const [i, pattern] of patterns.entries()) {
      const problem = patternProblem(pattern);
      if (problem) ctx.addIssue({ code: 'custom', path: [i], message: `${JSON.stringify(pattern)}: ${problem}` });
    }
  }),
  /** one-part names are `library/<name>` upstream (Docker Hub); unset: when the source is on docker.io */
  library_names: optionalBool(),
  /** pushes kept locally (never sent upstream); false: refused, as distribution's proxy refuses them */
  allow_push: bool(false),
  /** bytes of fetched blobs kept; least recently pulled go first (0: no limit) */
  max_bytes: int(0, 0),
  /** `name:tag` whose content eviction never removes */
  pinned: stringList('["library/busybox:latest"]').superRefine((tags, ctx) => {
    for (const [i, tag] of tags.entries()) {
      if (!pinnedTag.test(tag)) ctx.addIssue({ code: 'custom', path: [i], message: `expected name:tag, got ${JSON.stringify(tag)}` });
    }
  }),
  /** how often eviction looks at the cache's size, in seconds */
  evict_interval: int(300, 1),
};
