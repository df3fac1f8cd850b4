/**
 * Where the crash harness kills the server (SIGKILL), and the requests that carry it there: a
 * body sent piece by piece, so the kill lands after a chosen share of it, or a request whose
 * kill comes a few milliseconds after it went out, while the server commits what it was sent.
 */
import http from 'node:http';

/** The moments a kill is aimed at, by request phase. */
export const PHASES = [
  'v1-json', // mid PUT json
  'v1-layer-body', // mid V1 layer body
  'v1-before-checksum', // between json + layer and the checksum
  'v1-checksum', // mid checksum PUT: the image's commit
  'v1-tag', // mid tag PUT
  'v2-blob-body', // mid monolithic blob body
  'v2-blob-commit', // the body sent, the blob being verified and moved into place
  'v2-patch-body', // mid PATCH of a chunked upload
  'v2-chunk-commit', // mid the final PUT of a chunked upload
  'v2-manifest', // mid manifest PUT
  'bridge-derive', // a tag acknowledged, the bridge deriving the other protocol's image
  'bridge-pull', // mid V1 pull of a V2 image or V2 pull of a V1 one
] as const;
export type Phase = (typeof PHASES)[number];

/** Phases whose kill lands inside a body, after a share of it (the others: a delay after the request went out). */
const BODY_PHASES: ReadonlySet<Phase> = new Set(['v1-layer-body', 'v2-blob-body', 'v2-patch-body']);

export interface KillPlan {
  phase: Phase;
  /** for a body phase: the share of the body sent before the kill */
  share: number;
  /** for the other phases: how long after the request went out */
  delayMs: number;
}

export class Killer {
  private armed = false;
  private fired = false;
  private late = false;
  private readonly done: Promise<void>;
  private resolveDone!: () => void;

  constructor(
    readonly plan: KillPlan,
    private readonly kill: () => void,
  ) {
    this.done = new Promise((r) => (this.resolveDone = r));
  }

  get killed(): boolean {
    return this.fired;
  }

  /** The kill came from the plan (its phase was reached), not from finish() after the work had ended. */
  get byPlan(): boolean {
    return this.fired && !this.late;
  }

  /** A request of `phase` is going out: the kill follows after the plan's delay. */
  at(phase: Phase): void {
    if (phase !== this.plan.phase || this.armed || BODY_PHASES.has(phase)) return;
    this.armed = true;
    if (this.plan.delayMs === 0) this.fire();
    else setTimeout(() => this.fire(), this.plan.delayMs);
  }

  /** `sent` of `total` bytes of a body of `phase` are out; true once the server is killed (stop sending). */
  body(phase: Phase, sent: number, total: number): boolean {
    if (phase === this.plan.phase && !this.armed && sent >= this.plan.share * total) {
      this.armed = true;
      this.fire();
    }
    return this.fired;
  }

  /** Kill now if the plan has not (the work ended before its moment came); resolves once it has. */
  async finish(): Promise<void> {
    if (!this.armed) {
      this.late = true;
      this.fire();
    }
    await this.done;
  }

  private fire(): void {
    if (this.fired) return;
    this.fired = true;
    this.kill();
    this.resolveDone();
  }
}

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export interface SendOptions {
  headers?: Record<string, string>;
  body?: Buffer;
  /** send the body chunked (no Content-Length), as Docker 1.x sends layers */
  chunked?: boolean;
  /** the phase of this request (a body phase: the kill lands inside the body) */
  phase?: Phase;
  /** the phase that starts once the whole body is out (the server commits it) */
  endPhase?: Phase;
  /** body bytes already sent in earlier requests of the same phase, and the phase's total */
  progress?: { before: number; total: number };
  killer?: Killer;
}

const PIECE = 16 * 1024;

/** One request on a fresh connection (a killed server leaves no pooled socket behind). */
export function send(base: string, method: string, path: string, options: SendOptions = {}): Promise<Reply> {
  const { body, killer, phase } = options;
  const headers: Record<string, string> = { ...options.headers };
  if (body && !options.chunked) headers['Content-Length'] = String(body.length);
  return new Promise<Reply>((resolve, reject) => {
    const req = http.request(new URL(path, base), { method, headers, agent: false, timeout: 60_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
    if (phase) killer?.at(phase);
    const write = async () => {
      const before = options.progress?.before ?? 0;
      const total = options.progress?.total ?? body?.length ?? 0;
      for (let off = 0; body && off < body.length; off += PIECE) {
        if (phase && killer?.body(phase, before + off, total)) return; // the server is gone: its reset ends the request
        const piece = body.subarray(off, off + PIECE);
        // A body the kill aims at goes out paced, so that what the server has read is about
        // what was sent, not a socket buffer behind (on loopback it holds hundreds of KB).
        if (phase && killer?.plan.phase === phase) await new Promise<void>((r) => req.write(piece, () => setTimeout(r, 1)));
        else await new Promise<void>((r) => (req.write(piece) ? r() : req.once('drain', r)));
      }
      req.end();
      if (options.endPhase) killer?.at(options.endPhase);
    };
    write().catch(reject);
  });
}
