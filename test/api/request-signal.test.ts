/**
 * The upload-body watch (http/request-signal.ts) must not disturb a body that is already
 * buffered when the handler starts: attaching a 'data' listener to the socket at that point
 * (as it once did) took the socket away from the HTTP parser and left the upload hanging.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { abortSignal } from '../../lib/http/request-signal.js';
import { testConfig } from '../support/config.js';
import { startTestServer, type TestServer } from '../support/server.js';

describe('the upload-body watch (abortSignal with an idle timeout)', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer(testConfig(), {
      extend: (app) =>
        app.use(async (ctx) => {
          if (ctx.path !== '/late-reader') return;
          // Let the body arrive and fill the request's buffer before anyone reads it.
          await sleep(200);
          const signal = abortSignal(ctx.req, 5);
          const hash = createHash('sha256');
          for await (const chunk of ctx.req) {
            if (signal.aborted) break;
            hash.update(chunk as Buffer);
          }
          ctx.body = hash.digest('hex');
        }),
    });
  });
  after(() => srv.stop());

  it('a handler that starts after the body has been buffered still reads all of it', async () => {
    const body = randomBytes(4 * 1024 * 1024);
    const res = await fetch(`${srv.url}/late-reader`, { method: 'POST', body, signal: AbortSignal.timeout(10_000) });
    assert.equal(await res.text(), createHash('sha256').update(body).digest('hex'));
  });
});
