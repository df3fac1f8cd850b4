/**
 * Large layers for transfer tests, written to a file as they are made, so no test holds one
 * whole in memory: a gzipped tar of one file of random bytes (which gzip cannot shrink, so the
 * layer is as large as asked), and the hashes Docker 1.x sends and checks, computed while
 * streaming.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { pack } from 'tar-stream';

const MiB = 1024 * 1024;

export interface LargeLayer {
  file: string;
  /** bytes of the gzipped layer (a little more than the content: tar and gzip framing) */
  size: number;
  /** hex sha256 of the layer file */
  sha256: string;
}

/** Write `file`: a tar.gz holding `contentBytes` random bytes as `data.bin`, made 1 MiB at a time. */
export async function writeLargeLayer(file: string, contentBytes: number): Promise<LargeLayer> {
  const tar = pack();
  const hash = createHash('sha256');
  let size = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      size += chunk.length;
      done(null, chunk);
    },
  });
  const written = pipeline(tar, createGzip({ level: 1 }), tap, createWriteStream(file));
  const entry = tar.entry({ name: 'data.bin', size: contentBytes, mode: 0o644, mtime: new Date(1436400000 * 1000) });
  for (let left = contentBytes; left > 0; left -= MiB) {
    const block = randomBytes(Math.min(MiB, left));
    if (left <= MiB) entry.end(block);
    else if (!entry.write(block)) await new Promise<void>((resolve) => entry.once('drain', () => resolve()));
  }
  tar.finalize();
  await written;
  return { file, size, sha256: hash.digest('hex') };
}

/** docker-registry's payload checksum of an image (`sha256:` of its JSON, a newline, the layer), reading the layer from its file. */
export async function payloadOfFile(json: Buffer, file: string): Promise<string> {
  const hash = createHash('sha256').update(json).update('\n');
  for await (const chunk of createReadStream(file, { highWaterMark: MiB })) hash.update(chunk as Buffer);
  return `sha256:${hash.digest('hex')}`;
}
