/**
 * The one place that turns files and environment variables into a `Config`: locate the file,
 * parse it with PyYAML typing, pick the flavor, resolve `_env:` values, validate every option
 * at once, and freeze the result. Nothing else in Berth reads `process.env`.
 */
import { readFileSync } from 'node:fs';
import { type Env, interpolate, isPlainObject } from './env.js';
import { ConfigError, type ConfigIssue, keyOf, withEnv } from './errors.js';
import { selectFlavor } from './flavor.js';
import { type ConfigSource, locateConfig } from './locate.js';
import { applyProcessEnv, type Bind, readBinds } from './process-settings.js';
import { configSchema, type FileConfig, LEGACY_DRIVER_KEYS } from './schema.js';
import { isSecret, schemaAt } from './schema-tree.js';
import { unknownKeyWarnings } from './unknown-keys.js';
import { parseYaml } from './yaml.js';

export interface Config extends FileConfig {
  readonly flavor: string;
  readonly source: ConfigSource;
  /** REGISTRY_HOST / REGISTRY_PORT, as the old `docker-registry` launcher read them */
  readonly listen: { readonly host: string; readonly port: number };
  /** every address to listen on: BERTH_BIND (the launcher's `-b`s), else `listen` */
  readonly binds: readonly Bind[];
  /** run as a supervisor of workers (cluster/): `workers` was set (even to 1: SIGHUP then reloads), or max_requests */
  readonly supervised: boolean;
  /** dotted key → the environment variable that supplied its value (`_env:`, OS_*, GUNICORN_GRACEFUL_TIMEOUT), for error messages */
  readonly envVars: Readonly<Record<string, string>>;
}

export interface LoadedConfig {
  config: Readonly<Config>;
  warnings: string[];
}

export interface LoadOptions {
  env: Env;
  cwd: string;
  /** the install root: where `config_sample.yml` and `config/` live */
  installDir: string;
}

export function loadConfig({ env, cwd, installDir }: LoadOptions): LoadedConfig {
  const flavor = env.SETTINGS_FLAVOR ?? 'dev';
  const source = locateConfig(env.DOCKER_REGISTRY_CONFIG || undefined, cwd, installDir);
  const file = parseFile(source.path, flavor);
  const chosen = selectFlavor(file, flavor, source.path);
  const { value, envSources, issues } = interpolate(chosen, env);
  const raw = value as Record<string, unknown>;

  const gracefulFromEnv = env.GUNICORN_GRACEFUL_TIMEOUT;
  if (raw.drain_timeout == null && gracefulFromEnv) {
    raw.drain_timeout = gracefulFromEnv;
    envSources.set('drain_timeout', 'GUNICORN_GRACEFUL_TIMEOUT');
  }

  // The Glance driver's settings came from the environment in docker-registry.
  for (const [key, envVar] of OPENSTACK_ENV) {
    const value = env[envVar];
    if (raw[key] == null && value) {
      raw[key] = value;
      envSources.set(key, envVar);
    }
  }

  applyProcessEnv(raw, env, envSources);
  const envVars = Object.fromEntries(envSources);
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    for (const zi of parsed.error.issues) {
      const key = keyOf(zi.path);
      issues.push(withEnv({ key, message: describe(zi.message, raw, zi.path) }, envVars));
    }
  }
  const listen = readListen(env, issues);
  const binds = readBinds(env, listen, issues);
  // Found before the errors are raised: a misspelt key is often the cause of an error.
  const warnings = unknownKeyWarnings(raw, configSchema.shape, LEGACY_DRIVER_KEYS).map((w) => `${flavor || '(whole file)'}.${w}`);
  if (issues.length > 0 || !parsed.success) throw new ConfigError(issues, flavor, source.path, warnings);

  const supervised = raw.workers != null || parsed.data.max_requests > 0;
  const config: Config = { ...parsed.data, flavor, source, listen, binds, supervised, envVars };
  return { config: deepFreeze(config), warnings };
}

const OPENSTACK_ENV = [
  ['glance_url', 'OS_GLANCE_URL'],
  ['os_auth_url', 'OS_AUTH_URL'],
  ['os_username', 'OS_USERNAME'],
  ['os_password', 'OS_PASSWORD'],
  ['os_tenant_name', 'OS_TENANT_NAME'],
  ['os_region_name', 'OS_REGION_NAME'],
  ['os_user_domain_name', 'OS_USER_DOMAIN_NAME'],
  ['os_project_domain_name', 'OS_PROJECT_DOMAIN_NAME'],
] as const;

function parseFile(path: string, flavor: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError([{ key: '', message: `cannot read ${path}: ${(err as Error).message}` }], flavor, path);
  }
  try {
    return parseYaml(text, path);
  } catch (err) {
    throw new ConfigError([{ key: '', message: `not valid YAML: ${(err as Error).message}` }], flavor, path);
  }
}

function readListen(env: Env, issues: ConfigIssue[]): Config['listen'] {
  const host = env.REGISTRY_HOST || '0.0.0.0';
  let port = 5000;
  if (env.REGISTRY_PORT) {
    const typed = safeYaml(env.REGISTRY_PORT);
    if (typeof typed === 'number' && Number.isInteger(typed) && typed >= 0 && typed <= 65535) port = typed;
    else issues.push({ key: 'listen.port', envVar: 'REGISTRY_PORT', message: `expected a port number (0-65535), got ${JSON.stringify(env.REGISTRY_PORT)}` });
  }
  return { host, port };
}

function safeYaml(text: string): unknown {
  try {
    return parseYaml(text);
  } catch {
    return undefined;
  }
}

/** The message with the value that was given, unless that value is a secret. */
function describe(message: string, raw: Record<string, unknown>, path: readonly PropertyKey[]): string {
  const schema = schemaAt(configSchema.shape, path);
  if (schema && isSecret(schema)) return message.replace(/, got .*$/, '');
  if (message.includes(' got ')) return message;
  let node: unknown = raw;
  for (const p of path) node = isPlainObject(node) ? node[String(p)] : Array.isArray(node) ? node[Number(p)] : undefined;
  return node === undefined ? message : `${message}, got ${JSON.stringify(node)}`;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
