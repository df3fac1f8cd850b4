/**
 * Mails unexpected server errors, as docker-registry's SMTPHandler did (same From/To/Subject,
 * body "Exception on <path> [<METHOD>]" and the stack), without its two faults: sending
 * happens after the response, off the request path, and a storm of one failure becomes one
 * mail plus, at the end of the window, one digest with the count.
 */
import { readFileSync } from 'node:fs';
import type { Transporter } from 'nodemailer';
import type { Config } from '../config/load.js';
import type { Logger } from '../logging/logger.js';
import type { Metrics } from '../metrics/registry.js';
import { loadNodemailer } from '../optional-modules.js';

export interface ExceptionReport {
  method: string;
  path: string;
  requestId: string;
  error: Error;
}

type EmailSettings = Config['email_exceptions'];

export const SUBJECT = 'Docker registry exception';
/** Sends queued at once; past this a report is dropped (and counted) rather than held in memory. */
const MAX_QUEUED = 50;

interface Window {
  first: ExceptionReport;
  repeats: number;
  lastRequestIds: string[];
  timer: NodeJS.Timeout;
}

export class ExceptionMailer {
  private readonly transport: Transporter;
  private readonly windows = new Map<string, Window>();
  private queue: Promise<void> = Promise.resolve();
  private queued = 0;

  constructor(
    private readonly settings: EmailSettings,
    private readonly log: Logger,
    private readonly metrics: Metrics,
  ) {
    this.transport = loadNodemailer().createTransport(transportOptions(settings));
  }

  /** Record a failure; never throws, never waits. */
  report(report: ExceptionReport): void {
    const key = fingerprint(report.error);
    const open = this.windows.get(key);
    if (open) {
      open.repeats++;
      open.lastRequestIds = [...open.lastRequestIds.slice(-9), report.requestId];
      this.metrics.exceptionMails.inc({ result: 'throttled' });
      return;
    }
    this.enqueue(body(report));
    this.openWindow(key, report);
  }

  /** Resolves when every mail queued so far has been sent or has failed. */
  async idle(): Promise<void> {
    let seen: Promise<void>;
    do {
      seen = this.queue;
      await seen;
    } while (seen !== this.queue);
  }

  /** Send the digests still pending, wait for the queue (bounded), and close the transport. */
  async close(timeoutMs = 5000): Promise<void> {
    for (const [key, window] of this.windows) {
      clearTimeout(window.timer);
      this.closeWindow(key, window, false);
    }
    await Promise.race([this.idle(), new Promise((r) => setTimeout(r, timeoutMs).unref())]);
    this.transport.close();
  }

  private openWindow(key: string, first: ExceptionReport): void {
    const window: Window = { first, repeats: 0, lastRequestIds: [], timer: undefined as unknown as NodeJS.Timeout };
    window.timer = setTimeout(() => this.closeWindow(key, window, true), this.settings.throttle_seconds * 1000);
    window.timer.unref();
    this.windows.set(key, window);
  }

  /** At the end of a window: one digest if the failure repeated, and a new window while it goes on. */
  private closeWindow(key: string, window: Window, reopen: boolean): void {
    this.windows.delete(key);
    if (window.repeats === 0) return;
    const digest =
      `${body(window.first)}\n` +
      `The same failure happened ${window.repeats} more time(s) in the last ${this.settings.throttle_seconds} s ` +
      `(mails for it are throttled). Latest request ids: ${window.lastRequestIds.join(', ')}\n`;
    this.enqueue(digest);
    if (reopen) this.openWindow(key, window.first);
  }

  private enqueue(text: string): void {
    if (this.queued >= MAX_QUEUED) {
      this.metrics.exceptionMails.inc({ result: 'dropped' });
      this.log.warn('exception mail dropped: too many queued');
      return;
    }
    this.queued++;
    this.queue = this.queue.then(() => this.send(text)).finally(() => this.queued--);
  }

  private async send(text: string): Promise<void> {
    const { from_addr, to_addr, smtp_host, smtp_port } = this.settings;
    try {
      await this.transport.sendMail({ from: from_addr, to: to_addr, subject: SUBJECT, text, date: new Date() });
      this.metrics.exceptionMails.inc({ result: 'sent' });
    } catch (err) {
      this.metrics.exceptionMails.inc({ result: 'failed' });
      this.log.error({ err, smtp: `${smtp_host}:${smtp_port}` }, 'could not send exception mail');
    }
  }
}

function body(r: ExceptionReport): string {
  return `Exception on ${r.path} [${r.method}]\n${r.error.stack ?? String(r.error)}\n\nRequest id: ${r.requestId}\n`;
}

/** Same class, message and throwing frame: the same failure. */
function fingerprint(err: Error): string {
  const frame = (err.stack ?? '').split('\n').find((l) => l.trimStart().startsWith('at ')) ?? '';
  return `${err.name}\0${err.message}\0${frame.trim()}`;
}

/**
 * As Python's SMTPHandler: a login only when smtp_login is set, and STARTTLS only when both a
 * login and smtp_secure are set (never opportunistically, never implicit TLS).
 */
export function transportOptions(s: EmailSettings) {
  const starttls = Boolean(s.smtp_login) && s.smtp_secure.starttls;
  const verify = s.smtp_tls_verify || Boolean(s.smtp_ca);
  return {
    host: s.smtp_host ?? 'localhost',
    port: s.smtp_port ?? 25,
    secure: false,
    requireTLS: starttls,
    ignoreTLS: !starttls,
    ...(s.smtp_login ? { auth: { user: s.smtp_login, pass: s.smtp_password ?? '' } } : {}),
    tls: {
      rejectUnauthorized: verify,
      ...(s.smtp_ca ? { ca: readFileSync(s.smtp_ca) } : {}),
      ...(s.smtp_secure.keyfile ? { key: readFileSync(s.smtp_secure.keyfile) } : {}),
      ...(s.smtp_secure.certfile ? { cert: readFileSync(s.smtp_secure.certfile) } : {}),
    },
    connectionTimeout: 5000,
    greetingTimeout: 5000,
    socketTimeout: 10000,
  };
}
