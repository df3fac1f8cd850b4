/**
 * Background work that runs beside the request path. Each job is started and stopped by its
 * owner (the server's lifecycle, or an operator tool), so a later "once per host" rule has one
 * place to live: whoever starts the jobs.
 */
export interface Job {
  readonly name: string;
  /** runs once per host, not once per worker (storage sweeps, index upkeep): a supervisor elects one worker for it */
  readonly perHost?: boolean;
  start(): void;
  /** Stop taking new work; resolves once work in hand is done. Safe to call twice, or before start. */
  stop(): Promise<void>;
}

/** A job that runs `work` every `intervalMs`, the first time at a random point of the first interval. */
export function periodicJob(name: string, intervalMs: number, work: (signal: AbortSignal) => Promise<void>): Job {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | null = null;
  let stopped = false;
  const controller = new AbortController();
  const schedule = (delay: number) => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = work(controller.signal).finally(() => {
        running = null;
        schedule(intervalMs);
      });
    }, delay);
    timer.unref();
  };
  return {
    name,
    // A random first run, so that the workers of one host do not all walk the store at once.
    start: () => schedule(Math.random() * intervalMs),
    async stop() {
      stopped = true;
      clearTimeout(timer);
      controller.abort();
      await running?.catch(() => {});
    },
  };
}
