/**
 * The `auth:` section: Berth's own access control. Absent or null, there is none (every
 * request is let through, as before). Only the shapes and types are checked here; what the
 * values mean (files that must exist, the repository pattern grammar, settings that need each
 * other) is checked by lib/auth/validate.ts, before startup and by `--check-config` alike.
 *
 *   auth:
 *     htpasswd: {path: /etc/berth/htpasswd, realm: Berth Registry, groups: /etc/berth/htgroup}
 *     anonymous_read: false
 *     access:                    # first matching rule wins; absent: users may pull and push anywhere
 *       - {users: [alice], groups: [], repositories: ["alice/*"], actions: [pull, push, delete]}
 *     open_paths: [/metrics]
 *     trust_proxy_user: X-Remote-User
 *     token: {realm: …, service: …, issuer: …, rootcertbundle: /etc/berth/token-ca.pem}
 */
import { z } from 'zod';
import { bool, optionalSection, requiredStr, str, stringList, strOr } from './fields.js';
import { closestKey } from './unknown-keys.js';

export const AUTH_ACTIONS = ['pull', 'push', 'delete'] as const;
export type AuthAction = (typeof AUTH_ACTIONS)[number];

export const DEFAULT_REALM = 'Berth Registry';

/** Required: a rule without `actions` is more likely a typo than a deliberate "nothing" (which is `[]`). */
const actions = z
  .union([z.array(z.string()), z.null()], { error: `expected a list of ${AUTH_ACTIONS.join(', ')}` })
  .optional()
  .transform((v, ctx): AuthAction[] => {
    if (v === undefined || v === null) {
      ctx.addIssue({ code: 'custom', message: `required: a list of ${AUTH_ACTIONS.join(', ')} ([] allows nothing)` });
      return z.NEVER;
    }
    for (const action of v) {
      if (isAction(action)) continue;
      const guess = closestKey(action.toLowerCase(), AUTH_ACTIONS);
      ctx.addIssue({
        code: 'custom',
        message: `allowed: ${AUTH_ACTIONS.join(', ')}; got ${JSON.stringify(action)}${guess ? ` (did you mean ${guess}?)` : ''}`,
      });
    }
    return v.filter(isAction);
  });

const rule = z.looseObject(
  {
    users: stringList('[alice, bob]'),
    groups: stringList('[developers]'),
    repositories: stringList('["alice/*", "library/**"]'),
    actions,
  },
  { error: 'expected a rule: {users, groups, repositories, actions}' },
);

export const authSchema = optionalSection({
  htpasswd: optionalSection({
    path: requiredStr('the htpasswd file (made with Apache’s htpasswd)'),
    realm: strOr(DEFAULT_REALM),
    groups: str(),
  }),
  anonymous_read: bool(false),
  access: z.preprocess((v) => (v === undefined ? null : v), z.array(rule, { error: 'expected a list of rules' }).nullable()),
  open_paths: stringList('[/metrics]'),
  trust_proxy_user: str(),
  token: optionalSection({
    realm: requiredStr('the URL of the token server'),
    service: requiredStr('the name the token server issues tokens for'),
    issuer: requiredStr('the issuer the tokens name'),
    rootcertbundle: requiredStr('a PEM file with the certificates the tokens are signed under'),
  }),
});

export type AuthConfig = NonNullable<z.output<typeof authSchema>>;
export type AccessRuleConfig = NonNullable<AuthConfig['access']>[number];

function isAction(v: string): v is AuthAction {
  return (AUTH_ACTIONS as readonly string[]).includes(v);
}
