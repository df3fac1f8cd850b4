/**
 * What the web page shows of a tag: where it is visible (V1, V2, both, and the bridge's word on
 * why not), its size, creation time, architecture and layer count; and for the tag's own page
 * the manifest, the config, the layers, the V1 ancestry and the referrers. Read through the
 * protocols' own services, so a tag the bridge is still writing is settled first, as a client
 * asking for it would be.
 */
import { type Digest, parseDigest } from '../../checksums/digest.js';
import { RegistryError } from '../../errors/registry-error.js';
import { v1NameOf } from '../bridge/names.js';
import type { TagRecords } from '../bridge/tag-records.js';
import type { ImageService } from '../v1/images.js';
import type { TagService } from '../v1/tags.js';
import type { BlobStore } from '../v2/blobs.js';
import type { ManifestService, StoredManifest } from '../v2/manifests.js';
import type { ReferrersService } from '../v2/referrers.js';
import type { LayerRow, RepositoryEntry, TagDetail, TagPlace, TagSummary } from './view-types.js';

export type { TagDetail, TagPlace, TagSummary };

export interface TagViewDeps {
  v1: { tags: TagService; images: ImageService };
  v2: { manifests: ManifestService; blobs: BlobStore; referrers: ReferrersService };
  records: TagRecords | null;
}

/** Configs larger than this are not read for the page (an image config is a few KiB). */
const CONFIG_MAX = 1 << 20;
/** V1 ancestries longer than this are not walked for a size (Docker caps image depth at 127). */
const ANCESTRY_MAX = 128;

export class TagView {
  constructor(private readonly deps: TagViewDeps) {}

  /** Tag names of both sides, sorted, with where each lives. */
  async tagsOf(repo: RepositoryEntry): Promise<TagPlace[]> {
    const tags = new Map<string, TagPlace>();
    const row = (tag: string): TagPlace => tags.get(tag) ?? (tags.set(tag, { tag, v1: null, v2: null }).get(tag) as TagPlace);
    if (repo.v1) {
      const v1tags = await this.deps.v1.tags.list(v1NameOf(repo.name)).catch(notFoundAs({} as Record<string, string>));
      for (const [tag, id] of Object.entries(v1tags)) row(tag).v1 = id;
    }
    for (const name of repo.v2) {
      for (const tag of await this.deps.v2.manifests.tags(name).catch(notFoundAs([] as string[]))) {
        const r = row(tag);
        r.v2 ??= name;
      }
    }
    return [...tags.values()].sort((a, b) => (a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : 0));
  }

  async summary(key: string, where: TagPlace): Promise<TagSummary> {
    return (await this.read(key, where)).summary;
  }

  async detail(key: string, where: TagPlace): Promise<TagDetail> {
    const { summary, manifest } = await this.read(key, where);
    const detail: TagDetail = { ...summary, manifest: null, config: null, layerList: [], platforms: [], ancestry: null, referrers: [] };
    if (manifest && summary.v2) {
      const doc = JSON.parse(manifest.bytes.toString('utf8')) as Record<string, unknown>;
      detail.manifest = JSON.stringify(doc, null, 2);
      detail.layerList = layersOf(doc);
      detail.platforms = manifest.info.children.map((c) => ({ digest: c.digest.value, platform: platformName(c.platform), size: c.size }));
      const config = descriptorOf(doc.config);
      if (config) {
        const bytes = await this.configBytes(config);
        detail.config = { digest: config.digest.value, mediaType: config.mediaType, json: bytes ? prettyJson(bytes) : null };
      }
      detail.referrers = await this.deps.v2.referrers.list(summary.v2.name, manifest.digest).catch(() => []);
    }
    if (where.v1) detail.ancestry = await this.ancestryOf(where.v1);
    return detail;
  }

  private async read(key: string, where: TagPlace) {
    const record = this.deps.records ? await this.deps.records.get(key, where.tag) : null;
    const summary: TagSummary = {
      tag: where.tag,
      visibility: where.v1 && where.v2 ? 'both' : where.v1 ? 'v1' : 'v2',
      bridge: record ? { source: record.source, state: record.state, ...(record.reason ? { reason: record.reason } : {}) } : null,
      v1: where.v1 ? { id: where.v1 } : null,
      v2: null,
      size: null,
      created: null,
      architecture: null,
      layers: null,
    };
    let manifest: StoredManifest | null = null;
    if (where.v2) {
      manifest = await this.manifestOf(where.v2, where.tag);
      if (manifest) {
        summary.v2 = { name: where.v2, digest: manifest.digest.value, mediaType: manifest.info.mediaType };
        Object.assign(summary, await this.v2Facts(manifest));
      }
    }
    if (!summary.v2 && where.v1) Object.assign(summary, await this.v1Facts(where.v1));
    return { summary, manifest };
  }

