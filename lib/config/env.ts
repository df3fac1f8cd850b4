/**
 * `_env:NAME` / `_env:NAME:DEFAULT` interpolation as docker-registry 0.8+ did it: only string
 * values that are direct members of a mapping are interpolated (list items are left alone),
 * the default may itself contain `:`, and the env value (or the default, or "" when there is
 * neither) is parsed as a YAML 1.1 document, so `_env:PORT:25` is the number 25 and an empty
 * variable is null.
 */
import type { ConfigIssue } from './errors.js';
import { parseYaml } from './yaml.js';

export type Env = Readonly<Record<string, string | undefined>>;

export interface Interpolated {
  value: unknown;
  /** dotted key → name of the environment variable that supplied its value */
  envSources: Map<string, string>;
  issues: ConfigIssue[];
}

const PREFIX = '_env:';

export interface EnvRef {
  name: string;
  default: string | undefined;
}

/** Parse `_env:NAME[:DEFAULT]`; null when the string is not an env reference. */
export function parseEnvRef(raw: string): EnvRef | null {
  if (!raw.startsWith(PREFIX)) return null;
  const rest = raw.slice(PREFIX.length);
  const colon = rest.indexOf(':');
  if (colon < 0) return { name: rest, default: undefined };
  return { name: rest.slice(0, colon), default: rest.slice(colon + 1) };
}

/** The typed value an env reference resolves to in `env`. Throws on YAML that does not parse. */
export function resolveEnvRef(ref: EnvRef, env: Env): unknown {
  const fromEnv = env[ref.name];
  const text = fromEnv !== undefined ? fromEnv : (ref.default ?? '');
  return parseYaml(text);
}

export function interpolate(tree: unknown, env: Env): Interpolated {
  const envSources = new Map<string, string>();
  const issues: ConfigIssue[] = [];

  const walk = (node: unknown, path: string[]): unknown => {
    if (!isPlainObject(node)) return node; // lists and scalars are not interpolated
    const out: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(node)) {
      const childPath = [...path, key];
      const ref = typeof child === 'string' ? parseEnvRef(child) : null;
      if (!ref) {
        out[key] = walk(child, childPath);
        continue;
      }
      const dotted = childPath.join('.');
      envSources.set(dotted, ref.name);
      try {
        out[key] = resolveEnvRef(ref, env);
      } catch (err) {
        issues.push({ key: dotted, envVar: ref.name, message: `not valid YAML: ${(err as Error).message.split('\n')[0]}` });
        out[key] = null;
      }
    }
    return out;
  };

  return { value: walk(tree, []), envSources, issues };
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}
