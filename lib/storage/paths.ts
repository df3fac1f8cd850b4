/**
 * The one module that knows where things live in storage. Everything else asks it.
 *
 * V1, as docker-registry 0.8.1+ wrote it (the path helpers of docker/docker-registry
 * `depends/docker-registry-core/docker_registry/core/driver.py` `Base`; every component passed
 * through `checkComponent`, that file's `check`, and the repository name quote_plus-ed once
 * more before that, `docker_registry/toolkit.py` `parse_repository_name`):
 *
 *   images/<id>/json            image JSON, byte-exact as uploaded
 *   images/<id>/layer           layer tar as uploaded
 *   images/<id>/ancestry        JSON list of ids, newest first
 *   images/<id>/_checksum       JSON list ["sha256:…"] (or a plain string from 0.6)
 *   images/<id>/_inprogress     present while an upload is unfinished
 *   images/<id>/_files          JSON list of tar members
 *   images/<id>/_diff           JSON object
 *   repositories/<ns>/<repo>/tag_<tag>         image id, plain text
 *   repositories/<ns>/<repo>/tag<tag>_json     tag metadata
 *   repositories/<ns>/<repo>/json              metadata of tag latest
 *   repositories/<ns>/<repo>/_index_images     index image list
 *   repositories/<ns>/<repo>/_images_list      ids the real index allows (token mode)
 *   repositories/<ns>/<repo>/_private          empty file: private repository
 *
 * V2, as the reference registry (distribution, "registry:2") lays it out under the same root
 * (github.com/distribution/distribution, registry/storage/paths.go), so a registry:2 tree is
 * served as it is:
 *
 *   docker/registry/v2/blobs/<alg>/<hex[0:2]>/<hex>/data                  content, written once
 *   docker/registry/v2/repositories/<name>/_layers/<alg>/<hex>/link        blob linked into the repository
 *   …/<name>/_manifests/revisions/<alg>/<hex>/link                         manifest of the repository
 *   …/<name>/_manifests/tags/<tag>/current/link                            digest the tag points at
 *   …/<name>/_manifests/tags/<tag>/index/<alg>/<hex>/link                  every digest it pointed at
 *   …/<name>/_uploads/<uuid>/startedat                                     RFC 3339 start of the upload
 *   …/<name>/_uploads/<uuid>/data                                          bytes received so far (local disk)
 *   …/<name>/_uploads/<uuid>/committed                                     Berth, local disk: length of `data` in whole chunks
 *   …/<name>/_uploads/<uuid>/parts/<offset>                                Berth, on S3/Glance: bytes of one PATCH, from <offset>
 *   …/<name>/_uploads/<uuid>/sums/<offset>                                 Berth, on S3/Glance: sha256 of that part
 *   …/<name>/_referrers/<alg>/<hex>/<alg>/<hex>/link                       Berth: manifest whose subject is the first digest
 *
 * registry:2 skips `_`-directories it does not know, so Berth's additions do not disturb it.
 * Names and tags have passed the grammars of lib/names/ before they get here.
 */
import type { Digest } from '../checksums/digest.js';
import { checkPath } from './driver.js';
import { StorageError } from './errors.js';
import { checkComponent, quotePlus } from './py-quote.js';

export const IMAGES = 'images';
export const REPOSITORIES = 'repositories';

const image = (id: string, file: string) => `${IMAGES}/${checkComponent(id)}/${file}`;

