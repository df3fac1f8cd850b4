/**
 * A small seeded PRNG (sfc32, seeded through splitmix32) for generated test inputs: the same
 * seed gives the same sequence on every machine, so a failure found by a random run is
 * reproduced by setting the seed it printed.
 */

export interface Random {
  readonly seed: number;
  /** [0, 1) */
  next(): number;
  /** an integer in [0, n) */
  int(n: number): number;
  /** an integer in [min, max] */
  between(min: number, max: number): number;
  /** true with probability p */
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
  /** one of the entries, chosen with probability proportional to its weight */
  weighted<T>(entries: ReadonlyArray<readonly [weight: number, value: T]>): T;
  bytes(n: number): Buffer;
  /** n characters drawn from `alphabet` */
  chars(n: number, alphabet: string): string;
}

/** The seed to use: `variable` (BERTH_FUZZ_SEED unless told) when set (decimal or 0x hex), else one from the clock. */
export function seedFromEnv(env: NodeJS.ProcessEnv = process.env, variable = 'BERTH_FUZZ_SEED'): number {
  const given = env[variable];
  if (given !== undefined && given.trim() !== '') {
    const n = Number(given.trim());
    if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new Error(`${variable} must be an integer from 0 to 4294967295, got ${JSON.stringify(given)}`);
    return n;
  }
  return (Date.now() ^ (process.pid << 16)) >>> 0;
}

export function seededRandom(seed: number): Random {
  // splitmix32 spreads the one 32-bit seed over sfc32's four words.
  let s = seed >>> 0;
  const split = () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = split();
  let b = split();
  let c = split();
  let d = split();
  const u32 = () => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = ((c << 21) | (c >>> 11)) >>> 0;
    c = (c + t) >>> 0;
    return t;
  };
  for (let i = 0; i < 12; i++) u32();

  const next = () => u32() / 4294967296;
  const int = (n: number) => Math.floor(next() * n);
  return {
    seed,
    next,
    int,
    between: (min, max) => min + int(max - min + 1),
    chance: (p) => next() < p,
    pick<T>(items: readonly T[]): T {
      if (items.length === 0) throw new Error('pick from an empty list');
      return items[int(items.length)] as T;
    },
    weighted<T>(entries: ReadonlyArray<readonly [number, T]>): T {
      const total = entries.reduce((sum, [w]) => sum + w, 0);
      let r = next() * total;
      for (const [w, value] of entries) {
        r -= w;
        if (r < 0) return value;
      }
      return (entries[entries.length - 1] as readonly [number, T])[1];
    },
    bytes(n) {
      const out = Buffer.allocUnsafe(n);
      for (let i = 0; i < n; i += 4) {
        const v = u32();
        for (let j = 0; j < 4 && i + j < n; j++) out[i + j] = (v >>> (8 * j)) & 0xff;
      }
      return out;
    },
    chars(n, alphabet) {
      let out = '';
      for (let i = 0; i < n; i++) out += alphabet[int(alphabet.length)];
      return out;
    },
  };
}
