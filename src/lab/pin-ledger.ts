// Failed PIN attempts per user and the lockout that follows (Get-CsPinPolicy MaximumLogonAttempts).
// Counts are kept in memory for the life of one lab instance and are visible through the lab's stats.

import type { LabUser, PinPolicy } from './directory.js';

export type PinCheck =
  | { outcome: 'accepted' }
  | { outcome: 'wrong'; failures: number; lockedNow: boolean }
  | { outcome: 'locked' }
  | { outcome: 'not-set' };

export interface PinLedgerSnapshot {
  /** Every rejected PIN attempt since start (wrong PIN, or any attempt on a locked PIN). */
  totalFailures: number;
  /** Consecutive failures per SIP URI since the last success. */
  failuresByUser: Record<string, number>;
  /** SIP URIs locked by too many failures since start (users locked in the directory are not listed). */
  locked: string[];
}

export class PinLedger {
  private readonly failures = new Map<string, number>();
  private readonly lockedUsers = new Set<string>();
  private totalFailures = 0;

  constructor(private readonly policy: PinPolicy) {}

  private key(user: LabUser): string {
    return user.sipUri.toLowerCase();
  }

  isLocked(user: LabUser): boolean {
    return user.pinLocked || this.lockedUsers.has(this.key(user));
  }

  /** Compares a presented PIN and updates the counters (a plain comparison: the lab holds test PINs only). */
  check(user: LabUser, presented: string): PinCheck {
    if (this.isLocked(user)) {
      this.totalFailures += 1;
      return { outcome: 'locked' };
    }
    if (user.pin === undefined) return { outcome: 'not-set' };
    if (presented === user.pin && presented.length >= this.policy.minimumLength) {
      this.failures.delete(this.key(user));
      return { outcome: 'accepted' };
    }
    this.totalFailures += 1;
    const failures = (this.failures.get(this.key(user)) ?? 0) + 1;
    this.failures.set(this.key(user), failures);
    const lockedNow = failures >= this.policy.maximumLogonAttempts;
    if (lockedNow) this.lockedUsers.add(this.key(user));
    return { outcome: 'wrong', failures, lockedNow };
  }

  /** Unlock-CsClientPin. */
  unlock(sipUri: string): void {
    this.lockedUsers.delete(sipUri.toLowerCase());
    this.failures.delete(sipUri.toLowerCase());
  }

  snapshot(): PinLedgerSnapshot {
    return {
      totalFailures: this.totalFailures,
      failuresByUser: Object.fromEntries(this.failures),
      locked: [...this.lockedUsers],
    };
  }
}
