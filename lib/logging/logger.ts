/**
 * The root logger: JSON lines on stdout (pino). Request handlers log through a child that
 * carries the request id.
 */
import { type LevelWithSilent, type Logger, pino } from 'pino';

export type { Logger };

export function createLogger(level: LevelWithSilent, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { name: 'berth', pid: process.pid }, // the pid tells wsgi-compat's workers apart
      redact: { paths: ['req.headers.authorization', 'req.headers.cookie', '*.password', '*.smtp_password', '*.s3_secret_key'], censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination ?? pino.destination({ fd: 1, sync: false }),
  );
}
