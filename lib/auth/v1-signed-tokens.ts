// STUB (replaced by the auth-core branch)
export type V1Access = 'read' | 'write' | 'delete';
export interface V1Grant {
  user: string;
  repository: string;
  access: V1Access;
}
export class V1SignedTokens {
  constructor(
    readonly secret: string,
    readonly ttlSeconds = 3600,
    readonly now: () => number = Date.now,
  ) {}
  mint(grant: V1Grant): string {
    return `Token signature=stub,repository="${grant.repository}",access=${grant.access}`;
  }
  verify(_authorization: string | undefined): V1Grant | null {
    return null;
  }
}
