/**
 * The one module that knows where things live in storage. Everything else asks it.
 *
 * V1, as docker-registry 0.8.1+ wrote it (spec v1 §3.1; every component passed through
 * `checkComponent`, and the repository name quote_plus-ed once more before that, §1.2):
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
 */
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
