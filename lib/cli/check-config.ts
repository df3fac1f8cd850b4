/**
 * `node dist --check-config [--connect]`: the server's startup checks (preflight.ts) without
 * the server, and the effective settings printed with secrets redacted, for a ticket. Only
 * `--connect` opens anything: it lists the storage root, and a storage that does not answer
 * ends the check with exit 69 (EX_UNAVAILABLE), apart from config errors' 78.
 */
import type { LoadedConfig } from '../config/load.js';
import { redactedConfig } from '../config/summary.js';
import { CHECK_TIMEOUT_MS, withTimeout } from '../services/status.js';
import { isNotFound } from '../storage/errors.js';
import { createStorage } from '../storage/factory.js';

export const EX_UNAVAILABLE = 69;

export async function checkConfig({ config, warnings }: LoadedConfig, connect: boolean): Promise<number> {
  const storage = connect ? await tryStorage(config) : undefined;
  const ok = storage === undefined || storage === 'ok';
  const report = { ok, warnings, ...(connect ? { connect: { storage } } : {}), config: redactedConfig(config) };
  console.log(JSON.stringify(report, null, 2));
  if (ok) return 0;
  console.error(`berth: the ${config.storage} storage did not answer: ${storage}`);
  return EX_UNAVAILABLE;
}

/** 'ok' when the storage root could be listed (an empty store counts), else what went wrong. */
async function tryStorage(config: LoadedConfig['config']): Promise<string> {
  const storage = createStorage(config);
  const listed = storage.list('').then(
    () => null,
    (err: unknown) => (isNotFound(err) ? null : (err as Error).message),
  );
  try {
    return (await withTimeout(listed, CHECK_TIMEOUT_MS)) ?? 'ok';
  } finally {
    await storage.close();
  }
}
