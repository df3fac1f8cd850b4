/**
 * CORS as docker-registry 0.9's "cors" extra did it: on when `cors.origins` is set, every
 * `cors.*` key a Flask-CORS 1.x option, applied to every route matched by `resources`
 * (regexes matched at the start of the path; default all), errors included. Origins are
 * matched whole (see originMatches: the one place Berth is stricter). Flask-CORS's
 * quirks are kept where a browser can see them: list options are sent sorted and joined with
 * ", "; without an Origin header `always_send` sends the plain (non-regex) origins; on a
 * preflight (OPTIONS with an allowed Access-Control-Request-Method) Max-Age, Allow-Methods and
 * Expose-Headers are added. OPTIONS itself is answered by the router (200 with Allow).
 */
import type { Middleware } from 'koa';
import type { Config } from '../../config/load.js';

const ALL_METHODS = ['GET', 'HEAD', 'POST', 'OPTIONS', 'PUT', 'PATCH', 'DELETE'];

type CorsSettings = Config['cors'];

interface CorsPlan {
  origins: string[];
  /** the origins that are not regexes, as Flask-CORS sends them without an Origin header */
  originsText: string;
  methods: string[];
  methodsText: string;
  headersText: string | undefined;
  exposeText: string | undefined;
  resources: RegExp[];
  settings: CorsSettings;
}

const list = (v: unknown): string[] | undefined => (v == null || v === '' ? undefined : Array.isArray(v) ? v.map(String) : [String(v)]);
const joined = (v: unknown): string | undefined => {
  const items = list(v);
  return items && (Array.isArray(v) ? [...items].sort() : items).join(', ');
};
const isRegex = (pattern: string) => pattern !== '*' && /[?*]/.test(pattern);
/**
 * A plain origin must equal the request's; a regex must match all of it. (Flask-CORS used
 * re.match, anchored at the start only, so `https://a.example` also let in
 * `https://a.example.evil.net`, with credentials if allowed: not kept.)
 */
const originMatches = (pattern: string, origin: string) => {
  if (!isRegex(pattern)) return pattern === origin;
  try {
    return new RegExp(`^(?:${pattern})$`).test(origin);
  } catch {
    return pattern === origin;
  }
};

export function corsPlan(settings: CorsSettings): CorsPlan | null {
  const origins = list(settings.origins);
  if (!origins || origins.every((o) => o === '')) return null;
  // A string of methods ("GET, PUT") is matched by its words, as Flask-CORS's substring test does.
  const methods = (list(settings.methods) ?? ALL_METHODS).flatMap((m) => m.toUpperCase().split(/[\s,]+/)).filter(Boolean);
  const resources = (list(settings.resources) ?? ['/*']).map((r) => (r === '*' ? '/.*' : r));
  return {
    origins,
    originsText: origins.filter((o) => !isRegex(o)).join(', '),
    methods,
    methodsText: Array.isArray(settings.methods) || settings.methods == null ? [...methods].sort().join(', ') : methods.join(', '),
    headersText: joined(settings.headers),
    exposeText: joined(settings.expose_headers),
    resources: resources.map((r) => {
      try {
        return new RegExp(`^(?:${r})`);
      } catch {
        return new RegExp(`^${r.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`);
      }
    }),
    settings,
  };
}

/** The CORS headers for one request, or null when CORS does not apply to it. */
export function corsHeaders(
  plan: CorsPlan,
  path: string,
  method: string,
  origin: string | undefined,
  requestMethod: string | undefined,
): Record<string, string> | null {
  if (!plan.resources.some((r) => r.test(path))) return null;
  const { settings } = plan;
  let allow: string | undefined;
  if (origin) {
    if (plan.origins.includes('*')) allow = settings.send_wildcard ? '*' : origin;
    else if (plan.origins.some((p) => originMatches(p, origin))) allow = origin;
  } else if (settings.always_send && plan.originsText) {
    allow = plan.originsText;
  }
  if (allow === undefined) return null;
  const headers: Record<string, string> = { 'Access-Control-Allow-Origin': allow };
  if (plan.headersText) headers['Access-Control-Allow-Headers'] = plan.headersText;
  if (settings.supports_credentials) headers['Access-Control-Allow-Credentials'] = 'true';
  if (method === 'OPTIONS' && requestMethod && plan.methods.includes(requestMethod.toUpperCase())) {
    if (settings.max_age !== null) headers['Access-Control-Max-Age'] = String(settings.max_age);
    headers['Access-Control-Allow-Methods'] = plan.methodsText;
    if (plan.exposeText) headers['Access-Control-Expose-Headers'] = plan.exposeText;
  }
  return headers;
}

export function cors(settings: CorsSettings): Middleware | null {
  const plan = corsPlan(settings);
  if (!plan) return null;
  return async (ctx, next) => {
    try {
      await next();
    } finally {
      if (!ctx.headerSent) {
        const headers = corsHeaders(plan, ctx.path, ctx.method, ctx.get('Origin') || undefined, ctx.get('Access-Control-Request-Method') || undefined);
        if (headers) ctx.set(headers);
        // The answer depends on Origin whenever the origins are not "*", refused ones included:
        // a cache must not hand one origin's answer to another.
        const wildcard = headers?.['Access-Control-Allow-Origin'] === '*' || (!headers && plan.origins.includes('*'));
        if (!wildcard && plan.settings.vary_header && plan.resources.some((r) => r.test(ctx.path))) ctx.vary('Origin');
      }
    }
  };
}