  private async manifestOf(name: string, tag: string): Promise<StoredManifest | null> {
    try {
      const digest = await this.deps.v2.manifests.resolve(name, { kind: 'tag', tag });
      return await this.deps.v2.manifests.load(name, digest);
    } catch (err) {
      if (err instanceof RegistryError) return null;
      throw err;
    }
  }

  private async v2Facts(manifest: StoredManifest): Promise<Partial<TagSummary>> {
    const doc = JSON.parse(manifest.bytes.toString('utf8')) as Record<string, unknown>;
    if (manifest.info.kind === 'index') {
      const children = manifest.info.children;
      return { size: children.reduce((n, c) => n + c.size, 0), architecture: children.map((c) => platformName(c.platform)).join(', ') || null };
    }
    if (manifest.info.kind === 'schema1') {
      const first = Array.isArray(doc.history) ? (doc.history[0] as { v1Compatibility?: string } | undefined)?.v1Compatibility : undefined;
      const v1c = first ? safeJson(first) : null;
      return { architecture: str(doc.architecture), created: str(v1c?.created), layers: Array.isArray(doc.fsLayers) ? doc.fsLayers.length : null };
    }
    const layers = layersOf(doc);
    const config = descriptorOf(doc.config);
    const facts: Partial<TagSummary> = { layers: layers.length, size: layers.reduce((n, l) => n + l.size, config?.size ?? 0) };
    const bytes = config ? await this.configBytes(config) : null;
    const parsed = bytes ? safeJson(bytes.toString('utf8')) : null;
    if (parsed)
      Object.assign(facts, {
        created: str(parsed.created),
        architecture:
          platformName({ os: str(parsed.os) ?? undefined, architecture: str(parsed.architecture) ?? undefined, variant: str(parsed.variant) ?? undefined }) ||
          null,
      });
    return facts;
  }

  private async v1Facts(id: string): Promise<Partial<TagSummary>> {
    const ancestry = await this.ancestryOf(id);
    const own = ancestry?.[0];
    const json = await this.deps.v1.images.getJson(id).then(
      (i) => safeJson(i.json.toString('utf8')),
      () => null,
    );
    return {
      created: own?.created ?? null,
      architecture: str(json?.architecture) ?? (json ? 'amd64' : null),
      layers: ancestry?.length ?? null,
      size: ancestry?.every((a) => a.size !== null) ? ancestry.reduce((n, a) => n + (a.size ?? 0), 0) : null,
    };
  }

  private async ancestryOf(id: string): Promise<TagDetail['ancestry']> {
    const ids = await this.deps.v1.images.getAncestry(id).catch(() => null);
    if (!ids) return null;
    return Promise.all(
      ids.slice(0, ANCESTRY_MAX).map(async (a) => {
        const info = await this.deps.v1.images.getJson(a).catch(() => null);
        const json = info ? safeJson(info.json.toString('utf8')) : null;
        return { id: a, size: info?.size ?? null, created: str(json?.created) };
      }),
    );
  }

  private async configBytes(config: { digest: Digest; size: number }): Promise<Buffer | null> {
    if (config.size > CONFIG_MAX) return null;
    return this.deps.v2.blobs.getSmall(config.digest).catch(() => null);
  }
}

function notFoundAs<T>(value: T) {
  return (err: unknown): T => {
    if (err instanceof RegistryError && err.status === 404) return value;
    throw err;
  };
}

function descriptorOf(value: unknown): { digest: Digest; size: number; mediaType: string } | null {
  const v = value as { digest?: unknown; size?: unknown; mediaType?: unknown } | null | undefined;
  const digest = parseDigest(typeof v?.digest === 'string' ? v.digest : null);
  if (!digest || typeof v?.size !== 'number') return null;
  return { digest, size: v.size, mediaType: typeof v.mediaType === 'string' ? v.mediaType : '' };
}

function layersOf(doc: Record<string, unknown>): LayerRow[] {
  const list = Array.isArray(doc.layers) ? doc.layers : Array.isArray(doc.blobs) ? doc.blobs : [];
  return list.flatMap((l) => {
    const d = descriptorOf(l);
    return d ? [{ digest: d.digest.value, size: d.size, mediaType: d.mediaType }] : [];
  });
}

function platformName(p: { os?: string | undefined; architecture?: string | undefined; variant?: string | undefined } | undefined): string {
  return [p?.os, p?.architecture, p?.variant].filter(Boolean).join('/');
}

function safeJson(text: string): Record<string, unknown> | null {
  try {
    const v = JSON.parse(text) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

function prettyJson(bytes: Buffer): string {
  const v = safeJson(bytes.toString('utf8'));
  return v ? JSON.stringify(v, null, 2) : bytes.toString('utf8');
}

function str(v: unknown): string | null {
  return typeof v === 'string' && v !== '' ? v : null;
}
