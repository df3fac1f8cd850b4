/** A logger whose lines a test can read back, parsed. */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { Logger } from '../../lib/logging/logger.js';

export interface LogLine {
  level: number;
  msg?: string;
  [field: string]: unknown;
}

export const LEVEL = { info: 30, warn: 40, error: 50 } as const;

export function capturingLogger(): { log: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(line) as LogLine);
      done();
    },
  });
  return { log: pino({ level: 'info' }, sink), lines };
}
