/**
 * Who wrote a temp file, and whether that writer is gone: what lets a sweep reclaim the temp
 * files a crashed writer (kill -9, OOM, power loss) left behind without ever touching one a
 * live writer is still filling, in this process, another worker or another Berth instance on
 * a shared disk.
 *
 * A temp file's name carries its writer: `.berth-tmp-<host>.<pid>.<random>.<name>`, where
 * `<host>` identifies the process namespace the pid belongs to (hostname, boot and pid
 * namespace, hashed: two containers on one machine, or one machine before and after a reboot,
 * are different hosts). A file of this host is reclaimable as soon as its pid is not running,
 * or runs a process that started after the file was last written (the pid was reused). A file
 * of another host, or one named before writers were named (`.berth-tmp-<name>.<random>`), is
 * reclaimable only once nothing has written to it for a generous age: a live writer keeps
 * writing (an upload that stalls is dropped after upload_idle_timeout).
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, readlinkSync } from 'node:fs';
import os from 'node:os';

/** Temp files are hidden from listings; a crash can leave them behind, never in place of an object. */
export const TEMP_PREFIX = '.berth-tmp-';

/** What the object's own name keeps in a temp file's name (bytes); the rest is cut, so the name stays within NAME_MAX. */
const NAME_KEPT = 150;

let cachedHostId: string | undefined;

/** This process's host: 12 hex digits of sha256(hostname, boot id, pid namespace); the hostname alone where /proc has no answer. */
export function hostId(): string {
  cachedHostId ??= computeHostId(os.hostname(), readOr('/proc/sys/kernel/random/boot_id'), linkOr('/proc/self/ns/pid'));
  return cachedHostId;
}

export function computeHostId(hostname: string, bootId: string, pidNamespace: string): string {
  return createHash('sha256').update(`${hostname}\0${bootId.trim()}\0${pidNamespace}`).digest('hex').slice(0, 12);
}

/** The name of a new temp file for an object called `name`, written by this process. */
export function tempName(name: string, host = hostId(), pid = process.pid): string {
  const kept = Buffer.from(name).subarray(0, NAME_KEPT).toString('utf8');
  return `${TEMP_PREFIX}${host}.${pid}.${randomBytes(6).toString('hex')}.${kept}`;
}

export interface TempWriter {
  host: string;
  pid: number;
}

const NAMED = /^\.berth-tmp-([0-9a-f]{12})\.([1-9][0-9]{0,9})\.[0-9a-f]{12}\./;

/** The writer a temp file's name carries; null for a name from before writers were named (or not a temp file). */
export function writerOf(fileName: string): TempWriter | null {
  const m = NAMED.exec(fileName);
  if (!m) return null;
  const pid = Number(m[2]);
  return Number.isSafeInteger(pid) && pid > 0 ? { host: m[1] as string, pid } : null;
}

export interface TempFileFacts {
  /** the file's base name */
  name: string;
  /** its last modification (ms since the epoch) */
  modifiedMs: number;
}

export interface ReclaimContext {
  host: string;
  now: number;
  /** writers this rule cannot see (another host, an unnamed file) are gone once silent this long */
  maxAgeMs: number;
  /** whether `pid` of this host still runs the process that wrote at `modifiedMs` */
  alive: (pid: number, modifiedMs: number) => boolean;
}

/** Whether a temp file is a leftover (its writer is gone), and why; null while its writer may still be at work. */
export function reclaimReason(file: TempFileFacts, ctx: ReclaimContext): string | null {
  if (!file.name.startsWith(TEMP_PREFIX)) return null;
  const writer = writerOf(file.name);
  if (writer && writer.host === ctx.host) return ctx.alive(writer.pid, file.modifiedMs) ? null : `its writer (pid ${writer.pid} on this host) is gone`;
  const idle = ctx.now - file.modifiedMs;
  if (idle <= ctx.maxAgeMs) return null;
  const hours = (idle / 3_600_000).toFixed(1);
  return writer ? `written by another host (${writer.host}, pid ${writer.pid}), untouched for ${hours} h` : `untouched for ${hours} h`;
}

/** Slack between the clock a process start time is derived from and a file's mtime. */
const START_SLACK_MS = 2_000;

/**
 * Whether `pid` (of this host) runs the process that last wrote a file at `modifiedMs`: it
 * exists, and (where /proc says when it started) it started before that write.
 */
export function processAlive(pid: number, modifiedMs: number): boolean {
  if (!(Number.isSafeInteger(pid) && pid > 0)) return false; // 0 and negatives address process groups
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM: it exists, as another user.
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  const started = processStartMs(pid);
  return started === null || started <= modifiedMs + START_SLACK_MS;
}

/**
 * When `pid` started (ms since the epoch), from /proc (`starttime` in clock ticks since boot,
 * and the boot time); null where there is no /proc. Clock ticks are USER_HZ, 100 on every
 * architecture Linux exports to user space.
 */
export function processStartMs(pid: number): number | null {
  const stat = readOr(`/proc/${pid}/stat`);
  const boot = /^btime (\d+)$/m.exec(readOr('/proc/stat'));
  if (!stat || !boot) return null;
  // The command name (field 2) is in parentheses and may hold anything: count fields after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[19]); // field 22, starttime
  if (!Number.isFinite(ticks)) return null;
  return Number(boot[1]) * 1000 + ticks * 10;
}

function readOr(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

function linkOr(file: string): string {
  try {
    return readlinkSync(file);
  } catch {
    return '';
  }
}
