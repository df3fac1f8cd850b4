/**
 * Mocha root hooks: stop the shared RGW/Glance instances once, after all suites, then any
 * server a failed test left running, and only then remove the tests' temp dirs (nothing uses
 * them any more); and fail the run if any promise was rejected with nobody listening. `node dist` treats an unhandled
 * rejection as a crash (lib/index.ts), so one in a test is either a bug that would end a
 * server or a test that observes a failure too late.
 */
import { quietAwsNodeVersionWarning } from '../../lib/config/aws-sdk-env.js';
import { removeTempDirs } from './config.js';
import { killLeftoverServers } from './process.js';
import { stopSharedServices } from './services.js';

// The tests make S3 clients of their own (buckets on RGW), as Berth does; keep the SDK's Node 20
// notice out of the run's output as Berth keeps it out of its own (lib/config/aws-sdk-env.ts).
quietAwsNodeVersionWarning();

const unhandled: unknown[] = [];
process.on('unhandledRejection', (reason) => {
  unhandled.push(reason);
});

export const mochaHooks = {
  async afterAll(this: Mocha.Context) {
    // rgw stops its three daemons one at a time (~6 s, up to ~36 s), beyond mocha's default timeout.
    this.timeout(60_000);
    await stopSharedServices();
    const killed = await killLeftoverServers();
    if (killed > 0) process.stderr.write(`killed ${killed} server process(es) a test left running\n`);
    const kept = await removeTempDirs();
    if (kept.length > 0) process.stderr.write(`could not remove ${kept.length} temp dir(s), e.g. ${kept[0]}\n`);
    if (unhandled.length > 0) {
      const shown = unhandled.slice(0, 5).map((r) => (r instanceof Error ? (r.stack ?? r.message) : String(r)));
      throw new Error(`${unhandled.length} promise rejection(s) went unhandled during the run:\n${shown.join('\n---\n')}`);
    }
  },
};
