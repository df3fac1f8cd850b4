// The floor for Berth's layer and blob transfers: a bare node:http server doing only the work
// a registry cannot skip. PUT /<name> streams the body into a new file beside its final name
// while hashing it with sha256, flushes it to disk and renames it into place; GET /<name>
// streams the file back in 1 MiB reads. No routing, auth, config, logging or storage
// abstraction. The benchmarks run it under the same client as Berth, so "Berth at N% of the
// bare server" is Berth's own overhead, apart from Node, loopback TCP and the disk.
// Run by bench/common.mjs (startBareServer); prints "listening on <url>".
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, promises as fs } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';

const dir = process.argv[2];
const file = (url) => path.join(dir, path.basename(new URL(url, 'http://x').pathname));

const server = http.createServer(async (req, res) => {
  try {
    const target = file(req.url);
    if (req.method === 'PUT') {
      const temp = `${target}.tmp`;
      const hash = createHash('sha256');
      req.on('data', (chunk) => hash.update(chunk));
      await pipeline(req, createWriteStream(temp, { highWaterMark: 1 << 20, flush: true }));
      await fs.rename(temp, target);
      res.end(hash.digest('hex'));
    } else {
      const { size } = await fs.stat(target);
      res.writeHead(200, { 'Content-Length': size, 'Content-Type': 'application/octet-stream' });
      await pipeline(createReadStream(target, { highWaterMark: 1 << 20 }), res);
    }
  } catch (err) {
    res.statusCode = 500;
    res.end(String(err));
  }
});
server.listen(0, '127.0.0.1', () => console.log(`listening on http://127.0.0.1:${server.address().port}`));
process.on('SIGTERM', () => process.exit(0));
