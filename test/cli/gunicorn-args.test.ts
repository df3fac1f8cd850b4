import assert from 'node:assert/strict';
import { parseGunicornArgs, UsageError } from '../../lib/cli/gunicorn-args.js';
import { dockerRegistryArgv } from '../../lib/config/launcher-env.js';

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
    assert.deepEqual(plan.env, {});
    assert.equal(plan.notes.length, 2); // -k and --max-requests are explained, not silently dropped
    assert.match(plan.notes.join('\n'), /-k gevent: ignored/);
    assert.match(plan.notes.join('\n'), /--max-requests 100: ignored; workers are not recycled/);
  });

  it("the 0.6 README's production line: graceful timeout becomes the drain timeout", () => {
    const plan = parseGunicornArgs('-k gevent --max-requests 100 --graceful-timeout 3600 -t 3600 -b localhost:5000 -w 8 wsgi:application'.split(' '));
    assert.equal(plan.host, 'localhost');
    assert.equal(plan.workers, 8);
    assert.equal(plan.env.GUNICORN_GRACEFUL_TIMEOUT, '3600');
    assert.match(plan.notes.join('\n'), /-t 3600: ignored; Berth never cuts a request/);
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
    assert.throws(() => parseGunicornArgs(['-b', 'unix:/tmp/s.sock']), /unix sockets are not supported/);
    assert.throws(() => parseGunicornArgs(['-w', '0']), /expected a whole number of 1 or more/);
    assert.throws(() => parseGunicornArgs(['-b']), /-b needs a value/);
    assert.throws(() => parseGunicornArgs(['--log-level', 'loud']), /use debug, info/);
  });

  it('explains flags it ignores, unknown ones included', () => {
    const plan = parseGunicornArgs(['--reload', '--frobnicate', '-c', 'contrib/gunicorn_config.py', 'docker_registry.wsgi:application']);
    assert.deepEqual(plan.notes, [
      '--reload: ignored',
      '--frobnicate: unknown gunicorn flag, ignored',
      '-c contrib/gunicorn_config.py: ignored (no Berth equivalent)',
    ]);
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
