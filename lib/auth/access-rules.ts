// STUB (replaced by the auth-core branch)
export type AuthAction = 'pull' | 'push' | 'delete';
export interface Identity {
  user: string;
  groups: readonly string[];
}
export interface AccessRule {
  users?: string[];
  groups?: string[];
  repositories: string[];
  actions: AuthAction[];
}
export class AccessRules {
  constructor(
    private readonly rules: readonly AccessRule[] | null,
    private readonly anonymousRead: boolean,
  ) {}
  may(identity: Identity | null, action: AuthAction, _repository: string): boolean {
    if (!identity) return this.anonymousRead && action === 'pull';
    return this.rules === null ? action !== 'delete' : false;
  }
  mayAnywhere(identity: Identity | null, action: AuthAction): boolean {
    return this.may(identity, action, '');
  }
}
