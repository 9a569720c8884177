import { Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { SagaAdmissionClosed, StartIdentityVerification } from '@pointsweep/contracts';
import { BroadcastListener, MessagingRuntime, retryAfterUnderPressure } from '@pointsweep/messaging';

/**
 * The door for newcomers (StartIdentityVerification) follows the saga's gate: while the ledger turns cash-outs
 * away, a newcomer let in now would verify, consent, register an account and look up, only to be told "busy" at
 * the cash-out — work the machine did for nothing, and the worst answer a person can get. So the newcomer is told
 * "busy" at the door instead, before any of it (docs/benchmarks.md, session 12).
 */
export class Door {
  private closedUntil = 0;
  private retryAfterMs = 0;

  /** The saga's word, heard at `now` (ms): the door stays closed for as long as the word holds. */
  heard(word: SagaAdmissionClosed, now: number): void {
    this.closedUntil = Math.max(this.closedUntil, now + word.validForMs);
    this.retryAfterMs = word.retryAfterMs;
  }

  /** Busy, with the saga's retry-after jittered (so the turned-away do not come back as one wave), or undefined: come in. */
  verdict(now: number, random: () => number = Math.random): { reason: string; retryAfterMs: number } | undefined {
    if (now >= this.closedUntil) return undefined;
    return {
      reason: 'the saga is turning cash-outs away; newcomers wait outside until it takes them again',
      retryAfterMs: retryAfterUnderPressure(this.retryAfterMs * (0.5 + random()), 1),
    };
  }
}

/** A word that arrives after its time (a broker away for a while) speaks of a moment that is over. */
export function stillHolds(word: SagaAdmissionClosed, serviceNow: Date): boolean {
  return serviceNow.getTime() - Date.parse(word.at) < word.validForMs;
}

@Injectable()
export class SagaDoor implements OnModuleInit, OnModuleDestroy {
  readonly door = new Door();
  private readonly listener: BroadcastListener;

  constructor(private readonly runtime: MessagingRuntime) {
    this.listener = new BroadcastListener(runtime, 'ledgerEvents', {
      [SagaAdmissionClosed.name]: (word) => {
        if (stillHolds(word as SagaAdmissionClosed, runtime.clock.now())) this.door.heard(word as SagaAdmissionClosed, Date.now());
      },
    });
  }

  async onModuleInit(): Promise<void> {
    this.runtime.admissionGates.set(StartIdentityVerification.name, () => this.door.verdict(Date.now()));
    await this.listener.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.listener.stop();
  }
}
