/**
 * Storage that fails while a request body streams into it (a disk error, an S3 connection
 * reset) is the server's failure, not the client's: a 500 in the API's envelope, logged as an
 * unexpected error (and so mailed), and the server lives on. The pipeline that fails destroys
 * the request it reads from; that used to pass for a client that went away (a 499 nobody
 * hears of), and the access log then threw in the response's close event, ending `node dist`.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import type { StorageDriver } from '../../lib/storage/driver.js';
import { createStorage } from '../../lib/storage/factory.js';
import { testConfig } from '../support/config.js';
import { capturingLogger, LEVEL } from '../support/log-capture.js';
import { rawExchange } from '../support/raw-exchange.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { sha256 } from '../support/v2-client.js';

/** Local storage whose writers for `pattern` keys fail on their first chunk. */
function failingWrites(storage: StorageDriver, pattern: RegExp): StorageDriver {
  return new Proxy(storage, {
    get(target, key) {
      if (key === 'writer' || key === 'appender') {
        return async (p: string, ...rest: unknown[]) => {
          const real = await (target[key] as (...a: unknown[]) => ReturnType<StorageDriver['writer']>).call(target, p, ...rest);
          if (!pattern.test(p)) return real;
          const stream = new Writable({ write: (_chunk, _enc, cb) => cb(Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO' })) });
          return { stream, size: () => 0, commit: () => real.commit(), cancel: () => real.cancel() };
        };
      }
      const value = Reflect.get(target, key, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

describe('a storage failure while the request body streams in', function () {
  this.timeout(30_000);
  let srv: TestServer;
  const capture = capturingLogger();
  before(async () => {
    const config = testConfig();
    srv = await startTestServer(config, { log: capture.log, deps: { storage: failingWrites(createStorage(config), /blobs\/|_uploads\/|\/layer$/) } });
  });
  after(() => srv?.stop());

  const body = Buffer.alloc(300_000, 'x');
  const request = (method: string, p: string, headers: Record<string, string>) =>
    Buffer.concat([
      Buffer.from(
        `${method} ${p} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: ${body.length}\r\nConnection: close\r\n${Object.entries(headers)
          .map(([k, v]) => `${k}: ${v}\r\n`)
          .join('')}\r\n`,
      ),
      body,
    ]);

  it('V2 monolithic blob upload: 500 UNKNOWN, logged as unexpected, the server alive', async () => {
    const ex = await rawExchange(
      Number(new URL(srv.url).port),
      request('POST', `/v2/ns/app/blobs/uploads/?digest=${sha256(body)}`, { 'User-Agent': 'containerd/v2.1.1', 'Content-Type': 'application/octet-stream' }),
    );
    assert.deepEqual(
      ex.responses.map((r) => r.status),
      [500],
    );
    assert.equal((JSON.parse(ex.responses[0]?.body.toString() ?? '{}') as { errors: Array<{ code: string }> }).errors[0]?.code, 'UNKNOWN');
    await new Promise((r) => setTimeout(r, 100)); // the access line is written in the response's close event
    assert.equal((await fetch(`${srv.url}/_ping`)).status, 200);
    assert.ok(
      capture.lines.some((l) => l.level === LEVEL.error && l.msg === 'unexpected error'),
      'logged as an unexpected error',
    );
    assert.ok(!capture.lines.some((l) => l.msg === 'client went away'), 'not taken for a client that left');
  });

  it('V1 layer upload: 500 in the V1 envelope, the server alive', async () => {
    const id = 'e'.repeat(64);
    const put = await fetch(`${srv.url}/v1/images/${id}/json`, {
      method: 'PUT',
      body: JSON.stringify({ id }),
      headers: { 'User-Agent': 'docker/1.3.0 go/go1.3.3' },
    });
    assert.equal(put.status, 200);
    const ex = await rawExchange(Number(new URL(srv.url).port), request('PUT', `/v1/images/${id}/layer`, { 'User-Agent': 'docker/1.3.0 go/go1.3.3' }));
    assert.deepEqual(
      ex.responses.map((r) => r.status),
      [500],
    );
    assert.deepEqual(JSON.parse(ex.responses[0]?.body.toString() ?? '{}'), { error: 'Internal server error' });
    await new Promise((r) => setTimeout(r, 100));
    assert.equal((await fetch(`${srv.url}/_ping`)).status, 200);
  });
});
