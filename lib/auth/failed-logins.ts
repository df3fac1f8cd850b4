// STUB (replaced by the auth-core branch)
export class FailedLogins {
  constructor(_options: { maxAddresses?: number; freeFailures?: number } = {}) {}
  delayFor(_address: string): number {
    return 0;
  }
  failed(_address: string): void {}
  succeeded(_address: string): void {}
}
