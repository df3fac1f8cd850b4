/**
 * Where the gunicorn-format access lines go (access_log_file; `-` or absent: stdout). Each line
 * is one synchronous append: lines of several workers never interleave (O_APPEND), and none
 * is lost when a worker exits right after its last request.
 */
import fs from 'node:fs';
import type { Config } from '../config/load.js';
import { type AccessFields, compileAccessFormat } from './gunicorn-format.js';

export type AccessLine = (fields: AccessFields) => void;

/** The writer of gunicorn-format lines, when access_log_format is set; null for the JSON access log alone. */
export function gunicornAccessLog(config: Readonly<Pick<Config, 'access_log_format' | 'access_log_file'>>): AccessLine | null {
  if (!config.access_log_format) return null;
  const render = compileAccessFormat(config.access_log_format);
  const file = config.access_log_file;
  const fd = file && file !== '-' ? fs.openSync(file, 'a') : 1;
  return (fields) => {
    try {
      fs.writeSync(fd, `${render(fields)}\n`);
    } catch {
      // A full disk or a closed stdout must not fail the request that is being logged.
    }
  };
}
