/**
 * A Berth process in the middle of a write, for a test to kill -9 (a crash) or leave running
 * (a live writer in another worker): `node --import tsx test/support/crashing-writer.ts <root> <key>`
 * opens a local-storage writer for <key>, writes 1 MiB, says `writing` and waits to be killed.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalDriver } from '../../lib/storage/drivers/local.js';

const THIS_FILE = fileURLToPath(import.meta.url);

export interface WriterProcess {
  pid: number;
  /** SIGKILL it and wait until it is gone */
  crash(): Promise<void>;
}

/** Start a writer process and wait until its temp file holds data. */
export async function startWriterProcess(root: string, key: string): Promise<WriterProcess> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', THIS_FILE, root, key], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (c) => {
      out += c;
      if (out.includes('writing')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`the writer process exited (${code}) before writing`)));
  });
  return {
    pid: child.pid as number,
    async crash() {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

if (process.argv[1] && path.resolve(process.argv[1]) === THIS_FILE) {
  const [root, key] = process.argv.slice(2) as [string, string];
  const writer = await new LocalDriver(root).writer(key);
  writer.stream.write(Buffer.alloc(1 << 20, 7), () => process.stdout.write('writing\n'));
  setInterval(() => {}, 60_000);
}
