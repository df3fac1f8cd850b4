/**
 * xz decompression as a stream, by the `xz` program (xz-utils): Node has no xz codec, and the
 * layers that need it (Docker 0.4–0.5 pushed xz tars) are rare enough that a child process per
 * read is fine. Bytes flow through pipes, never whole in memory; a corrupt stream or a missing
 * program is an error on the stream.
 */
import { spawn } from 'node:child_process';
import { Duplex } from 'node:stream';

export function xzDecompressor(): Duplex {
  const child = spawn('xz', ['--decompress', '--stdout', '--quiet'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr = (stderr + String(d)).slice(-1000);
  });
  const duplex = Duplex.from({ writable: child.stdin, readable: child.stdout });
  child.once('error', (err: NodeJS.ErrnoException) => {
    duplex.destroy(err.code === 'ENOENT' ? new Error('xz-compressed layer, but the xz program is not installed (Debian: xz-utils)') : err);
  });
  child.once('exit', (code, signal) => {
    if (code !== 0 && !duplex.destroyed) duplex.destroy(new Error(`xz ${signal ? `killed by ${signal}` : `exited with ${code}`}: ${stderr.trim()}`));
  });
  // Whoever stops reading early (an error elsewhere in the pipeline) must not leave xz running.
  duplex.once('close', () => {
    if (child.exitCode === null && child.signalCode === null) child.kill();
  });
  return duplex;
}
