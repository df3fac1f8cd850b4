import assert from 'node:assert/strict';
import type Koa from 'koa';
import type { RequestState } from '../../lib/http/state.js';
import { testConfig } from '../support/config.js';
import { startTestServer } from '../support/server.js';

function slowRoutes(release: Promise<void>, arrived: () => void = () => {}) {
  return (app: Koa<RequestState>) =>
    app.use(async (ctx, next) => {
      if (ctx.path === '/v1/slow') {
        arrived();
        await release;
        ctx.body = 'finished';
        return;
      }
      if (ctx.path === '/v1/hang') return new Promise<void>(() => {});
      await next();
    });
}

describe('graceful shutdown', () => {
  it('lets an in-flight request finish, refuses new connections, then stops', async () => {
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let arrived!: () => void;
    const reached = new Promise<void>((r) => (arrived = r));
    const srv = await startTestServer(testConfig('  drain_timeout: 30\n'), { extend: slowRoutes(released, arrived) });
    const inFlight = fetch(`${srv.url}/v1/slow`);
    await reached; // the request is in the handler
    const stopped = srv.stop();
    assert.equal(srv.deps.lifecycle.draining, true);
    await assert.rejects(fetch(`${srv.url}/v1/_ping`), 'a new connection is refused while draining');
    release();
    const res = await inFlight;
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'finished');
    await stopped;
  });

  it('cuts what is still running when drain_timeout is over', async () => {
    const srv = await startTestServer(testConfig('  drain_timeout: 0.3\n'), { extend: slowRoutes(new Promise(() => {})) });
    const hung = fetch(`${srv.url}/v1/hang`).then(
      () => 'answered',
      () => 'cut',
    );
    await new Promise((r) => setTimeout(r, 100));
    await srv.stop();
    assert.equal(await hung, 'cut');
  });

  it('answers 503 with Connection: close to a request that arrives while draining', async () => {
    const srv = await startTestServer(testConfig(''));
    srv.deps.lifecycle.draining = true; // as after SIGTERM, before the listener is closed
    const res = await fetch(`${srv.url}/v1/_ping`);
    assert.equal(res.status, 503);
    assert.equal(res.headers.get('connection'), 'close');
    assert.deepEqual(await res.json(), { error: 'Server is shutting down' });
    const ready = await fetch(`${srv.url}/readyz`);
    assert.equal(ready.status, 503);
    srv.deps.lifecycle.draining = false;
    await srv.stop();
  });
});
