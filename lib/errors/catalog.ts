/**
 * Every error Berth answers with, in one table. V2 codes are those of the OCI distribution
 * spec (v1.1) with their statuses; V1 entries keep docker-registry's exact messages, which
 * old clients compare literally ("Image already exists", …).
 */
export interface CatalogEntry {
  status: number;
  /** V2 error code (also used as a stable id for V1 errors) */
  code: string;
  message: string;
}

export const V2 = {
  BLOB_UNKNOWN: { status: 404, code: 'BLOB_UNKNOWN', message: 'blob unknown to registry' },
  BLOB_UPLOAD_INVALID: { status: 400, code: 'BLOB_UPLOAD_INVALID', message: 'blob upload invalid' },
  BLOB_UPLOAD_UNKNOWN: { status: 404, code: 'BLOB_UPLOAD_UNKNOWN', message: 'blob upload unknown to registry' },
  DIGEST_INVALID: { status: 400, code: 'DIGEST_INVALID', message: 'provided digest did not match uploaded content' },
  MANIFEST_BLOB_UNKNOWN: { status: 400, code: 'MANIFEST_BLOB_UNKNOWN', message: 'manifest references a manifest or blob unknown to registry' },
  MANIFEST_INVALID: { status: 400, code: 'MANIFEST_INVALID', message: 'manifest invalid' },
  MANIFEST_UNKNOWN: { status: 404, code: 'MANIFEST_UNKNOWN', message: 'manifest unknown to registry' },
  NAME_INVALID: { status: 400, code: 'NAME_INVALID', message: 'invalid repository name' },
  NAME_UNKNOWN: { status: 404, code: 'NAME_UNKNOWN', message: 'repository name not known to registry' },
  SIZE_INVALID: { status: 400, code: 'SIZE_INVALID', message: 'provided length did not match content length' },
  TAG_INVALID: { status: 400, code: 'TAG_INVALID', message: 'manifest tag did not match URI' },
  RANGE_INVALID: { status: 416, code: 'RANGE_INVALID', message: 'invalid content range' },
  UNAUTHORIZED: { status: 401, code: 'UNAUTHORIZED', message: 'authentication required' },
  DENIED: { status: 403, code: 'DENIED', message: 'requested access to the resource is denied' },
  UNSUPPORTED: { status: 405, code: 'UNSUPPORTED', message: 'the operation is unsupported' },
  TOOMANYREQUESTS: { status: 429, code: 'TOOMANYREQUESTS', message: 'too many requests' },
  // distribution's extras
  MANIFEST_UNVERIFIED: { status: 400, code: 'MANIFEST_UNVERIFIED', message: 'manifest failed signature verification' },
  PAGINATION_NUMBER_INVALID: { status: 400, code: 'PAGINATION_NUMBER_INVALID', message: 'invalid number of results requested' },
  /** distribution-spec `spec.md` ("Pushing Manifests"): 413 for a manifest over the registry's limit; the code is the nearest one the spec lists */
  MANIFEST_TOO_LARGE: { status: 413, code: 'SIZE_INVALID', message: 'manifest over the size limit' },
  /**
   * Berth's limits (README "Limits"): a body cut for being too slow is a 408, with the spec's
   * code for the body that was being sent; too many sessions is the spec's TOOMANYREQUESTS.
   */
  BLOB_UPLOAD_TOO_SLOW: { status: 408, code: 'BLOB_UPLOAD_INVALID', message: 'blob upload body too slow: %s' },
  MANIFEST_TOO_SLOW: { status: 408, code: 'MANIFEST_INVALID', message: 'manifest body too slow: %s' },
  UPLOAD_SESSIONS_EXCEEDED: { status: 429, code: 'TOOMANYREQUESTS', message: 'too many upload sessions open from this address (%s); finish or cancel some' },
  /** Berth: a pull-through cache (mirroring.source a V2 registry) refuses pushes and deletes, as distribution's proxy does */
  MIRROR_READ_ONLY: {
    status: 405,
    code: 'UNSUPPORTED',
    message: 'this registry is a pull-through cache of %s: pushes and deletes are refused (mirroring.allow_push)',
  },
  /** Berth: the mirror's upstream refused its credentials (mirroring.username / password) */
  MIRROR_UPSTREAM_DENIED: { status: 401, code: 'UNAUTHORIZED', message: 'the upstream registry refused this mirror access to %s' },
  /** Berth: the mirror's upstream rate-limits it and nothing is cached to serve instead */
  MIRROR_UPSTREAM_LIMITED: { status: 429, code: 'TOOMANYREQUESTS', message: 'the upstream registry is rate-limiting this mirror; retry later' },
  /** Berth: the mirror's upstream cannot be reached and nothing is cached to serve instead */
  MIRROR_UPSTREAM_DOWN: { status: 503, code: 'UNAVAILABLE', message: 'the upstream registry cannot be reached and %s is not cached here; retry later' },
} as const satisfies Record<string, CatalogEntry>;

