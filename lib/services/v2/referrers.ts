/**
 * The referrers API (OCI distribution 1.1 end-12): the manifests of a repository whose
 * `subject` is a given digest, answered from the `_referrers` links written at push time.
 * The subject itself need not exist; an unknown one simply has no referrers.
 */

import type { Digest } from '../../checksums/digest.js';
import { listOrEmpty, type StorageDriver } from '../../storage/driver.js';
import { v2 } from '../../storage/paths.js';
import { readLink } from './blobs.js';
import type { ManifestService } from './manifests.js';

export interface ReferrerDescriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
}

export class ReferrersService {
  constructor(
    private readonly storage: StorageDriver,
    private readonly manifests: ManifestService,
  ) {}

  async list(name: string, subject: Digest, artifactType?: string, signal?: AbortSignal): Promise<ReferrerDescriptor[]> {
    const found: ReferrerDescriptor[] = [];
    for (const algDir of await listOrEmpty(this.storage, v2.referrers(name, subject), signal)) {
      for (const entry of await listOrEmpty(this.storage, algDir, signal)) {
        const digest = await readLink(this.storage, `${entry}/link`, signal);
        if (!digest) continue;
        // A referrer deleted by another path (or a half-finished delete) is skipped, not an error.
        const manifest = await this.manifests.load(name, digest, signal).catch(() => null);
        if (!manifest) continue;
        const { info } = manifest;
        const descriptor: ReferrerDescriptor = { mediaType: info.mediaType, digest: digest.value, size: manifest.bytes.length };
        const type = info.artifactType ?? (info.kind === 'image' ? info.configMediaType : undefined);
        if (type !== undefined) descriptor.artifactType = type;
        if (info.annotations) descriptor.annotations = info.annotations;
        if (artifactType === undefined || descriptor.artifactType === artifactType) found.push(descriptor);
      }
    }
    return found.sort((a, b) => (a.digest < b.digest ? -1 : a.digest > b.digest ? 1 : 0));
  }
}
