import assert from 'node:assert/strict';
import type Koa from 'koa';
import { V2 } from '../../lib/errors/catalog.js';
import { RegistryError } from '../../lib/errors/registry-error.js';
import type { RequestState } from '../../lib/http/state.js';
import { createMetrics } from '../../lib/metrics/registry.js';
import { ExceptionMailer } from '../../lib/notify/exception-mailer.js';
import { testConfig } from '../support/config.js';
import { capturingLogger } from '../support/log-capture.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { makeTls, type SmtpSink, startBlackHole, startSmtpSink } from '../support/smtp.js';

/** Routes that fail on purpose, behind Berth's real error handling. */
/** Six error classes, Failure0…Failure5: six different failures. */
const kinds = Array.from(
  { length: 6 },
  (_, i) =>
    ({
      [`Failure${i}`]: class extends Error {
        override name = `Failure${i}`;
      },
    })[`Failure${i}`] as typeof Error,
);

function failingRoutes(app: Koa<RequestState>) {
  app.use(async (ctx, next) => {
    if (ctx.path === '/v1/boom') throw new Error('kaboom');
    // One failure whose message names the request, as a storage error names its path.
    if (ctx.path.startsWith('/v1/broken/')) throw new Error(`could not read ${ctx.path.slice('/v1/broken/'.length)}`);
    const kind = /^\/v1\/kind\/(\d)$/.exec(ctx.path)?.[1];
    if (kind) throw new (kinds[Number(kind)] as typeof Error)('one of six failures');
    if (ctx.path === '/v1/other-boom') throw new TypeError('a different failure');
    if (ctx.path === '/v2/known') throw new RegistryError(V2.NAME_UNKNOWN);
    await next();
  });
}

function emailYaml(lines: Record<string, string | number | boolean>): string {
  return `  email_exceptions:\n${Object.entries(lines)
    .map(([k, v]) => `    ${k}: ${v}\n`)
    .join('')}`;
}

