/**
 * The `docker-registry` console script of docker-registry 0.8+ built its gunicorn command line
 * from environment variables (docker/docker-registry `docker_registry/run.py`, the variables typed
 * by `docker_registry/server/env.py`); this builds the same command line, for the wsgi-compat
 * launcher to parse like any other.
 */
import { parseYaml } from './yaml.js';

export function dockerRegistryArgv(env: Readonly<Record<string, string | undefined>>): string[] {
  const get = (name: string, fallback: string) => env[name] || fallback;
  const extra = env.GUNICORN_OPTS ? parseYaml(env.GUNICORN_OPTS) : [];
  if (!Array.isArray(extra)) throw new Error(`GUNICORN_OPTS must be a YAML list, got ${JSON.stringify(env.GUNICORN_OPTS)}`);
  return [
    '--access-logfile',
    get('GUNICORN_ACCESS_LOG_FILE', '-'),
    '--error-logfile',
    get('GUNICORN_ERROR_LOG_FILE', '-'),
    '--max-requests',
    '100',
    '-k',
    'gevent',
    '--graceful-timeout',
    get('GUNICORN_GRACEFUL_TIMEOUT', '3600'),
    '-t',
    get('GUNICORN_SILENT_TIMEOUT', '3600'),
    '-w',
    get('GUNICORN_WORKERS', '4'),
    '-b',
    `${get('REGISTRY_HOST', '0.0.0.0')}:${get('REGISTRY_PORT', '5000')}`,
    ...(env.GUNICORN_USER ? ['-u', env.GUNICORN_USER] : []),
    ...(env.GUNICORN_GROUP ? ['-g', env.GUNICORN_GROUP] : []),
    ...extra.map(String),
    'docker_registry.wsgi:application',
  ];
}
