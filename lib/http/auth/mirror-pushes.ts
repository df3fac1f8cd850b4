/**
 * A pull-through cache of a V2 registry refuses pushes and deletes, as distribution's proxy
 * does (its repository answers ErrUnsupported for every write), in each API's own error; with
 * mirroring.allow_push they are taken, and stay here (nothing is ever sent upstream). Decided
 * at dispatch from the access each route declares, after the caller's own access was checked.
 */
import { V1, V2 } from '../../errors/catalog.js';
import { RegistryError } from '../../errors/registry-error.js';
import type { MirrorContext } from '../../mirror/context.js';
import type { Authorizer } from '../access.js';
import { familyOf } from '../state.js';

export function refuseMirrorWrites(inner: Authorizer, mirror: MirrorContext): Authorizer {
  return {
    async authorize(ctx, need) {
      await inner.authorize(ctx, need);
      if (need.action !== 'push' && need.action !== 'delete') return;
      if (!(await mirror.mayBeV2())) return;
      const source = mirror.upstream.shown;
      throw familyOf(ctx.state, ctx.path) === 'v2'
        ? new RegistryError(V2.MIRROR_READ_ONLY, { args: [source] })
        : new RegistryError(V1.MIRROR_READ_ONLY, { args: [source] });
    },
  };
}
