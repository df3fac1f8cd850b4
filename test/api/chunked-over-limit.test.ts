/**
 * A body over a small-body route's limit sent chunked (no Content-Length to refuse up front):
 * the limit is found while reading, and the answer is the route's 413 in its API's envelope,
 * on a connection the server then closes. Stopping the read destroys the request stream; that
 * used to pass for a client that went away (a 499), and the access log then threw in the
 * response's close event, which ends `node dist`.
 */
import assert from 'node:assert/strict';
import { testConfig } from '../support/config.js';
import { rawExchange } from '../support/raw-exchange.js';
import { startTestServer, type TestServer } from '../support/server.js';

function chunkedRequest(method: string, p: string, contentType: string, size: number): Buffer {
  const head = `${method} ${p} HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: containerd/v2.1.1\r\nContent-Type: ${contentType}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n`;
  const parts: Buffer[] = [Buffer.from(head)];
  for (let sent = 0; sent < size; sent += 16384) {
    const n = Math.min(16384, size - sent);
    parts.push(Buffer.from(`${n.toString(16)}\r\n`), Buffer.alloc(n, 'a'), Buffer.from('\r\n'));
  }
  parts.push(Buffer.from('0\r\n\r\n'));
  return Buffer.concat(parts);
}

describe('a chunked body over the route’s limit', function () {
  this.timeout(30_000);
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer(testConfig());
  });
  after(() => srv?.stop());

  const cases: Array<[label: string, method: string, path: string, type: string, size: number, status: number, body: (text: string) => void]> = [
    [
      'V1 properties (64 KiB)',
      'PUT',
      '/v1/repositories/ns/repo/properties',
      'application/json',
      100_000,
      413,
      (text) => assert.deepEqual(JSON.parse(text), { error: 'Request body over 65536 bytes' }),
    ],
    [
      'V1 user (64 KiB)',
      'POST',
      '/v1/users/',
      'application/json',
      100_000,
      413,
      (text) => assert.deepEqual(JSON.parse(text), { error: 'Request body over 65536 bytes' }),
    ],
    [
      'V2 manifest (4 MiB)',
      'PUT',
      '/v2/ns/repo/manifests/latest',
      'application/vnd.oci.image.manifest.v1+json',
      4 * 1024 * 1024 + 100_000,
      413,
      (text) => assert.equal((JSON.parse(text) as { errors: Array<{ code: string }> }).errors[0]?.code, 'SIZE_INVALID'),
    ],
  ];
  for (const [label, method, p, type, size, status, checkBody] of cases) {
    it(`${label}: ${status} in the API’s envelope, the connection closed, the server alive`, async () => {
      const ex = await rawExchange(Number(new URL(srv.url).port), chunkedRequest(method, p, type, size), { methods: [method] });
      assert.equal(ex.end, 'closed');
      assert.equal(ex.responses.length, 1, `one answer (got ${ex.responses.map((r) => r.status).join(', ')})`);
      const [res] = ex.responses;
      assert.equal(res?.status, status);
      assert.equal(res?.headers.connection, 'close');
      checkBody(res?.body.toString('utf8') ?? '');
      // The access line is written in the response's close event: give it its turn.
      await new Promise((r) => setTimeout(r, 100));
      assert.equal((await fetch(`${srv.url}/_ping`)).status, 200);
    });
  }
});
