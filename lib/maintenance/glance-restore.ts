/**
 * Operator work on a Glance store, behind `scripts/glance-restore`: move the image objects a
 * Glance outage left on `storage_alternate` back into Glance, and delete the staging images of
 * layer uploads that never finished. Safe while the server runs, and again after an
 * interruption: an object leaves the alternate only once Glance has it. The driver knows the
 * layout (GlanceDriver.keepsInGlance, moveIntoGlance, stagingUploads); what to move, in which
 * order, and what counts as abandoned is decided here.
 */
import type { GlanceDriver } from '../storage/drivers/glance.js';
import { StorageError } from '../storage/errors.js';

export interface GlanceRestoreOptions {
  /** list what would be moved or deleted, change nothing */
  dryRun?: boolean | undefined;
  /** age after which an unfinished layer upload counts as abandoned */
  stagingAgeMs: number;
  /** told of each object as soon as Glance has it */
  onMoved?: ((path: string) => void) | undefined;
  signal?: AbortSignal | undefined;
}

export interface GlanceRestoreResult {
  dryRun: boolean;
  /** objects moved into Glance (or, on a dry run, to move) */
  paths: string[];
  /** staging images deleted (or, on a dry run, to delete), as `name (id, status)` */
  staging: string[];
}

/** Restore, then sweep; stops at the first failure, and what was moved stays moved. */
export async function glanceRestore(glance: GlanceDriver, options: GlanceRestoreOptions): Promise<GlanceRestoreResult> {
  const { dryRun = false, stagingAgeMs, onMoved, signal } = options;
  const paths = dryRun ? await pendingRestore(glance, signal) : await restoreFromAlternate(glance, { onMoved, signal });
  const staging = await sweepStaging(glance, stagingAgeMs, { dryRun, signal });
  return { dryRun, paths, staging };
}

/** Image objects that landed on the alternate during a Glance outage (and belong in Glance). */
export async function pendingRestore(glance: GlanceDriver, signal?: AbortSignal): Promise<string[]> {
  const pending: string[] = [];
  for (const dir of await alternateList(glance, 'images', signal)) {
    for (const path of await alternateList(glance, dir, signal)) if (glance.keepsInGlance(path)) pending.push(path);
  }
  return pending;
}

/** Move every pending object into Glance. Returns the paths moved; stops at the first failure. */
export async function restoreFromAlternate(glance: GlanceDriver, options: Pick<GlanceRestoreOptions, 'onMoved' | 'signal'> = {}): Promise<string[]> {
  const moved: string[] = [];
  for (const path of await pendingRestore(glance, options.signal)) {
    await glance.moveIntoGlance(path, options.signal);
    moved.push(path);
    options.onMoved?.(path);
  }
  return moved;
}

/**
 * Staging images older than `olderThanMs`: layer uploads that a crash (or a cancel whose
 * delete failed) never finished. Deleted unless `dryRun`. Returns them as `name (id, status)`.
 */
export async function sweepStaging(
  glance: GlanceDriver,
  olderThanMs: number,
  options: Pick<GlanceRestoreOptions, 'dryRun' | 'signal'> = {},
): Promise<string[]> {
  const cutoff = Date.now() - olderThanMs;
  const stale = (await glance.stagingUploads(options.signal)).filter((img) => Date.parse(img.created_at) <= cutoff);
  if (!options.dryRun) for (const img of stale) await glance.abandonUpload(img, options.signal);
  return stale.map((img) => `${img.name} (${img.id}, ${img.status})`);
}

/** The alternate's listing of `dir`; none when it is missing or failing, as Glance's own reads treat a failing alternate. */
async function alternateList(glance: GlanceDriver, dir: string, signal?: AbortSignal): Promise<string[]> {
  try {
    return await glance.alternate.list(dir, signal);
  } catch (err) {
    if (err instanceof StorageError && (err.kind === 'not_found' || err.kind === 'driver_failure' || err.kind === 'unavailable')) return [];
    throw err;
  }
}
