import assert from 'node:assert/strict';
import os from 'node:os';
import { parseBind } from '../../lib/config/process-settings.js';
import { loadYaml } from '../support/config.js';

const yaml = (lines: string) => `t:\n  storage_path: /tmp/x\n${lines}`;

describe('config: workers, recycling, the gunicorn access log, listen addresses', () => {
  it('defaults: one worker, never recycled, the JSON access log, REGISTRY_HOST:REGISTRY_PORT', () => {
    const { config } = loadYaml(yaml(''), 't', { REGISTRY_HOST: '127.0.0.1', REGISTRY_PORT: '5050' });
    assert.deepEqual(
      [config.workers, config.max_requests, config.max_requests_jitter, config.access_log_format, config.binds],
      [1, 0, 0, null, [{ host: '127.0.0.1', port: 5050 }]],
    );
    assert.equal(config.supervised, false, 'one process, no supervisor, as before');
  });

  it('any workers value (1 included) or max_requests runs the supervisor', () => {
    assert.equal(loadYaml(yaml('  workers: 1\n'), 't').config.supervised, true);
    assert.equal(loadYaml(yaml(''), 't', { BERTH_WORKERS: '1' }).config.supervised, true);
    assert.equal(loadYaml(yaml('  max_requests: 1000\n'), 't').config.supervised, true);
  });

  it('workers: N or auto (one per core); BERTH_WORKERS wins over the file', () => {
    assert.equal(loadYaml(yaml('  workers: 3\n'), 't').config.workers, 3);
    assert.equal(loadYaml(yaml('  workers: auto\n'), 't').config.workers, os.availableParallelism());
    assert.equal(loadYaml(yaml('  workers: 3\n'), 't', { BERTH_WORKERS: '2' }).config.workers, 2);
    assert.equal(loadYaml(yaml(''), 't', { BERTH_WORKERS: 'auto' }).config.workers, os.availableParallelism());
  });

  it('a bad value names the key, the flavor and the variable', () => {
    const bad =
      (lines: string, env: Record<string, string> = {}) =>
      () =>
        loadYaml(yaml(lines), 't', env);
    assert.throws(bad('  workers: many\n'), /t\.workers: expected a number of worker processes \(1 to 512\) or auto, got "many"/);
    assert.throws(bad('', { BERTH_WORKERS: '0' }), /t\.workers: .*got "0" \(set by env BERTH_WORKERS\)/);
    assert.throws(bad('', { BERTH_MAX_REQUESTS: '-1' }), /t\.max_requests: .*\(set by env BERTH_MAX_REQUESTS\)/);
    assert.throws(
      bad('', { BERTH_BIND: '127.0.0.1:5000 unix:rel.sock' }),
      /t\.listen: unix:rel\.sock: a unix socket needs an absolute path.*\(set by env BERTH_BIND\)/,
    );
  });

  it('the launchers environment: max requests, the access log, several addresses, -t as the upload idle timeout', () => {
    const { config } = loadYaml(yaml(''), 't', {
      BERTH_MAX_REQUESTS: '100',
      BERTH_MAX_REQUESTS_JITTER: '10',
      BERTH_ACCESS_LOG_FORMAT: '%(h)s %(r)s',
      BERTH_ACCESS_LOG_FILE: '/var/log/a.log',
      BERTH_BIND: '127.0.0.1:5000 [::1]:5001 unix:/run/b.sock',
      GUNICORN_SILENT_TIMEOUT: '3600',
    });
    assert.deepEqual(
      [config.max_requests, config.max_requests_jitter, config.access_log_format, config.access_log_file, config.upload_idle_timeout],
      [100, 10, '%(h)s %(r)s', '/var/log/a.log', 3600],
    );
    assert.deepEqual(config.binds, [{ host: '127.0.0.1', port: 5000 }, { host: '::1', port: 5001 }, { path: '/run/b.sock' }]);
    // The file's upload_idle_timeout is the operator's word: GUNICORN_SILENT_TIMEOUT only fills in.
    assert.equal(loadYaml(yaml('  upload_idle_timeout: 60\n'), 't', { GUNICORN_SILENT_TIMEOUT: '3600' }).config.upload_idle_timeout, 60);
  });

  it('parseBind: gunicorn forms', () => {
    assert.deepEqual(parseBind(':5004'), { host: '0.0.0.0', port: 5004 });
    assert.deepEqual(parseBind('example.com'), { host: 'example.com', port: 8000 });
    assert.match(parseBind('h:99999') as string, /port out of range/);
    assert.match(parseBind('a:b:c') as string, /expected HOST:PORT or unix:PATH/);
  });
});
