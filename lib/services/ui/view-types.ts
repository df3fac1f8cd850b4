/**
 * What the web page's JSON API answers (lib/http/routes/ui.ts), as plain types: the services
 * build them and the page (web/api.ts) reads them, from this one file. It imports nothing that
 * needs Node, so the browser code can use it.
 */
import type { ClientEntry } from '../activity/client-activity.js';

export type { ClientEntry };

/** A referrer of a manifest, as the referrers API lists it. */
export interface ReferrerRow {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
}

export interface RepositoryEntry {
  /** the key: `ns/repo` */
  name: string;
  /** a V1 repository directory exists */
  v1: boolean;
  /** the V2 repositories (with manifests) that are this one: `x`, `library/x` */
  v2: string[];
}

export interface RepositoryPage {
  total: number;
  page: number;
  pageSize: number;
  items: RepositoryEntry[];
}

export type Visibility = 'v1' | 'v2' | 'both';

/** Where a tag lives: the V1 image id it names, the V2 repository that has it. */
export interface TagPlace {
  tag: string;
  v1: string | null;
  v2: string | null;
}

export interface TagSummary {
  tag: string;
  visibility: Visibility;
  /** the bridge's record of the tag: which side wrote it, and whether the other shows it */
  bridge: { source: 'v1' | 'v2'; state: 'pending' | 'done' | 'not-bridgeable'; reason?: string } | null;
  v1: { id: string } | null;
  v2: { name: string; digest: string; mediaType: string } | null;
  size: number | null;
  created: string | null;
  architecture: string | null;
  layers: number | null;
}

export interface LayerRow {
  digest: string;
  size: number;
  mediaType: string;
}

export interface TagDetail extends TagSummary {
  /** the stored manifest, pretty-printed */
  manifest: string | null;
  config: { digest: string; mediaType: string; json: string | null } | null;
  layerList: LayerRow[];
  /** an index's entries */
  platforms: Array<{ digest: string; platform: string; size: number }>;
  ancestry: Array<{ id: string; size: number | null; created: string | null }> | null;
  referrers: ReferrerRow[];
}

export interface Counts {
  v1Only: number;
  both: number;
  v2Only: number;
  /** written on one side, the other side not yet shown */
  pending: number;
  /** reason → tags */
  notBridgeable: Record<string, number>;
}

export interface MigrationCounts extends Counts {
  repositories: number;
  /** the walk stopped at its time bound: the counts cover part of the store */
  partial: boolean;
  computedAt: string;
}

export interface RepositoryView {
  name: string;
  v1: boolean;
  v2: string[];
  total: number;
  page: number;
  pageSize: number;
  tags: TagSummary[];
}

/** The answers of the routes: what the services give, and what only the route knows (the caller's rights, the config). */
export type RepositoryReply = RepositoryView & { mayDelete: boolean };
export type TagReply = TagDetail & { name: string; mayDelete: boolean };
export interface MigrationReply {
  counts: MigrationCounts;
  clients: ClientEntry[];
  recordsAddresses: boolean;
}
