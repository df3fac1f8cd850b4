// Types of bench/resources-scenario.mjs, for test/e2e/resources.test.ts.
export interface Counts {
  idle: number;
  abandoned: number;
  trickling: number;
  pushers: number;
  pullers: number;
}
export const SHORT: Counts;
export const FULL: Counts;
export function descriptorsOf(pid: number): number;
export function rssOf(pid: number): { rssMiB: number; peakMiB: number };
export interface Report {
  counts: Counts;
  seconds: number;
  ping: { count: number; p50: number; p99: number; max: number };
  rss: { baselineMiB: number; peakMiB: number; afterMiB: number };
  heap: { usedMiB: number; totalMiB: number; externalMiB: number } | null;
  fds: { baseline: number; peak: number; after: number; settledMs: number | null };
  statuses: Record<string, Record<string, number>>;
}
export function runScenario(options: {
  url: string;
  pid: number;
  counts: Counts;
  trickleEveryMs?: number;
  cutWithinMs: number;
  settleMs?: number;
  log?: (what: string) => void;
}): Promise<Report>;
export function failuresIn(statuses: Report['statuses']): string[];
export function formatReport(report: Report): string[];
