/** Real layers for tests: tars made with tar-stream, gzip-compressed as Docker clients send them. */
import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';

export const sha256hex = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');
export const sha256of = (data: Buffer | string) => `sha256:${sha256hex(data)}`;

/** An uncompressed tar of `files` (name → content), with a fixed mtime so the bytes never change. */
export async function tarOf(files: Record<string, string | Buffer>): Promise<Buffer> {
  const p = pack();
  const chunks: Buffer[] = [];
  p.on('data', (c: unknown) => {
    chunks.push(c as Buffer);
  });
  const done = new Promise<void>((resolve, reject) => {
    p.on('end', resolve);
    p.on('error', reject);
  });
  for (const [name, content] of Object.entries(files)) {
    await new Promise<void>((resolve, reject) =>
      p.entry({ name, mtime: new Date(1436400000 * 1000), mode: 0o644, uid: 0, gid: 0 }, content, (err) => (err ? reject(err) : resolve())),
    );
  }
  p.finalize();
  await done;
  return Buffer.concat(chunks);
}

/** A gzip layer of `files`: the bytes, and its DiffID (sha256 of the tar). */
export async function gzipLayer(files: Record<string, string | Buffer>): Promise<{ bytes: Buffer; tar: Buffer; diffId: string; digest: string }> {
  const tar = await tarOf(files);
  const bytes = gzipSync(tar);
  return { bytes, tar, diffId: sha256of(tar), digest: sha256of(bytes) };
}

export const gunzip = (data: Buffer) => gunzipSync(data);