describe('exception mails through a real SMTP listener', function () {
  this.timeout(30_000);
  const tls = makeTls();
  let sink: SmtpSink;
  let srv: TestServer;

  afterEach(async () => {
    await srv?.stop();
    await sink?.close();
  });

  it('an unexpected 500 sends one mail with the old fields, the stack and the request id', async () => {
    sink = await startSmtpSink();
    srv = await startTestServer(
      testConfig(emailYaml({ smtp_host: '127.0.0.1', smtp_port: sink.port, from_addr: 'registry@example.test', to_addr: 'ops@example.test' })),
      { extend: failingRoutes },
    );
    const res = await fetch(`${srv.url}/v1/boom`);
    assert.equal(res.status, 500);
    assert.deepEqual(await res.json(), { error: 'Internal server error' });
    const reqId = res.headers.get('x-request-id') ?? '';

    const [mail] = await sink.waitFor(1);
    assert.ok(mail);
    assert.equal(mail.subject, 'Docker registry exception');
    assert.equal(mail.from, 'registry@example.test');
    assert.equal(mail.to, 'ops@example.test');
    assert.equal(mail.envelopeFrom, 'registry@example.test');
    assert.deepEqual(mail.envelopeTo, ['ops@example.test']);
    assert.ok(mail.date instanceof Date);
    assert.match(mail.text, /^Exception on \/v1\/boom \[GET\]\nError: kaboom\n\s+at /);
    assert.match(mail.text, new RegExp(`Request id: ${reqId}`));
    assert.equal(mail.secure, false, 'no STARTTLS without a login, as in Python');
  });

  it('logs in over STARTTLS when smtp_login and smtp_secure are set', async () => {
    sink = await startSmtpSink({ user: 'alice', pass: 's3cret', tls }); // refuses AUTH before STARTTLS
    srv = await startTestServer(
      testConfig(
        emailYaml({ smtp_host: '127.0.0.1', smtp_port: sink.port, smtp_login: 'alice', smtp_password: 's3cret', smtp_secure: true, smtp_ca: tls.certFile }),
      ),
      { extend: failingRoutes },
    );
    assert.equal((await fetch(`${srv.url}/v1/boom`)).status, 500);
    const [mail] = await sink.waitFor(1);
    assert.equal(mail?.user, 'alice');
    assert.equal(mail?.secure, true);
  });

  it('logs in without TLS when smtp_secure is false, as the old registry did', async () => {
    sink = await startSmtpSink({ user: 'alice', pass: 's3cret', tls, allowInsecureAuth: true });
    srv = await startTestServer(
      testConfig(emailYaml({ smtp_host: '127.0.0.1', smtp_port: sink.port, smtp_login: 'alice', smtp_password: 's3cret', smtp_secure: false })),
      { extend: failingRoutes },
    );
    assert.equal((await fetch(`${srv.url}/v1/boom`)).status, 500);
    const [mail] = await sink.waitFor(1);
    assert.equal(mail?.user, 'alice');
    assert.equal(mail?.secure, false);
  });

  it('a wrong password is a logged, counted failure and the response is unchanged', async () => {
    sink = await startSmtpSink({ user: 'alice', pass: 's3cret', tls });
    srv = await startTestServer(
      testConfig(
        emailYaml({ smtp_host: '127.0.0.1', smtp_port: sink.port, smtp_login: 'alice', smtp_password: 'wrong', smtp_secure: true, smtp_ca: tls.certFile }),
      ),
      { extend: failingRoutes },
    );
    const res = await fetch(`${srv.url}/v1/boom`);
    assert.equal(res.status, 500);
    assert.deepEqual(await res.json(), { error: 'Internal server error' });
    await srv.deps.mailer?.idle();
    assert.equal(await counter(srv, 'failed'), 1);
    assert.equal(sink.mails.length, 0);
  });

  it('a hung mail server neither delays nor changes the response', async () => {
    const hole = await startBlackHole();
    srv = await startTestServer(testConfig(emailYaml({ smtp_host: '127.0.0.1', smtp_port: hole.port })), { extend: failingRoutes });
    try {
      const res = await fetch(`${srv.url}/v1/boom`);
      assert.equal(res.status, 500);
      assert.deepEqual(await res.json(), { error: 'Internal server error' });
      // The response is complete while the mail is still stuck in the SMTP greeting.
      assert.equal(await counter(srv, 'failed'), 0);
      assert.equal(await counter(srv, 'sent'), 0);
      const ping = await fetch(`${srv.url}/v1/_ping`);
      assert.equal(ping.status, 200);
      await srv.deps.mailer?.idle(); // the greeting timeout ends the attempt
      assert.equal(await counter(srv, 'failed'), 1);
    } finally {
      await hole.close();
    }
  });

  it('a storm of one failure is one mail, then one digest with the count', async () => {
    sink = await startSmtpSink();
    srv = await startTestServer(testConfig(emailYaml({ smtp_host: '127.0.0.1', smtp_port: sink.port, throttle_seconds: 3 })), { extend: failingRoutes });
    for (let i = 0; i < 5; i++) assert.equal((await fetch(`${srv.url}/v1/boom`)).status, 500);
    assert.equal((await fetch(`${srv.url}/v1/other-boom`)).status, 500);
    await sink.waitFor(2);
    await srv.deps.mailer?.idle();
    assert.equal(sink.mails.filter((m) => m.text.includes('kaboom')).length, 1);
    assert.equal(sink.mails.filter((m) => m.text.includes('a different failure')).length, 1);
    assert.equal(await counter(srv, 'throttled'), 4);

    const mails = await sink.waitFor(3); // the digest, at the end of the window
    const digest = mails[2];
    assert.match(digest?.text ?? '', /Exception on \/v1\/boom \[GET\]/);
    assert.match(digest?.text ?? '', /happened 4 more time\(s\)/);
    await new Promise((r) => setTimeout(r, 3500)); // one more window, with no repeats in it
    assert.equal(sink.mails.length, 3, 'no digest for a failure that did not repeat');
  });

  it('one failure on 20 different paths is one mail and one digest: the throttle keys on the kind and place, not the message', async () => {
    sink = await startSmtpSink();
    srv = await startTestServer(testConfig(emailYaml({ smtp_host: '127.0.0.1', smtp_port: sink.port, throttle_seconds: 2 })), { extend: failingRoutes });
    for (let i = 0; i < 20; i++) assert.equal((await fetch(`${srv.url}/v1/broken/image-${i}`)).status, 500);
    await srv.deps.mailer?.idle();
    assert.equal(sink.mails.length, 1, sink.mails.map((m) => m.text.split('\n')[0]).join(', '));
    assert.match(sink.mails[0]?.text ?? '', /^Exception on \/v1\/broken\/image-0 \[GET\]\nError: could not read image-0\n/);
    assert.equal(await counter(srv, 'throttled'), 19);
    const digest = (await sink.waitFor(2))[1]?.text ?? '';
    assert.match(digest, /The same failure \(Error at test\/api\/exception-mail\.test\.ts:\d+:\d+\) happened 19 more time\(s\)/);
    assert.match(digest, /GET \/v1\/broken\/image-19\n/, 'the digest names the latest requests');
  });

  it('at most max_mails_per_hour mails, then one summary of what was held back (mail and log line)', async () => {
    sink = await startSmtpSink();
    const { log, lines } = capturingLogger();
    srv = await startTestServer(testConfig(emailYaml({ smtp_host: '127.0.0.1', smtp_port: sink.port, max_mails_per_hour: 3 })), { extend: failingRoutes, log });
    for (let i = 0; i < 6; i++) assert.equal((await fetch(`${srv.url}/v1/kind/${i}`)).status, 500);
    await srv.deps.mailer?.idle();
    assert.deepEqual(
      sink.mails.map((m) => /\n(Failure\d)/.exec(m.text)?.[1]),
      ['Failure0', 'Failure1', 'Failure2'],
    );
    assert.equal(await counter(srv, 'capped'), 3);
    assert.equal(lines.filter((l) => /hourly cap is reached/.test(l.msg ?? '')).length, 1, 'logged once, when the cap is reached');
    await srv.stop(); // the period ends with the process: its summary goes out
    const summary = (await sink.waitFor(4))[3]?.text ?? '';
    assert.match(summary, /^3 exception mail\(s\) were not sent: at most 3 are sent per hour \(email_exceptions\.max_mails_per_hour\)/);
    for (const k of [3, 4, 5]) assert.match(summary, new RegExp(`1 × Failure${k} at test/api/exception-mail\\.test\\.ts:`));
    const line = lines.find((l) => /not sent/.test(l.msg ?? ''));
    assert.equal(line?.suppressed, 3);
  });

  it('the cap counts per period: mails flow again in the next one, after the summary of the last', async () => {
    sink = await startSmtpSink();
    const { log } = capturingLogger();
    const config = testConfig(emailYaml({ smtp_host: '127.0.0.1', smtp_port: sink.port, max_mails_per_hour: 2 }));
    const metrics = createMetrics(false);
    const mailer = new ExceptionMailer(config.email_exceptions, log, metrics, 1000);
    try {
      const report = (i: number) => mailer.report({ method: 'GET', path: `/v1/kind/${i}`, requestId: `r${i}`, error: new (kinds[i] as typeof Error)('x') });
      for (const i of [0, 1, 2]) report(i);
      await mailer.idle();
      assert.equal(sink.mails.length, 2);
      const summary = (await sink.waitFor(3))[2]?.text ?? '';
      assert.match(summary, /^1 exception mail\(s\) were not sent/);
      report(3);
      assert.match((await sink.waitFor(4))[3]?.text ?? '', /^Exception on \/v1\/kind\/3 \[GET\]\nFailure3: x/);
    } finally {
      await mailer.close();
    }
  });

  it('errors the API answers on purpose (4xx) are never mailed', async () => {
    sink = await startSmtpSink();
    srv = await startTestServer(testConfig(emailYaml({ smtp_host: '127.0.0.1', smtp_port: sink.port })), { extend: failingRoutes });
    assert.equal((await fetch(`${srv.url}/v2/known`)).status, 404);
    assert.equal((await fetch(`${srv.url}/v1/missing`)).status, 404);
    await srv.deps.mailer?.idle();
    assert.equal(sink.mails.length, 0);
  });

  it('a V2 route renders an unexpected error as UNKNOWN', async () => {
    sink = await startSmtpSink();
    srv = await startTestServer(testConfig(emailYaml({ smtp_host: '127.0.0.1', smtp_port: sink.port })), {
      extend: (app) =>
        app.use(async (ctx, next) => {
          if (ctx.path === '/v2/boom') throw new Error('v2 kaboom');
          await next();
        }),
    });
    const res = await fetch(`${srv.url}/v2/boom`);
    assert.equal(res.status, 500);
    const body = (await res.json()) as { errors: Array<{ code: string; detail: { requestId: string } }> };
    assert.equal(body.errors[0]?.code, 'UNKNOWN');
    assert.equal(body.errors[0]?.detail.requestId, res.headers.get('x-request-id'));
    const [mail] = await sink.waitFor(1);
    assert.match(mail?.text ?? '', /^Exception on \/v2\/boom \[GET\]/);
  });
});

async function counter(srv: TestServer, result: string): Promise<number> {
  const metric = await srv.deps.metrics.exceptionMails.get();
  return metric.values.find((v) => v.labels.result === result)?.value ?? 0;
}
