/**
 * Every V1 repository in storage, from the `repositories/<ns>/<repo>` tree (both layouts: the
 * stored names are unquoted as docker-registry wrote them), as `ns/repo`.
 */
import { listOrEmpty, type StorageDriver } from '../../storage/driver.js';
import { REPOSITORIES } from '../../storage/paths.js';
import { unquoteStored } from '../../storage/py-quote.js';

export async function listV1Repositories(storage: StorageDriver, signal?: AbortSignal): Promise<string[]> {
  const names: string[] = [];
  for (const nsDir of await listOrEmpty(storage, REPOSITORIES, signal)) {
    for (const repoDir of await listOrEmpty(storage, nsDir, signal)) {
      const [, ns, repo] = repoDir.split('/');
      names.push(`${unquoteStored(ns as string)}/${unquoteStored(repo as string)}`);
    }
  }
  return names;
}