export const v1 = {
  imageDir: (id: string) => `${IMAGES}/${checkComponent(id)}`,
  imageJson: (id: string) => image(id, 'json'),
  imageLayer: (id: string) => image(id, 'layer'),
  imageAncestry: (id: string) => image(id, 'ancestry'),
  imageChecksum: (id: string) => image(id, '_checksum'),
  imageMark: (id: string) => image(id, '_inprogress'),
  imageFiles: (id: string) => image(id, '_files'),
  imageDiff: (id: string) => image(id, '_diff'),

  /** `repositories/<ns>/<repo>`: the repository name is quoted twice, as parse_repository_name + check() did. */
  repository: (ns: string, repo: string) => `${REPOSITORIES}/${checkComponent(ns)}/${checkComponent(quotePlus(repo))}`,
  tag: (ns: string, repo: string, tag: string) => `${v1.repository(ns, repo)}/tag_${checkComponent(tag)}`,
  tagJson: (ns: string, repo: string, tag: string) => `${v1.repository(ns, repo)}/tag${checkComponent(tag)}_json`,
  repositoryJson: (ns: string, repo: string) => `${v1.repository(ns, repo)}/json`,
  indexImages: (ns: string, repo: string) => `${v1.repository(ns, repo)}/_index_images`,
  imagesList: (ns: string, repo: string) => `${v1.repository(ns, repo)}/_images_list`,
  privateFlag: (ns: string, repo: string) => `${v1.repository(ns, repo)}/_private`,
} as const;

/**
 * Stores written before docker-registry 0.8.1 quoted the repository name once and the other
 * components not at all (`ns/my+repo` → `repositories/ns/my%2Brepo`). Names a Docker client
 * accepts ([a-z0-9-_.]) are the same either way; V1 lookups try these paths after the current ones.
 */
export const v1Pre081 = {
  repository: (ns: string, repo: string) => `${REPOSITORIES}/${ns}/${quotePlus(repo)}`,
  tag: (ns: string, repo: string, tag: string) => `${v1Pre081.repository(ns, repo)}/tag_${tag}`,
} as const;

/**
 * Whether a V1 repository's directory is a key every driver accepts in both layouts. The old
 * registry wrote whatever the URL said; names it could not store (`..` as a namespace, a
 * part over 255 bytes once quoted) are refused here rather than by a driver mid-request.
 */
export function v1RepositoryStorable(ns: string, repo: string): boolean {
  try {
    checkPath('layout', v1.repository(ns, repo));
    checkPath('layout', v1Pre081.repository(ns, repo));
    return true;
  } catch (err) {
    if (err instanceof StorageError) return false;
    throw err;
  }
}

export const V2_ROOT = 'docker/registry/v2';
export const V2_REPOSITORIES = `${V2_ROOT}/repositories`;

const repo = (name: string) => `${V2_REPOSITORIES}/${name}`;
const digestDir = (d: Digest) => `${d.algorithm}/${d.hex}`;
/** Offsets are zero-padded so that a sorted listing is in byte order. */
const partName = (offset: number) => String(offset).padStart(16, '0');

export const v2 = {
  blobData: (d: Digest) => `${V2_ROOT}/blobs/${d.algorithm}/${d.hex.slice(0, 2)}/${d.hex}/data`,
  repositories: V2_REPOSITORIES,
  repository: repo,
  layerLink: (name: string, d: Digest) => `${repo(name)}/_layers/${digestDir(d)}/link`,
  revisionLink: (name: string, d: Digest) => `${repo(name)}/_manifests/revisions/${digestDir(d)}/link`,
  tags: (name: string) => `${repo(name)}/_manifests/tags`,
  tag: (name: string, tag: string) => `${repo(name)}/_manifests/tags/${tag}`,
  tagCurrent: (name: string, tag: string) => `${repo(name)}/_manifests/tags/${tag}/current/link`,
  tagIndexLink: (name: string, tag: string, d: Digest) => `${repo(name)}/_manifests/tags/${tag}/index/${digestDir(d)}/link`,
  uploads: (name: string) => `${repo(name)}/_uploads`,
  upload: (name: string, uuid: string) => `${repo(name)}/_uploads/${uuid}`,
  uploadStartedAt: (name: string, uuid: string) => `${repo(name)}/_uploads/${uuid}/startedat`,
  uploadData: (name: string, uuid: string) => `${repo(name)}/_uploads/${uuid}/data`,
  uploadCommitted: (name: string, uuid: string) => `${repo(name)}/_uploads/${uuid}/committed`,
  uploadParts: (name: string, uuid: string) => `${repo(name)}/_uploads/${uuid}/parts`,
  uploadPart: (name: string, uuid: string, offset: number) => `${repo(name)}/_uploads/${uuid}/parts/${partName(offset)}`,
  uploadPartSum: (name: string, uuid: string, offset: number) => `${repo(name)}/_uploads/${uuid}/sums/${partName(offset)}`,
  referrers: (name: string, subject: Digest) => `${repo(name)}/_referrers/${digestDir(subject)}`,
  referrerLink: (name: string, subject: Digest, d: Digest) => `${repo(name)}/_referrers/${digestDir(subject)}/${digestDir(d)}/link`,
} as const;

