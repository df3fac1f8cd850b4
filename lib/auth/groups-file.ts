// STUB (replaced by the auth-core branch)
import type { Logger } from '../logging/logger.js';
export class GroupsFile {
  constructor(
    readonly path: string,
    readonly log: Logger,
  ) {}
  groupsOf(_user: string): string[] {
    return [];
  }
  close(): void {}
}
