/**
 * Delete V2 upload sessions started more than `maxAgeMs` ago (or with no readable start
 * time): the sweep of scripts/purge-uploads and of the server's upload-purge job. Returns the
 * `<name>/<uuid>` of each; with `dryRun` nothing is deleted.
 */

import { walkRepositories } from '../services/v2/repository-walk.js';
import { deleteIfExists, listOrEmpty, type StorageDriver } from '../storage/driver.js';
import { v2 } from '../storage/paths.js';

export async function purgeUploads(
  storage: StorageDriver,
  maxAgeMs: number,
  options: { now?: number; dryRun?: boolean; signal?: AbortSignal } = {},
): Promise<string[]> {
  const { now = Date.now(), dryRun = false, signal } = options;
  const purged: string[] = [];
  for await (const repo of walkRepositories(storage, signal)) {
    if (!repo.parts.has('_uploads')) continue;
    for (const dir of await listOrEmpty(storage, v2.uploads(repo.name), signal)) {
      const uuid = dir.slice(dir.lastIndexOf('/') + 1);
      const started = await storage.getContent(v2.uploadStartedAt(repo.name, uuid), signal).then(
        (b) => Date.parse(b.toString('utf8').trim()),
        () => Number.NaN,
      );
      if (Number.isNaN(started) || now - started > maxAgeMs) {
        if (!dryRun) await deleteIfExists(storage, dir, signal);
        purged.push(`${repo.name}/${uuid}`);
      }
    }
  }
  return purged;
}
