/**
 * Keystone v3 password authentication: a token (cached until shortly before it expires) and
 * the Glance endpoint from the service catalog. Used only when OS_* credentials are set.
 */
export interface KeystoneCredentials {
  authUrl: string;
  username: string;
  password: string;
  projectName: string;
  userDomain: string;
  projectDomain: string;
  region: string | null;
}

interface CatalogEntry {
  type: string;
  endpoints: Array<{ interface: string; region?: string | null; url: string }>;
}

export class Keystone {
  private token: { value: string; expires: number; glanceUrl: string | null } | null = null;

  constructor(private readonly c: KeystoneCredentials) {}

  /** Forget the cached token (Glance said 401). */
  invalidate(): void {
    this.token = null;
  }

  async auth(signal?: AbortSignal): Promise<{ token: string; glanceUrl: string | null }> {
    if (this.token && this.token.expires - 60_000 > Date.now()) return { token: this.token.value, glanceUrl: this.token.glanceUrl };
    // OS_AUTH_URL often names a version (…:5000/v2.0 from the Keystone v2 days); v3 lives beside it.
    const base = this.c.authUrl.replace(/\/+$/, '').replace(/\/v\d+(\.\d+)?$/, '');
    const res = await fetch(`${base}/v3/auth/tokens`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        auth: {
          identity: { methods: ['password'], password: { user: { name: this.c.username, password: this.c.password, domain: { name: this.c.userDomain } } } },
          scope: { project: { name: this.c.projectName, domain: { name: this.c.projectDomain } } },
        },
      }),
      ...(signal ? { signal } : {}),
    });
    const value = res.headers.get('x-subject-token');
    if (res.status !== 201 || !value) throw new Error(`keystone refused the credentials of ${this.c.username} (HTTP ${res.status})`);
    const body = (await res.json()) as { token: { expires_at: string; catalog?: CatalogEntry[] } };
    const image = body.token.catalog?.find((e) => e.type === 'image');
    const endpoint = image?.endpoints.find((e) => e.interface === 'public' && (!this.c.region || e.region === this.c.region));
    this.token = { value, expires: Date.parse(body.token.expires_at), glanceUrl: endpoint?.url ?? null };
    return { token: value, glanceUrl: this.token.glanceUrl };
  }
}
