/**
 * Who holds a lock, written into it so that a waiter on the same host can tell at once whether
 * the holder still runs: the host, the pid, and the process's start time (from /proc), so that
 * a pid the kernel has since given to another process is not taken for the holder.
 *
 * "The same host" is the same kernel boot and PID namespace (Linux: boot_id and the
 * /proc/self/ns/pid inode): only there does a pid name the same process. Two containers that
 * share a lock directory but not a PID namespace are different hosts to each other, and their
 * locks fall back to the stale timeout, as locks of another machine do.
 */
import { readFileSync, readlinkSync } from 'node:fs';
import os from 'node:os';

export interface Holder {
  host: string;
  pid: number;
  /** clock ticks after boot at which the process started (/proc/<pid>/stat field 22); null where unknown */
  start: string | null;
}

let self: Holder | undefined;

/** This process. */
export function currentHolder(): Holder {
  self ??= { host: hostId(), pid: process.pid, start: processStart(process.pid)?.start ?? null };
  return self;
}

/** Whether the holder ran on this host and that process has ended (or its pid now names another process). */
export function holderGone(holder: Holder): boolean {
  const me = currentHolder();
  if (holder.host !== me.host || !Number.isSafeInteger(holder.pid) || holder.pid <= 0) return false;
  if (me.start !== null) {
    // /proc is readable here: no entry, a zombie, or another start time all mean the holder is gone.
    const found = processStart(holder.pid);
    return found === null || found.state === 'Z' || found.state === 'X' || (holder.start !== null && found.start !== holder.start);
  }
  try {
    process.kill(holder.pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** A holder read back from a lock (with the record's other fields); null when the text is not one (empty while being written, or an old lock without it). */
export function parseHolder(text: string | null): (Holder & Record<string, unknown>) | null {
  if (!text) return null;
  try {
    const v = JSON.parse(text) as Partial<Holder> & Record<string, unknown>;
    if (typeof v.host === 'string' && typeof v.pid === 'number' && (typeof v.start === 'string' || v.start === null)) {
      return { ...v, host: v.host, pid: v.pid, start: v.start };
    }
  } catch {
    // not a holder record
  }
  return null;
}

function hostId(): string {
  if (process.platform !== 'linux') return `host:${os.hostname()}`;
  try {
    const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    return `boot:${boot}/${readlinkSync('/proc/self/ns/pid')}`;
  } catch {
    // No /proc: pids cannot be compared safely with anyone; a per-process id means "never the same host".
    return `unknown:${process.pid}:${Date.now()}:${Math.random()}`;
  }
}

/** State and start time of a process, from /proc/<pid>/stat; null when there is no such process (or no /proc). */
function processStart(pid: number): { state: string; start: string } | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // The command name (field 2) may hold spaces and parentheses: count fields after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const state = fields[0];
  const start = fields[19];
  return state && start ? { state, start } : null;
}
