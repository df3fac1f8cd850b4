// STUB (replaced by the auth-core branch)
import type { Logger } from '../logging/logger.js';
export class HtpasswdFile {
  constructor(
    readonly path: string,
    readonly log: Logger,
  ) {}
  async verify(_user: string, _password: string): Promise<boolean> {
    return false;
  }
  close(): void {}
}
