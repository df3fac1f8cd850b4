/**
 * Layer ChainIDs (opencontainers/image-spec config.md "Layer ChainID"): the identity of a
 * stack of layers, which a single layer's DiffID is not. ChainID(L0) = DiffID(L0), and
 * ChainID(L0..n) = sha256 of the text `ChainID(L0..n-1) + " " + DiffID(Ln)`, written
 * `sha256:<hex>`. Docker ≥1.10 names the V1 images below the top by these (moby/moby
 * distribution/push_v1.go, layer/layer.go CreateChainID).
 */
import { digestOf } from '../checksums/digest.js';

/** The ChainID of every prefix of `diffIds` (base first): result[k] = ChainID(L0..Lk). */
export function chainIds(diffIds: readonly string[]): string[] {
  const out: string[] = [];
  for (const diffId of diffIds) {
    const parent = out.at(-1);
    out.push(parent === undefined ? diffId : digestOf(`${parent} ${diffId}`).value);
  }
  return out;
}

/** The ChainID of the whole stack; a stack needs at least one layer. */
export function chainId(diffIds: readonly string[]): string {
  const last = chainIds(diffIds).at(-1);
  if (last === undefined) throw new RangeError('chainId: no layers');
  return last;
}
