/**
 * A Berth process in the middle of a write, for a test to kill -9 (a crash) or leave running
 * (a live writer in another worker): `node --import tsx test/support/crashing-writer.ts <root> <key>`
 * opens a local-storage writer for <key>, writes 1 MiB, says `writing` and waits to be killed.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalDriver } from '../../lib/storage/drivers/local.js';
import { type ScriptProcess, startScript } from './process.js';

const THIS_FILE = fileURLToPath(import.meta.url);

export type WriterProcess = ScriptProcess;

/** Start a writer process and wait until its temp file holds data. */
export function startWriterProcess(root: string, key: string): Promise<WriterProcess> {
  return startScript(THIS_FILE, [root, key], 'writing');
}

if (process.argv[1] && path.resolve(process.argv[1]) === THIS_FILE) {
  const [root, key] = process.argv.slice(2) as [string, string];
  const writer = await new LocalDriver(root).writer(key);
  writer.stream.write(Buffer.alloc(1 << 20, 7), () => process.stdout.write('writing\n'));
  setInterval(() => {}, 60_000);
}
