/**
 * A real SMTP listener (the smtp-server package) on 127.0.0.1, in the test process: STARTTLS
 * with a certificate made by openssl, AUTH PLAIN/LOGIN, and every received message parsed.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { tempDir } from './config.js';

export interface ReceivedMail {
  from: string;
  to: string;
  subject: string;
  text: string;
  date: Date | undefined;
  envelopeFrom: string;
  envelopeTo: string[];
  user: string | undefined;
  secure: boolean;
}

export interface SmtpSink {
  port: number;
  mails: ReceivedMail[];
  /** Wait until at least n mails arrived (bounded). */
  waitFor(n: number, timeoutMs?: number): Promise<ReceivedMail[]>;
  close(): Promise<void>;
}

export interface Tls {
  key: Buffer;
  cert: Buffer;
  certFile: string;
}

/** A self-signed certificate for 127.0.0.1/localhost; the cert file doubles as the CA. */
export function makeTls(): Tls {
  const dir = tempDir('berth-tls-');
  const keyFile = path.join(dir, 'key.pem');
  const certFile = path.join(dir, 'cert.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-keyout',
      keyFile,
      '-out',
      certFile,
    ],
    { stdio: 'ignore' },
  );
  return { key: readFileSync(keyFile), cert: readFileSync(certFile), certFile };
}

export async function startSmtpSink(options: { user?: string; pass?: string; tls?: Tls; allowInsecureAuth?: boolean } = {}): Promise<SmtpSink> {
  const mails: ReceivedMail[] = [];
  const waiters: Array<() => void> = [];
  const server = new SMTPServer({
    authMethods: ['PLAIN', 'LOGIN'],
    authOptional: !options.user,
    allowInsecureAuth: options.allowInsecureAuth ?? false,
    disabledCommands: options.tls ? [] : ['STARTTLS'],
    ...(options.tls ? { key: options.tls.key, cert: options.tls.cert } : {}),
    logger: false,
    onAuth(auth, _session, cb) {
      if (auth.username === options.user && auth.password === options.pass) return cb(null, { user: auth.username });
      return cb(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
    },
    onData(stream, session, cb) {
      simpleParser(stream).then((m) => {
        mails.push({
          from: m.from?.text ?? '',
          to: Array.isArray(m.to) ? m.to.map((t) => t.text).join(', ') : (m.to?.text ?? ''),
          subject: m.subject ?? '',
          text: m.text ?? '',
          date: m.date,
          envelopeFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          envelopeTo: session.envelope.rcptTo.map((r) => r.address),
          user: session.user as string | undefined,
          secure: session.secure,
        });
        for (const w of waiters.splice(0)) w();
        cb();
      }, cb);
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return {
    port,
    mails,
    async waitFor(n, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (mails.length < n) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`expected ${n} mail(s), got ${mails.length}`);
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, left);
          waiters.push(() => {
            clearTimeout(t);
            resolve();
          });
        });
      }
      return mails;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A TCP listener that accepts connections and never says a word: a hung mail server. */
export async function startBlackHole(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
