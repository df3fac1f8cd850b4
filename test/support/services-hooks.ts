/** Mocha root hooks: stop the shared RGW/Glance instances once, after all suites. */
import { stopSharedServices } from './services.js';

export const mochaHooks = {
  async afterAll(this: Mocha.Context) {
    // rgw stops its three daemons one at a time (~6 s, up to ~36 s), beyond mocha's default timeout.
    this.timeout(60_000);
    await stopSharedServices();
  },
};
