/**
 * Progress of a long operator run: a bar (cli-progress) with counts, rate and ETA when stderr is
 * a terminal, and one plain line every 10 s otherwise (a log file, a CI job, cron mail), so a
 * run that goes on for hours says where it is without flooding anything. Written to stderr, so
 * stdout stays the tool's result (`--json`).
 */
import { SingleBar } from 'cli-progress';

export interface Progress {
  /** the total once it is known (null: still counting) */
  total(n: number): void;
  tick(what?: string): void;
  stop(): void;
}

const LINE_EVERY_MS = 10_000;

export function progress(label: string, stream: NodeJS.WriteStream = process.stderr, now: () => number = Date.now): Progress {
  let total = 0;
  let done = 0;
  let stopped = false;
  const once = (stop: () => void) => () => {
    if (stopped) return;
    stopped = true;
    stop();
  };
  if (stream.isTTY) {
    const bar = new SingleBar({ format: `${label} [{bar}] {value}/{total} {percentage}% {eta_formatted} left {what}`, stream, hideCursor: true });
    bar.start(0, 0, { what: '' });
    return {
      total: (n) => {
        total = n;
        bar.setTotal(n);
      },
      tick: (what = '') => bar.increment(1, { what }),
      stop: once(() => bar.stop()),
    };
  }
  const started = now();
  let last = started;
  const line = () => {
    const seconds = Math.max((now() - started) / 1000, 0.001);
    const rate = done / seconds;
    const eta = total > done && rate > 0 ? `, about ${Math.ceil((total - done) / rate)} s left` : '';
    stream.write(`${label}: ${done}${total ? `/${total}` : ''} in ${Math.round(seconds)} s (${rate.toFixed(1)}/s${eta})\n`);
  };
  return {
    total: (n) => {
      total = n;
    },
    tick: () => {
      done++;
      if (now() - last >= LINE_EVERY_MS) {
        last = now();
        line();
      }
    },
    stop: once(() => {
      if (done > 0) line();
    }),
  };
}
