import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { sendFile } from '../../lib/http/send-file.js';
import type { LocalFile } from '../../lib/storage/driver.js';

const MiB = 1 << 20;

/** A server that sends bytes [start, start + length) of `file` (told `size`) with sendFile; its opened files. */
async function serve(file: string, start: number, length: number, size?: number) {
  const opened: LocalFile[] = [];
  const server = http.createServer(async (_req, res) => {
    const handle = await fs.open(file, 'r');
    const local: LocalFile = { handle, size: size ?? (await handle.stat()).size };
    opened.push(local);
    res.setHeader('Content-Length', String(length));
    sendFile(res, local, start, length);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  return { url, opened, close: () => new Promise((r) => server.close(r)) };
}

/** fd is -1 once a FileHandle is closed; waits up to 5 s. */
async function closedSoon(handle: LocalFile['handle']): Promise<boolean> {
  for (let i = 0; i < 100 && handle.fd !== -1; i++) await new Promise((r) => setTimeout(r, 50));
  return handle.fd === -1;
}

describe('sending a local file (http/send-file.ts)', () => {
  let dir: string;
  let file: string;
  const data = randomBytes(5 * MiB + 123);
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'berth-send-file-'));
    file = path.join(dir, 'blob');
    writeFileSync(file, data);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('sends the whole file, several buffers of it, in order, and closes it', async () => {
    const s = await serve(file, 0, data.length);
    try {
      const res = await fetch(s.url);
      assert.ok(Buffer.from(await res.arrayBuffer()).equals(data));
      assert.ok(await closedSoon((s.opened[0] as LocalFile).handle));
    } finally {
      await s.close();
    }
  });

  it('sends a range from the middle', async () => {
    const s = await serve(file, MiB + 7, 2 * MiB + 11);
    try {
      const body = Buffer.from(await (await fetch(s.url)).arrayBuffer());
      assert.ok(body.equals(data.subarray(MiB + 7, 3 * MiB + 18)));
    } finally {
      await s.close();
    }
  });

  it('a client that goes away stops the reads and the file is closed', async () => {
    const s = await serve(file, 0, data.length);
    try {
      await new Promise<void>((resolve, reject) => {
        const req = http.get(s.url, (res) => {
          res.once('data', () => {
            req.destroy();
            resolve();
          });
        });
        req.on('error', (err) => ((err as NodeJS.ErrnoException).code === 'ECONNRESET' ? resolve() : reject(err)));
      });
      for (let i = 0; i < 100 && s.opened.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
      assert.ok(await closedSoon((s.opened[0] as LocalFile).handle));
    } finally {
      await s.close();
    }
  });

  it('a file shorter than promised cuts the response rather than ending it short', async () => {
    const s = await serve(file, 0, data.length + MiB, data.length + MiB);
    try {
      await assert.rejects(async () => {
        const res = await fetch(s.url);
        await res.arrayBuffer();
      });
      assert.ok(await closedSoon((s.opened[0] as LocalFile).handle));
    } finally {
      await s.close();
    }
  });
});
