/**
 * xz decompression as a stream, by the `xz` program (xz-utils): Node has no xz codec, and the
 * layers that need it (Docker 0.4–0.5 pushed xz tars) are rare enough that a child process per
 * read is fine. Bytes flow through pipes, never whole in memory. The output ends only after xz
 * exited with 0: a corrupt stream is an error, not a short result.
 */
import { spawn } from 'node:child_process';
import { Duplex, PassThrough } from 'node:stream';

export function xzDecompressor(): Duplex {
  const child = spawn('xz', ['--decompress', '--stdout', '--quiet'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr = (stderr + String(d)).slice(-1000);
  });
  const output = new PassThrough();
  child.stdout.pipe(output, { end: false });
  const duplex = Duplex.from({ writable: child.stdin, readable: output });
  child.once('error', (err: NodeJS.ErrnoException) => {
    duplex.destroy(err.code === 'ENOENT' ? new Error('xz-compressed layer, but the xz program is not installed (Debian: xz-utils)') : err);
  });
  // 'close': the process exited and its stdout is drained, so every byte is in `output` by now.
  child.once('close', (code, signal) => {
    if (code === 0) output.end();
    else if (!duplex.destroyed) duplex.destroy(new Error(`xz ${signal ? `killed by ${signal}` : `exited with ${code}`}: ${stderr.trim()}`));
  });
  // Whoever stops reading early (an error elsewhere in the pipeline) must not leave xz running.
  duplex.once('close', () => {
    if (child.exitCode === null && child.signalCode === null) child.kill();
  });
  return duplex;
}
