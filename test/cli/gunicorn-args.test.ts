import assert from 'node:assert/strict';
import path from 'node:path';
import { parseGunicornArgs, UsageError } from '../../lib/cli/gunicorn-args.js';
import { dockerRegistryArgv } from '../../lib/config/launcher-env.js';
import { INSTALL_DIR } from '../../lib/version.js';

describe('wsgi-compat: gunicorn command lines', () => {
  it('the documented command line (ADVANCED.md) maps onto Berth', () => {
    const plan = parseGunicornArgs(
      '--access-logfile - --error-logfile - -k gevent -b 0.0.0.0:5000 -w 4 --max-requests 100 docker_registry.wsgi:application'.split(' '),
    );
    assert.equal(plan.host, '0.0.0.0');
    assert.equal(plan.port, 5000);
    assert.equal(plan.workers, 4);
    assert.equal(plan.accessLog, null);
    assert.equal(plan.errorLog, null);
    assert.deepEqual(plan.env, { BERTH_BIND: '0.0.0.0:5000', BERTH_MAX_REQUESTS: '100', BERTH_WORKERS: '4' });
    assert.deepEqual(plan.notes, ['-k gevent: ignored; every Berth worker serves many requests at once (as gevent did)']);
  });

  it("the 0.6 README's production line: graceful timeout becomes the drain timeout", () => {
    const plan = parseGunicornArgs('-k gevent --max-requests 100 --graceful-timeout 3600 -t 3600 -b localhost:5000 -w 8 wsgi:application'.split(' '));
    assert.equal(plan.host, 'localhost');
    assert.equal(plan.workers, 8);
    assert.equal(plan.env.GUNICORN_GRACEFUL_TIMEOUT, '3600');
    assert.equal(plan.env.GUNICORN_SILENT_TIMEOUT, '3600'); // the idle timeout of an upload making no progress
  });

  it('-b is repeatable and takes unix:PATH; --max-requests(-jitter), -p, -u, -g, --reload and the access log format', () => {
    const format = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(D)s %({X-Docker-Size}o)s';
    const plan = parseGunicornArgs([
      '-b',
      '127.0.0.1:5001',
      '--bind=unix:/run/berth.sock',
      '--max-requests',
      '50',
      '--max-requests-jitter=10',
      '-p',
      '/run/berth.pid',
      '-u',
      'registry',
      '-g',
      'registry',
      '--reload',
      '--access-logfile',
      '/var/log/access.log',
      '--error-logfile',
      '/var/log/error.log',
      '--access-logformat',
      format,
    ]);
    assert.deepEqual(plan.binds, ['127.0.0.1:5001', 'unix:/run/berth.sock']);
    assert.equal(plan.env.BERTH_BIND, '127.0.0.1:5001 unix:/run/berth.sock');
    assert.deepEqual([plan.env.BERTH_MAX_REQUESTS, plan.env.BERTH_MAX_REQUESTS_JITTER], ['50', '10']);
    assert.deepEqual([plan.pidFile, plan.user, plan.group, plan.reload], ['/run/berth.pid', 'registry', 'registry', true]);
    // The gunicorn lines go to the access file (written by the workers); the JSON log joins the error log.
    assert.deepEqual([plan.env.BERTH_ACCESS_LOG_FORMAT, plan.env.BERTH_ACCESS_LOG_FILE, plan.accessLog], [format, '/var/log/access.log', '/var/log/error.log']);
    assert.deepEqual(plan.notes, ['no application named; serving the registry (docker_registry.wsgi:application)']);
  });

  it("-c reads docker-registry's contrib/gunicorn_config.py and says which lines it ignored; the command line wins", () => {
    const file = path.join(INSTALL_DIR, 'test/fixtures/gunicorn/gunicorn_config.py');
    const dev = parseGunicornArgs(['-c', file, 'docker_registry.wsgi:application'], { env: { REGISTRY_PORT: '5050', GUNICORN_WORKERS: '3' } });
    assert.deepEqual(dev.binds, ['0.0.0.0:5050']);
    assert.deepEqual([dev.workers, dev.reload, dev.env.BERTH_MAX_REQUESTS, dev.env.LOGLEVEL], [3, true, '100', 'debug']);
    assert.deepEqual([dev.env.GUNICORN_GRACEFUL_TIMEOUT, dev.env.GUNICORN_SILENT_TIMEOUT], ['3600', '3600']);
    assert.equal(dev.env.BERTH_ACCESS_LOG_FORMAT, '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(D)s %({X-Docker-Size}o)s');
    assert.deepEqual(dev.notes, [
      `${file}:18: debug: ignored (no Berth equivalent)`,
      '--worker-class gevent: ignored; every Berth worker serves many requests at once (as gevent did)',
    ]);

    const prod = parseGunicornArgs(['-c', file, '-b', '127.0.0.1:6000', '-w', '2'], { env: { SETTINGS_FLAVOR: 'prod' } });
    assert.deepEqual([prod.binds, prod.workers, prod.reload, prod.env.LOGLEVEL], [['127.0.0.1:6000'], 2, false, 'info']);

    const odd = parseGunicornArgs(['-c', 'odd.py'], {
      readFile: () => "import os\nworkers = 2\nprint('hello')\nbind = ['127.0.0.1:7001', 'unix:/tmp/b.sock']\nsecure_scheme_headers = {'X': 'y'}\n",
    });
    assert.deepEqual([odd.workers, odd.binds], [2, ['127.0.0.1:7001', 'unix:/tmp/b.sock']]);
    assert.match(odd.notes.join('\n'), /odd\.py:3: print\('hello'\): ignored \(only name = value assignments are read\)/);
    assert.match(odd.notes.join('\n'), /odd\.py:5: secure_scheme_headers: ignored \(cannot read/);
    assert.throws(() => parseGunicornArgs(['-c', '/nonexistent.py']), /-c \/nonexistent\.py: cannot read it/);
  });

  it('accepts --flag=value, glued short flags, log files and log levels', () => {
    const plan = parseGunicornArgs(['--bind=127.0.0.1:5001', '-w2', '--access-logfile', '/var/log/a.log', '--log-level=WARNING']);
    assert.deepEqual([plan.host, plan.port, plan.workers, plan.accessLog, plan.env.LOGLEVEL], ['127.0.0.1', 5001, 2, '/var/log/a.log', 'warning']);
  });

  it('binds to [::1]:port and to :port', () => {
    assert.deepEqual(pick(parseGunicornArgs(['-b', '[::1]:5003'])), ['::1', 5003]);
    assert.deepEqual(pick(parseGunicornArgs(['-b', ':5004'])), ['0.0.0.0', 5004]);
  });

  it('refuses what cannot work, saying what to do instead', () => {
    assert.throws(
      () => parseGunicornArgs(['--daemon']),
      (e: Error) => e instanceof UsageError && /systemd/.test(e.message),
    );
    assert.throws(() => parseGunicornArgs(['-b', 'unix:relative.sock']), /a unix socket needs an absolute path/);
    assert.throws(() => parseGunicornArgs(['--max-requests', 'many']), /expected a whole number of 0 or more/);
    assert.throws(() => parseGunicornArgs(['-w', '0']), /expected a whole number of 1 or more/);
    assert.throws(() => parseGunicornArgs(['-b']), /-b needs a value/);
    assert.throws(() => parseGunicornArgs(['--log-level', 'loud']), /use debug, info/);
  });

  it('explains flags it ignores, unknown ones included', () => {
    const plan = parseGunicornArgs(['--preload', '--frobnicate', '--keep-alive', '5', 'docker_registry.wsgi:application']);
    assert.deepEqual(plan.notes, ['--preload: ignored', '--frobnicate: unknown gunicorn flag, ignored', '--keep-alive 5: ignored (no Berth equivalent)']);
  });
});

describe('wsgi-compat: the docker-registry console script', () => {
  it('builds the command line from the GUNICORN_* environment, with the old defaults', () => {
    const plan = parseGunicornArgs(dockerRegistryArgv({}));
    assert.deepEqual([plan.host, plan.port, plan.workers, plan.env.GUNICORN_GRACEFUL_TIMEOUT], ['0.0.0.0', 5000, 4, '3600']);
  });

  it('honours REGISTRY_*, GUNICORN_WORKERS and GUNICORN_OPTS', () => {
    const plan = parseGunicornArgs(
      dockerRegistryArgv({ REGISTRY_HOST: '127.0.0.1', REGISTRY_PORT: '5100', GUNICORN_WORKERS: '2', GUNICORN_OPTS: '[--log-level, debug]' }),
    );
    assert.deepEqual([plan.host, plan.port, plan.workers, plan.env.LOGLEVEL], ['127.0.0.1', 5100, 2, 'debug']);
    assert.throws(() => dockerRegistryArgv({ GUNICORN_OPTS: 'not-a-list' }), /GUNICORN_OPTS must be a YAML list/);
  });
});

function pick(plan: { host: string; port: number }) {
  return [plan.host, plan.port];
}