/** Failures that are not about the request: both families render them, V1 as {"error"}, V2 as {"errors"}. */
export const GENERIC = {
  NOT_FOUND: { status: 404, code: 'NOT_FOUND', message: 'Not found' },
  METHOD_NOT_ALLOWED: { status: 405, code: 'UNSUPPORTED', message: 'Method not allowed' },
  UNAVAILABLE: { status: 503, code: 'UNAVAILABLE', message: 'Service unavailable' },
  UNKNOWN: { status: 500, code: 'UNKNOWN', message: 'Internal server error' },
  /** Berth: the backing store (S3, Glance) cannot be reached; distribution and the old registry answered 500 */
  STORAGE_UNAVAILABLE: { status: 503, code: 'UNAVAILABLE', message: 'Service unavailable: the registry storage cannot be reached, retry later' },
  /**
   * Berth: storage is full (disk, quota). 507 (RFC 4918), in both families; neither the OCI
   * spec nor docker-registry has a code for it (distribution and the old registry answered 500).
   */
  INSUFFICIENT_STORAGE: { status: 507, code: 'INSUFFICIENT_STORAGE', message: 'Insufficient storage: the registry storage is full, nothing was stored' },
  /** a request value that got past the checks but that storage cannot hold (an invalid key) */
  BAD_REQUEST: { status: 400, code: 'BAD_REQUEST', message: 'Bad request' },
  /** max_connections reached: this connection answers once, then closes */
  SERVER_BUSY: { status: 503, code: 'UNAVAILABLE', message: 'Server is busy (too many connections), retry later' },
  /** max_connections_per_client reached (V2 renders the spec's TOOMANYREQUESTS) */
  CLIENT_CONNECTIONS_EXCEEDED: { status: 429, code: 'TOOMANYREQUESTS', message: 'Too many connections from this address, retry later' },
  /** the process ran out of file descriptors (EMFILE, ENFILE): passing, so 503 rather than 500 */
  OUT_OF_DESCRIPTORS: { status: 503, code: 'UNAVAILABLE', message: 'Server is busy (out of file descriptors), retry later' },
  /** Berth, several instances (README "Several instances on one store"): the `cache` Redis that holds the shared locks does not answer */
  LOCK_SERVICE_UNAVAILABLE: {
    status: 503,
    code: 'UNAVAILABLE',
    message: 'Service unavailable: the shared lock service (Redis) cannot be reached, retry later',
  },
  /** Berth: this process's lock expired while it worked (it stalled longer than shared_lock_ttl) and may be another's now; nothing was committed */
  LOCK_LOST: { status: 503, code: 'UNAVAILABLE', message: 'Service unavailable: the lock on %s expired while it was held; nothing was committed, retry' },
} as const satisfies Record<string, CatalogEntry>;

/**
 * The V1 API's errors, rendered `{"error": "<message>"}`. The messages and statuses are
 * docker-registry 0.9.1's own, word for word (docker/docker-registry `docker_registry/images.py`,
 * `tags.py`, `index.py`, `toolkit.py`): Docker 1.x engines compare some of them literally
 * ("Image already exists" means "skip this image"). `%s` is filled in by RegistryError's `args`.
 * Entries marked "Berth" are new: the old registry answered those requests with a 500 or not at all.
 */
