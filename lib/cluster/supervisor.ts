/**
 * The primary of `node dist` with `workers` > 1 (or max_requests), and of the wsgi-compat
 * launcher: it serves nothing itself, it keeps the workers (node:cluster, one listening socket
 * per address, connections handed round-robin) at the count asked for:
 *
 * - a worker that dies is replaced; workers that keep dying before they listen (a crash loop)
 *   stop the launcher with exit code 1 and a message, a worker that refuses the config with 78;
 * - SIGTERM/SIGINT: every worker drains (drain_timeout each), then the primary exits; a second
 *   signal kills them at once;
 * - SIGHUP (and --reload): the config is read and checked again; if good, the workers are
 *   replaced one at a time, each successor listening before its predecessor stops accepting,
 *   so no request is refused; if not, the error is logged and the running workers stay;
 * - SIGTTIN/SIGTTOU: one worker more or less (as gunicorn);
 * - a worker that served about max_requests asks to be recycled: its successor starts, and once
 *   that one listens the old one stops accepting, finishes its requests (uploads included) and exits;
 * - one worker at a time is elected to run the once-per-host jobs; when it goes, another is: once
 *   it has exited, or (retiring) once it reports its jobs stopped, which it does at once rather
 *   than after its drain, so that two workers never run them together.
 */
import cluster, { type Worker } from 'node:cluster';
import fs from 'node:fs';
import type { Writable } from 'node:stream';
import type { Env } from '../config/env.js';
import { ConfigError } from '../config/errors.js';
import type { LoadedConfig } from '../config/load.js';
import type { Logger } from '../logging/logger.js';
import { isFromWorker, type ToWorker } from './messages.js';
import { clearStaleSockets } from './unix-sockets.js';

export interface SupervisorOptions {
  /** the environment the config is read from (again on SIGHUP) and the workers get */
  env: Env;
  /** read and check the config (preflight); throws ConfigError */
  load: () => LoadedConfig;
  /** the worker's entry (dist/index.js) */
  exec: string;
  log: Logger;
  /** where the workers' stdout and stderr go (default: inherited) */
  output?: { stdout: Writable; stderr: Writable };
  /** run the workers as this user/group (the primary keeps its rights to bind) */
  uid?: number;
  gid?: number;
  /** write the primary's pid here, remove it at exit */
  pidFile?: string;
  /** files and directories whose change replaces the workers as SIGHUP does (--reload) */
  watch?: readonly string[];
  /** how the primary ends (default process.exit) */
  exit?: (code: number) => void;
}

const EX_CONFIG = 78;
/** Consecutive workers that die before they listen, after which the launcher gives up. */
export const START_FAILURES = 5;
/** A new worker that has not listened after this long is taken for dead. */
const READY_TIMEOUT_MS = 60_000;
const RELOAD_DEBOUNCE_MS = 300;

interface Slot {
  worker: Worker;
  ready: boolean;
  /** told to retire or stop, or replaced: its exit is expected */
  leaving: boolean;
  onReady: Array<(ok: boolean) => void>;
}

