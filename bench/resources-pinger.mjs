// GET <url>/v1/_ping every <everyMs> on one kept-alive connection, in a process of its own so
// that the load generator's work does not delay it, until stdin closes; then one JSON line:
// { latencies: [ms…], statuses: { status: count } }. Used by bench/resources-scenario.mjs.
import http from 'node:http';

const [url, everyMs = '50'] = process.argv.slice(2);
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const latencies = [];
const statuses = {};
let running = true;
process.stdin.on('end', () => {
  running = false;
});
process.stdin.resume();

function ping() {
  return new Promise((resolve) => {
    const started = performance.now();
    const req = http.get(`${url}/v1/_ping`, { agent }, (res) => {
      res.resume();
      res.on('end', () => resolve([res.statusCode, performance.now() - started]));
    });
    req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(['error', performance.now() - started]));
  });
}

while (running) {
  const [status, ms] = await ping();
  latencies.push(ms);
  statuses[status] = (statuses[status] ?? 0) + 1;
  await new Promise((r) => setTimeout(r, Number(everyMs)));
}
agent.destroy();
process.stdout.write(`${JSON.stringify({ latencies, statuses })}\n`);