export const V1 = {
  // names (toolkit.py)
  REPOSITORY_NOT_FOUND: { status: 404, code: 'V1_REPOSITORY_NOT_FOUND', message: 'Repository not found' },
  INVALID_IMAGE_ID: { status: 404, code: 'V1_INVALID_IMAGE_ID', message: 'Invalid image ID' },
  INVALID_TAG: { status: 400, code: 'V1_INVALID_TAG', message: 'Invalid tag name (must match ^[\\w][\\w.-]{0,127}$)' },
  /**
   * Berth. docker-registry validated no repository name (anything went, up to a 500 from
   * storage), so this message is in the old style: what is invalid, then the rule in parentheses.
   */
  INVALID_REPOSITORY_NAME: {
    status: 400,
    code: 'NAME_INVALID',
    message:
      'Invalid repository name (no empty, "." or ".." parts, no control characters, backslashes or double quotes, at most 255 bytes per part once quoted)',
  },

  // images (images.py)
  IMAGE_NOT_FOUND: { status: 404, code: 'V1_IMAGE_NOT_FOUND', message: 'Image not found' },
  IMAGE_IN_PROGRESS: { status: 400, code: 'V1_IMAGE_IN_PROGRESS', message: 'Image is being uploaded, retry later' },
  IMAGE_EXISTS: { status: 409, code: 'V1_IMAGE_EXISTS', message: 'Image already exists' },
  INVALID_JSON: { status: 400, code: 'V1_INVALID_JSON', message: 'Invalid JSON' },
  JSON_MISSING_ID: { status: 400, code: 'V1_JSON_MISSING_ID', message: "Missing key `id' in JSON" },
  JSON_WRONG_ID: { status: 400, code: 'V1_JSON_WRONG_ID', message: 'JSON data contains invalid id' },
  PARENT_MISSING: { status: 400, code: 'V1_PARENT_MISSING', message: 'Image depends on a non existing parent' },
  PARENT_UNAUTHORIZED: { status: 400, code: 'V1_PARENT_UNAUTHORIZED', message: 'Image depends on an unauthorized parent' },
  CHECKSUM_PAYLOAD_MISSING: {
    status: 412,
    code: 'V1_CHECKSUM_PAYLOAD_MISSING',
    message: 'X-Docker-Checksum-Payload not set.  If you are using the Docker daemon, you should upgrade to version 0.10 or later',
  },
  CHECKSUM_EMPTY: { status: 400, code: 'V1_CHECKSUM_EMPTY', message: "Missing Image's checksum" },
  CHECKSUM_CANNOT_SET: { status: 409, code: 'V1_CHECKSUM_CANNOT_SET', message: 'Cannot set this image checksum' },
  CHECKSUM_MISMATCH: { status: 400, code: 'V1_CHECKSUM_MISMATCH', message: 'Checksum mismatch' },
  /** Berth: the Python registry crashed here (docker/docker-registry#527), a checksum before any layer */
  CHECKSUM_NO_LAYER: { status: 400, code: 'V1_CHECKSUM_NO_LAYER', message: 'Checksum mismatch (no layer was uploaded for this image)' },
  CHECKSUM_FORMAT: { status: 400, code: 'V1_CHECKSUM_FORMAT', message: 'Invalid checksum format' },
  LAYER_FORMAT: { status: 400, code: 'V1_LAYER_FORMAT', message: 'Layer format not supported' },
  DIFF_QUEUE_DISABLED: { status: 400, code: 'V1_DIFF_QUEUE_DISABLED', message: 'Diff queue is disabled' },

  // tags and repositories (tags.py, index.py)
  TAG_NOT_FOUND: { status: 404, code: 'V1_TAG_NOT_FOUND', message: 'Tag not found' },
  /** DELETE of a tag names it (tags.py `delete_tag`) */
  TAG_NOT_FOUND_NAMED: { status: 404, code: 'V1_TAG_NOT_FOUND', message: 'Tag not found: %s' },
  INVALID_DATA: { status: 400, code: 'V1_INVALID_DATA', message: 'Invalid data' },
  INDEX_IMAGES_NOT_FOUND: { status: 404, code: 'V1_INDEX_IMAGES_NOT_FOUND', message: 'images not found' },
  USER_JSON_INVALID: { status: 400, code: 'V1_USER_JSON_INVALID', message: 'Error Decoding JSON' },

  // token mode (toolkit.py requires_auth, check_images_list)
  REQUIRES_AUTHORIZATION: { status: 401, code: 'V1_UNAUTHORIZED', message: 'Requires authorization' },
  IMAGE_NOT_IN_REPOSITORY: { status: 400, code: 'V1_IMAGE_NOT_IN_REPOSITORY', message: 'This image does not belong to the repository' },

  // Berth's own access control (`auth:`); the old registry left this to a proxy in front
  /** a known user without the right: Docker 1.x shows the message */
  ACCESS_DENIED: { status: 403, code: 'V1_DENIED', message: 'Access denied' },
  /** `POST /v1/users/` with auth on: Docker 1.x then checks the password with `GET /v1/users/` */
  LOGIN_REQUIRED: { status: 401, code: 'V1_UNAUTHORIZED', message: 'Login with your user name and password' },

  /** Berth: small bodies (JSON, tag ids) are read whole, so they have a limit */
  BODY_TOO_LARGE: { status: 413, code: 'V1_BODY_TOO_LARGE', message: 'Request body over %s bytes' },
  /** Berth: a body below the minimum rate, or a small one past its deadline (README "Limits") */
  BODY_TOO_SLOW: { status: 408, code: 'V1_BODY_TOO_SLOW', message: 'Request body too slow: %s' },

  /** Berth: a pull-through cache of a V2 registry refuses pushes (mirroring.allow_push) */
  MIRROR_READ_ONLY: { status: 405, code: 'V1_MIRROR_READ_ONLY', message: 'This registry is a mirror of %s: pushes are refused' },
  /** Berth: the mirror could not fetch the image from its V2 upstream */
  MIRROR_UPSTREAM: { status: 503, code: 'V1_MIRROR_UPSTREAM', message: 'The upstream registry did not give this image: %s' },
} as const satisfies Record<string, CatalogEntry>;

/** The web page's JSON API (/ui/api/…), rendered as V1 errors `{"error": "<message>"}`. */
export const UI = {
  DELETES_DISABLED: { status: 405, code: 'UI_DELETES_DISABLED', message: 'Deletes are disabled (storage_delete_enabled: false)' },
  /** the page's bundle was not built into dist/ui (npm run build) */
  NOT_BUILT: { status: 503, code: 'UI_NOT_BUILT', message: 'The web page is not built: run npm run build' },
  BAD_PAGE: { status: 400, code: 'UI_BAD_PAGE', message: 'page must be a whole number from 1' },
} as const satisfies Record<string, CatalogEntry>;