export function runSupervisor(options: SupervisorOptions): void {
  const { log } = options;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let loaded = options.load();
  let target = loaded.config.workers;
  const slots = new Map<number, Slot>();
  let failures = 0;
  let stopping = false;
  let signals = 0;
  let hostJobs: number | null = null;
  let rolling: Promise<void> | null = null;
  let rollAgain = false;

  cluster.setupPrimary({
    exec: options.exec,
    args: [],
    silent: options.output !== undefined,
    ...(options.uid === undefined ? {} : { uid: options.uid }),
    ...(options.gid === undefined ? {} : { gid: options.gid }),
  });
  if (options.pidFile) fs.writeFileSync(options.pidFile, `${process.pid}\n`);
  const finish = (code: number) => {
    if (options.pidFile) fs.rmSync(options.pidFile, { force: true });
    log.flush();
    exit(code);
  };

  const send = (slot: Slot, message: ToWorker) => {
    if (slot.worker.isConnected()) slot.worker.send(message);
  };
  const live = () => [...slots.values()].filter((s) => !s.leaving);

  const fork = (): Slot => {
    const worker = cluster.fork({ ...options.env });
    const slot: Slot = { worker, ready: false, leaving: false, onReady: [] };
    slots.set(worker.id, slot);
    if (options.output) {
      worker.process.stdout?.pipe(options.output.stdout, { end: false });
      worker.process.stderr?.pipe(options.output.stderr, { end: false });
    }
    const timer = setTimeout(() => {
      if (slot.ready) return;
      log.error({ worker: worker.process.pid }, `worker did not listen within ${READY_TIMEOUT_MS / 1000} s; killing it`);
      worker.process.kill('SIGKILL');
    }, READY_TIMEOUT_MS);
    timer.unref();
    worker.on('message', (message: unknown) => {
      if (!isFromWorker(message)) return;
      if (message.berth === 'ready') {
        clearTimeout(timer);
        slot.ready = true;
        failures = 0;
        for (const done of slot.onReady.splice(0)) done(true);
        if (stopping) send(slot, { berth: 'stop' });
        else if (slot.leaving) send(slot, { berth: 'retire' });
        else elect();
      } else if (message.berth === 'host-jobs-stopped') {
        if (hostJobs !== worker.id) return;
        hostJobs = null;
        elect();
      } else if (message.berth === 'recycle' && !slot.leaving && !stopping) {
        log.info({ worker: worker.process.pid, served: message.served }, 'max_requests reached: recycling the worker');
        void replace(slot);
      }
    });
    return slot;
  };

  /**
   * The once-per-host jobs run in one worker: the oldest that listens and stays. The seat is
   * free only once its holder has exited or reported its jobs stopped (a retiring one).
   */
  const elect = () => {
    if (stopping || (hostJobs !== null && slots.has(hostJobs))) return;
    const next = live().find((s) => s.ready);
    hostJobs = next ? next.worker.id : null;
    if (next) send(next, { berth: 'host-jobs' });
  };

  /** Start a successor; once it listens, the old one retires. False when the successor died first. */
  const replace = async (old: Slot): Promise<boolean> => {
    const successor = fork();
    const ok = await new Promise<boolean>((resolve) => successor.onReady.push(resolve));
    if (!ok) return false;
    retire(old);
    return true;
  };

  const retire = (slot: Slot) => {
    slot.leaving = true;
    // If it holds the host jobs, the next worker is elected on its report (or its exit).
    if (slot.ready) send(slot, { berth: 'retire' });
  };

  const scale = () => {
    if (stopping) return;
    const running = live();
    for (let n = running.length; n < target; n++) fork();
    // The newest go first (they hold the least).
    for (const slot of running.slice(target).reverse()) retire(slot);
  };

  cluster.on('exit', (worker, code, signal) => {
    const slot = slots.get(worker.id);
    slots.delete(worker.id);
    if (hostJobs === worker.id) hostJobs = null;
    if (!slot) return;
    for (const done of slot.onReady.splice(0)) done(false);
    if (stopping) {
      if (slots.size === 0) finish(Number(process.exitCode ?? 0));
      return;
    }
    if (slot.leaving) {
      elect();
      return;
    }
    const how = signal ?? `exit code ${code}`;
    if (code === EX_CONFIG) {
      log.fatal({ worker: worker.process.pid }, 'a worker refused the configuration; stopping');
      return stop(EX_CONFIG);
    }
    if (!slot.ready && ++failures >= START_FAILURES) {
      log.fatal({ failures, last: how }, `${failures} workers in a row died before they could listen (last: ${how}); giving up`);
      return stop(1);
    }
    const delay = slot.ready ? 0 : Math.min(5_000, 100 * 2 ** failures);
    log.error({ worker: worker.process.pid, how }, `worker died (${how}); starting another`);
    elect();
    // Not unref'd: with every worker gone, this timer is what keeps the primary alive.
    setTimeout(scale, delay);
  });

  const stop = (code: number) => {
    if (stopping) return;
    stopping = true;
    process.exitCode = code;
    for (const slot of slots.values()) {
      slot.leaving = true;
      // One that has not listened yet has nothing to drain.
      if (slot.ready) send(slot, { berth: 'stop' });
      else slot.worker.process.kill('SIGTERM');
    }
    if (slots.size === 0) finish(code);
    // The workers' own drain ends within drain_timeout; this is for one that hangs.
    setTimeout(
      () => {
        for (const slot of slots.values()) slot.worker.process.kill('SIGKILL');
      },
      (loaded.config.drain_timeout + 10) * 1000,
    ).unref();
  };

  /** SIGHUP: check the config again, then replace every worker, one at a time. */
  const reload = (why: string) => {
    if (stopping) return;
    if (rolling) {
      rollAgain = true;
      return;
    }
    try {
      loaded = options.load();
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      log.error({ reason: why }, `config not reloaded, the running workers stay: ${err.message}`);
      return;
    }
    for (const warning of loaded.warnings) log.warn(warning);
    target = loaded.config.workers;
    log.info({ reason: why, workers: target }, 'reloading: replacing the workers one at a time');
    rolling = (async () => {
      for (const slot of live()) {
        if (stopping) return;
        if (slot.leaving || !slots.has(slot.worker.id)) continue;
        if (!(await replace(slot))) {
          log.error('a new worker died before it listened; reload stopped, the remaining workers stay');
          return;
        }
      }
      scale();
    })().finally(() => {
      rolling = null;
      log.info({ workers: live().length }, 'reload done');
      if (rollAgain) {
        rollAgain = false;
        reload(why);
      }
    });
  };

  const onStopSignal = (sig: NodeJS.Signals) => {
    signals++;
    if (signals > 1) {
      log.warn({ signal: sig }, 'second signal: killing the workers');
      for (const slot of slots.values()) slot.worker.process.kill('SIGKILL');
      return finish(1);
    }
    log.info({ signal: sig, workers: slots.size, drain_timeout: loaded.config.drain_timeout }, 'shutting down: draining every worker');
    stop(0);
  };
  process.on('SIGTERM', onStopSignal);
  process.on('SIGINT', onStopSignal);
  process.on('SIGHUP', () => reload('SIGHUP'));
  process.on('SIGTTIN', () => {
    target++;
    log.info({ workers: target }, 'SIGTTIN: one worker more');
    scale();
  });
  process.on('SIGTTOU', () => {
    if (target <= 1) return void log.warn('SIGTTOU: already at one worker');
    target--;
    log.info({ workers: target }, 'SIGTTOU: one worker less');
    scale();
  });
  if (options.watch && options.watch.length > 0) watchForReload(options.watch, () => reload('files changed'), log);

  log.info({ workers: target, listen: loaded.config.binds }, `supervising ${target} worker(s)`);
  void clearStaleSockets(loaded.config.binds, log).then(scale);
}

/** --reload: a change under any of `paths` (dist/, the config file) calls `onChange`, once per burst. */
function watchForReload(paths: readonly string[], onChange: () => void, log: Logger): void {
  let timer: NodeJS.Timeout | undefined;
  const changed = () => {
    clearTimeout(timer);
    timer = setTimeout(onChange, RELOAD_DEBOUNCE_MS);
  };
  for (const p of paths) {
    try {
      fs.watch(p, { recursive: fs.statSync(p).isDirectory(), persistent: false }, changed);
    } catch (err) {
      log.warn({ path: p, err: (err as Error).message }, '--reload: cannot watch this path');
    }
  }
}
