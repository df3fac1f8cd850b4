/**
 * Mails unexpected server errors, as docker-registry's SMTPHandler did (same From/To/Subject,
 * body "Exception on <path> [<METHOD>]" and the stack), without its faults: sending happens
 * after the response, off the request path; a storm of one failure becomes one mail plus, at
 * the end of the window, one digest with the count; and no storm, of one failure or of many,
 * sends more than `max_mails_per_hour`.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Transporter } from 'nodemailer';
import type { Config } from '../config/load.js';
import type { Logger } from '../logging/logger.js';
import type { Metrics } from '../metrics/registry.js';
import { loadNodemailer } from '../optional-modules.js';
import { INSTALL_DIR } from '../version.js';

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
const HOUR_MS = 3600_000;
/** Requests a digest names, and failures a cap summary names. */
const LISTED = 10;

interface Window {
  first: ExceptionReport;
  repeats: number;
  latest: ExceptionReport[];
  timer: NodeJS.Timeout;
}

export class ExceptionMailer {
  private readonly transport: Transporter;
  private readonly windows = new Map<string, Window>();
  private readonly cap: MailCap;
  private queue: Promise<void> = Promise.resolve();
  private queued = 0;

  /** `capWindowMs`: the period `max_mails_per_hour` counts over (an hour; shorter in tests). */
  constructor(
    private readonly settings: EmailSettings,
    private readonly log: Logger,
    private readonly metrics: Metrics,
    capWindowMs = HOUR_MS,
  ) {
    this.transport = loadNodemailer().createTransport(transportOptions(settings));
    this.cap = new MailCap(settings.max_mails_per_hour ?? 0, capWindowMs, log, (text) => this.enqueue(text));
  }

  /** Record a failure; never throws, never waits. */
  report(report: ExceptionReport): void {
    const key = fingerprint(report.error);
    const open = this.windows.get(key);
    if (open) {
      open.repeats++;
      open.latest = [...open.latest.slice(1 - LISTED), report];
      this.metrics.exceptionMails.inc({ result: 'throttled' });
      return;
    }
    this.send(key, body(report));
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

  /** Send the digests still pending and the cap's summary, wait for the queue (bounded), and close the transport. */
  async close(timeoutMs = 5000): Promise<void> {
    for (const [key, window] of this.windows) {
      clearTimeout(window.timer);
      this.closeWindow(key, window, false);
    }
    this.cap.end();
    await Promise.race([this.idle(), new Promise((r) => setTimeout(r, timeoutMs).unref())]);
    this.transport.close();
  }

  private openWindow(key: string, first: ExceptionReport): void {
    const window: Window = { first, repeats: 0, latest: [], timer: undefined as unknown as NodeJS.Timeout };
    window.timer = setTimeout(() => this.closeWindow(key, window, true), this.settings.throttle_seconds * 1000);
    window.timer.unref();
    this.windows.set(key, window);
  }

  /** At the end of a window: one digest if the failure repeated, and a new window while it goes on. */
  private closeWindow(key: string, window: Window, reopen: boolean): void {
    this.windows.delete(key);
    if (window.repeats === 0) return;
    const latest = window.latest.map((r) => `  ${r.requestId} ${r.method} ${r.path}`).join('\n');
    const digest =
      `${body(window.first)}\n` +
      `The same failure (${key}) happened ${window.repeats} more time(s) in the last ${this.settings.throttle_seconds} s ` +
      `(mails for it are throttled). Latest requests:\n${latest}\n`;
    this.send(key, digest);
    if (reopen) this.openWindow(key, window.first);
  }

  /** A mail about one failure, unless the hourly cap has been reached. */
  private send(key: string, text: string): void {
    if (this.cap.admit(key)) this.enqueue(text);
    else this.metrics.exceptionMails.inc({ result: 'capped' });
  }

  private enqueue(text: string): void {
    if (this.queued >= MAX_QUEUED) {
      this.metrics.exceptionMails.inc({ result: 'dropped' });
      this.log.warn('exception mail dropped: too many queued');
      return;
    }
    this.queued++;
    this.queue = this.queue.then(() => this.deliver(text)).finally(() => this.queued--);
  }

  private async deliver(text: string): Promise<void> {
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

/**
 * At most `max` mails per period (0: no limit). The first one over it is logged; at the end
 * of the period one summary mail and one log line say how many were not sent, and for what.
 */
class MailCap {
  private admitted = 0;
  private readonly withheld = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly max: number,
    private readonly periodMs: number,
    private readonly log: Logger,
    private readonly mail: (text: string) => void,
  ) {}

  admit(key: string): boolean {
    if (this.max === 0) return true;
    if (!this.timer) {
      this.timer = setTimeout(() => this.end(), this.periodMs);
      this.timer.unref();
    }
    if (this.admitted < this.max) {
      this.admitted++;
      return true;
    }
    if (this.withheld.size === 0) {
      this.log.warn({ max_mails_per_hour: this.max }, 'exception mails: the hourly cap is reached; the rest of the hour is counted and summed up in one mail');
    }
    this.withheld.set(key, (this.withheld.get(key) ?? 0) + 1);
    return false;
  }

  /** Close the period: the summary, if anything was held back. */
  end(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.admitted = 0;
    const total = [...this.withheld.values()].reduce((a, b) => a + b, 0);
    if (total === 0) return;
    const failures = [...this.withheld].sort((a, b) => b[1] - a[1]);
    this.withheld.clear();
    this.log.warn({ suppressed: total, failures: failures.length }, `exception mails: ${total} not sent (max_mails_per_hour: ${this.max})`);
    const listed = failures.slice(0, LISTED).map(([key, n]) => `  ${n} × ${key}`);
    if (failures.length > LISTED) listed.push(`  … and ${failures.length - LISTED} other failure(s)`);
    this.mail(
      `${total} exception mail(s) were not sent: at most ${this.max} are sent per hour (email_exceptions.max_mails_per_hour).\n` +
        `The failures they were about (the log has each one, with its stack):\n${listed.join('\n')}\n`,
    );
  }
}

function body(r: ExceptionReport): string {
  return `Exception on ${r.path} [${r.method}]\n${r.error.stack ?? String(r.error)}\n\nRequest id: ${r.requestId}\n`;
}

/**
 * The same failure: the error's class (and its `code`, e.g. ENOENT) where in Berth's own code
 * it was thrown — never its message, which carries paths, ids and names from the request.
 */
export function fingerprint(err: Error): string {
  const kind = err.constructor?.name && err.constructor.name !== 'Object' ? err.constructor.name : err.name;
  const code = (err as { code?: unknown }).code;
  const codeText = typeof code === 'string' && /^[\w.-]{1,64}$/.test(code) ? `[${code}]` : '';
  return `${kind}${codeText} at ${throwingFrame(err.stack ?? '')}`;
}

/** The top stack frame in Berth's own files (lib/, or dist/ when built; not node_modules), relative to the install; else the top frame. */
function throwingFrame(stack: string): string {
  const frames = stack
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('at '))
    .map((l) => l.replace(/^.*?\(?((?:file:\/\/)?[^\s()]+:\d+:\d+)\)?$/, '$1'))
    .map((f) => (f.startsWith('file://') ? fileURLToPath(f) : f));
  const root = INSTALL_DIR + path.sep;
  const own = frames.find((f) => f.startsWith(root) && !f.includes(`${path.sep}node_modules${path.sep}`));
  return own ? own.slice(root.length) : (frames[0] ?? 'an unknown place');
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