/** Berth's own objects (not part of either registry's layout). */
export const berth = {
  /** the P-256 key schema1 manifests are signed with on the way out, shared by every worker */
  schema1SigningKey: 'berth/schema1-signing-key.pem',
  /** `berth gc`: the JSON of an unreferenced V1 image, set aside while the tags are read again */
  gcSetAside: 'berth/gc/json',
  gcSetAsideJson: (id: string) => `berth/gc/json/${checkComponent(id)}`,
  /** rewritten each time a blob already stored is linked into a repository (a mount, the bridge): gc spares it */
  gcLinked: (d: Digest) => `berth/gc/linked/${digestDir(d)}`,
  /** the clients each worker process saw (lib/services/activity), one file per writer, merged on read */
  activity: 'berth/activity',
  activityOf: (writer: string) => `berth/activity/${checkComponent(writer)}.json`,
} as const;

/**
 * The V1 ⇄ V2 bridge's own records, all under `berth/bridge/` (what it derives for the other
 * protocol lands in that protocol's own tree, as if a client had pushed it):
 *
 *   berth/bridge/layers/<v1 id>                   facts of a V1 image's layer: blob digest, size and
 *                                                 media type as V2 serves it, DiffID (or why it has none)
 *   berth/bridge/blobs/<alg>/<hex>                a V2 blob whose bytes are a V1 layer: the V1 image id
 *                                                 (the layer is not copied)
 *   berth/bridge/v1-layers/<v1 id>                a V1 image made from a V2 image: the V2 blob its layer is
 *   berth/bridge/tags/<ns>/<repo>/_tags/<tag>     which side wrote the tag last, and where the sync stands
 *   berth/bridge/tags/<ns>/<repo>/_pending/<tag>  present while the other side does not show that write yet
 *   berth/bridge/alternates/<v2 name>/_tags/<tag> the OCI and schema1 forms of the schema2 manifest a V1 tag shows
 */
const BRIDGE = 'berth/bridge';

export const bridge = {
  root: BRIDGE,
  layerFacts: (id: string) => `${BRIDGE}/layers/${checkComponent(id)}`,
  blobAlias: (d: Digest) => `${BRIDGE}/blobs/${digestDir(d)}`,
  v1Layer: (id: string) => `${BRIDGE}/v1-layers/${checkComponent(id)}`,
  tags: `${BRIDGE}/tags`,
  repositoryTags: (name: string) => `${BRIDGE}/tags/${name}/_tags`,
  tag: (name: string, tag: string) => `${BRIDGE}/tags/${name}/_tags/${tag}`,
  pendingTags: (name: string) => `${BRIDGE}/tags/${name}/_pending`,
  pendingTag: (name: string, tag: string) => `${BRIDGE}/tags/${name}/_pending/${tag}`,
  alternates: (name: string, tag: string) => `${BRIDGE}/alternates/${name}/_tags/${tag}`,
} as const;

/**
 * A pull-through cache's own records (mirroring.source a V2 registry), under `berth/mirror/`:
 *
 *   berth/mirror/tags/<v2 name>/_tags/<tag>   the digest a tag had upstream and when that was last checked
 *   berth/mirror/blobs/<alg>/<hex>            a blob fetched from upstream: its size and when it was last pulled
 *                                             (what eviction weighs; blobs without one were pushed here)
 */
const MIRROR = 'berth/mirror';

export const mirror = {
  blobs: `${MIRROR}/blobs`,
  tag: (name: string, tag: string) => `${MIRROR}/tags/${name}/_tags/${checkComponent(tag)}`,
  blob: (d: Digest) => `${MIRROR}/blobs/${digestDir(d)}`,
} as const;
