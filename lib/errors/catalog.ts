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
  /** the spec's "413 above its limit" for manifests; the code is the nearest one the spec lists */
  MANIFEST_TOO_LARGE: { status: 413, code: 'SIZE_INVALID', message: 'manifest over the size limit' },
} as const satisfies Record<string, CatalogEntry>;

/** Failures that are not about the request: both families render them, V1 as {"error"}, V2 as {"errors"}. */
export const GENERIC = {
  NOT_FOUND: { status: 404, code: 'NOT_FOUND', message: 'Not found' },
  METHOD_NOT_ALLOWED: { status: 405, code: 'UNSUPPORTED', message: 'Method not allowed' },
  UNAVAILABLE: { status: 503, code: 'UNAVAILABLE', message: 'Service unavailable' },
  UNKNOWN: { status: 500, code: 'UNKNOWN', message: 'Internal server error' },
  /** a request value that got past the checks but that storage cannot hold (an invalid key) */
  BAD_REQUEST: { status: 400, code: 'BAD_REQUEST', message: 'Bad request' },
} as const satisfies Record<string, CatalogEntry>;

/**
 * V1 errors Berth added. docker-registry validated no repository name (anything went, up to
 * a 500 from storage), so this message is Berth's, in the old style: what is invalid, then
 * the rule in parentheses, as its `Invalid tag name (must match …)`.
 */
export const V1 = {
  INVALID_REPOSITORY_NAME: {
    status: 400,
    code: 'NAME_INVALID',
    message:
      'Invalid repository name (no empty, "." or ".." parts, no control characters, backslashes or double quotes, at most 255 bytes per part once quoted)',
  },
} as const satisfies Record<string, CatalogEntry>;
