/**
 * Who may pull, push and delete where: `auth.anonymous_read` and the `auth.access` rules.
 *
 * - Repository names are asked for in full, `namespace/name`: V1's one-part names are already
 *   `library/x` (lib/names/v1.ts), and the caller asks V2's one-component names `x` as
 *   `library/x` too, so that one rule covers both APIs. Deeper V2 names (`a/b/c`) are asked as
 *   they are. The pattern grammar is in repository-patterns.ts.
 * - A rule applies to an identity listed in its `users` (`*` there: any authenticated user) or
 *   in one of its `groups`. The first rule that applies and has a matching pattern decides, with
 *   its actions, even when they do not include the one asked for: an early rule can deny
 *   (`actions: []`). No such rule: denied.
 * - Without rules (`access` absent), every authenticated user may pull and push everywhere;
 *   deleting always needs a rule that grants it.
 * - `anonymous_read` lets anyone pull everywhere, with or without credentials (someone who
 *   logs in has no less than someone who does not); anonymous callers may do nothing else.
 */
import type { AuthAction } from '../config/auth-schema.js';
import { compilePattern } from './repository-patterns.js';

export type { AuthAction };

export interface Identity {
  user: string;
  groups: readonly string[];
}

export interface AccessRule {
  users?: readonly string[];
  groups?: readonly string[];
  repositories: readonly string[];
  actions: readonly AuthAction[];
}

/** `users: ["*"]`: every authenticated user. */
export const ANY_USER = '*';

interface CompiledRule {
  users: ReadonlySet<string>;
  groups: ReadonlySet<string>;
  patterns: ReadonlyArray<{ text: string; match: RegExp }>;
  actions: ReadonlySet<AuthAction>;
}

export class AccessRules {
  private readonly rules: readonly CompiledRule[] | null;

  /** `rules` are the validated `auth.access` (null when absent); an invalid pattern throws. */
  constructor(
    rules: readonly AccessRule[] | null,
    private readonly anonymousRead: boolean,
  ) {
    this.rules =
      rules?.map((r) => ({
        users: new Set(r.users ?? []),
        groups: new Set(r.groups ?? []),
        patterns: r.repositories.map((text) => ({ text, match: compilePattern(text) })),
        actions: new Set(r.actions),
      })) ?? null;
  }

  /** May `identity` (null: anonymous) do `action` on `repository` (`namespace/name`)? */
  may(identity: Identity | null, action: AuthAction, repository: string): boolean {
    if (action === 'pull' && this.anonymousRead) return true;
    if (!identity) return false;
    if (!this.rules) return action !== 'delete';
    for (const rule of this.rules) {
      if (appliesTo(rule, identity) && rule.patterns.some((p) => p.match.test(repository))) return rule.actions.has(action);
    }
    return false;
  }

  /**
   * May `identity` do `action` on at least one repository? For the V1 routes that name an image
   * but no repository. A rule counts unless an earlier rule for the same identity already took
   * all its patterns (the same pattern, or `**`); overlaps subtler than that are not worked
   * out, so this can say yes where every repository a rule names is taken by earlier rules.
   */
  mayAnywhere(identity: Identity | null, action: AuthAction): boolean {
    if (action === 'pull' && this.anonymousRead) return true;
    if (!identity) return false;
    if (!this.rules) return action !== 'delete';
    const taken = new Set<string>();
    for (const rule of this.rules) {
      if (!appliesTo(rule, identity)) continue;
      const fresh = rule.patterns.filter((p) => !taken.has(p.text));
      if (fresh.length > 0 && rule.actions.has(action)) return true;
      for (const p of rule.patterns) taken.add(p.text);
      if (taken.has('**')) break;
    }
    return false;
  }
}

function appliesTo(rule: CompiledRule, identity: Identity): boolean {
  return rule.users.has(identity.user) || rule.users.has(ANY_USER) || identity.groups.some((g) => rule.groups.has(g));
}
