// Test data made on the spot, for streams too large to keep as fixtures.
import { createHash } from 'node:crypto';

/** Bytes that do not compress, made quickly and the same on every run: a sha256 chain. */
export function incompressible(size: number): Buffer {
  const out = Buffer.alloc(size);
  let block = createHash('sha256').update('seed').digest();
  for (let at = 0; at < size; at += block.length) {
    block.copy(out, at);
    block = createHash('sha256').update(block).digest();
  }
  return out;
}

/** Text that gzip shrinks about as much as a typical layer (3–4×): file-listing-like lines. */
export function layerLike(size: number): Buffer {
  const lines: string[] = [];
  let length = 0;
  for (let n = 0; length < size; n++) {
    const line = `/usr/lib/x86_64-linux-gnu/lib${n % 977}.so.${n % 7} ${createHash('sha256').update(String(n)).digest('hex').slice(0, 24)} rw-r--r-- root\n`;
    lines.push(line);
    length += line.length;
  }
  return Buffer.from(lines.join('')).subarray(0, size);
}
