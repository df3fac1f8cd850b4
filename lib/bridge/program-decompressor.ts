/**
 * bzip2 and zstd decompression by their programs: Node 20 has neither codec, and V1 layers in
 * those formats are rare (bzip2 from hand-made uploads, which docker-registry stored as they
 * came; zstd only from V2 pushes), so a child process per layer is fine. The same shape as
 * lib/formats/xz-stream.ts, with one difference that matters when a stream is corrupt:
 * the program then quits before reading all its input, and a write to its stdin fails with
 * EPIPE. That error is swallowed here so that the failure reported is the program's own exit
 * status and message ("bzip2: Data integrity error…"), which says what was wrong.
 */
import { spawn } from 'node:child_process';
import { Duplex, PassThrough, Writable } from 'node:stream';
import { STREAM_CHUNK } from '../storage/driver.js';

export const bzip2Decompressor = (): Duplex => programDecompressor('bzip2', ['-d', '-c', '-q'], 'bzip2');
export const zstdDecompressor = (): Duplex => programDecompressor('zstd', ['-d', '-c', '-q'], 'zstd');

/** `program args…` as a Duplex: compressed bytes in, decompressed out; the output ends only after a 0 exit. */
export function programDecompressor(program: string, args: readonly string[], debianPackage: string): Duplex {
  const child = spawn(program, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr = (stderr + String(d)).slice(-1000);
  });
  child.stdin.on('error', () => {}); // EPIPE: the exit status below says why the program stopped reading
  const input = new Writable({
    highWaterMark: STREAM_CHUNK,
    // One chunk in flight: the callback waits until the pipe has taken it, so a slow program
    // slows the writer instead of filling memory.
    write(chunk: Buffer, _enc, cb) {
      if (child.stdin.destroyed || !child.stdin.writable) return cb();
      child.stdin.write(chunk, () => cb());
    },
    final(cb) {
      child.stdin.end();
      cb();
    },
  });
  const output = new PassThrough({ highWaterMark: STREAM_CHUNK });
  child.stdout.pipe(output, { end: false });
  const duplex = Duplex.from({ writable: input, readable: output });
  child.once('error', (err: NodeJS.ErrnoException) => {
    duplex.destroy(err.code === 'ENOENT' ? new Error(`the ${program} program is not installed (Debian: ${debianPackage})`) : err);
  });
  // 'close': the process exited and its stdout is drained, so every byte is in `output` by now.
  child.once('close', (code, signal) => {
    if (code === 0) output.end();
    else if (!duplex.destroyed) duplex.destroy(new Error(`${program} ${signal ? `killed by ${signal}` : `exited with ${code}`}: ${stderr.trim()}`));
  });
  // Whoever stops reading early must not leave the program running.
  duplex.once('close', () => {
    if (child.exitCode === null && child.signalCode === null) child.kill();
  });
  return duplex;
}
