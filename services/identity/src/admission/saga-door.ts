import { Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { CashOutsTurnedAway, StartIdentityVerification } from '@pointsweep/contracts';
import { BroadcastListener, MessagingRuntime, retryAfterUnderPressure } from '@pointsweep/messaging';

/**
 * The door for newcomers (StartIdentityVerification) follows the saga's gate: while the ledger turns cash-outs
 * away, a newcomer let in now would verify, consent, register an account and look up, only to be told "busy" at
 * the cash-out — work the machine did for nothing, and the worst answer a person can get. So while the saga turns
 * away more cash-outs than it takes, the door lets in only as many newcomers per one turned away as the saga took
 * cash-outs per one turned away, and tells the rest "busy" before any of it. Not a shut door, and not at the first
 * cash-out turned away: near capacity, either let newcomers in as waves and made onboarding take seconds instead of
 * a third of one (docs/benchmarks.md, session 12).
 */
export class Door {
  private holdsUntil = 0;
  private share = 1;
  private retryAfterMs = 0;

  /** The saga's word, heard at `now` (ms): it holds until `validForMs` after, or until the next word. */
  heard(word: CashOutsTurnedAway, now: number): void {
    this.holdsUntil = now + word.validForMs;
    this.share = Math.min(1, word.taken / word.turnedAway);
    this.retryAfterMs = word.retryAfterMs;
  }

  /**
   * Undefined (come in) for the share of newcomers the saga's last word lets in, or always once it no longer holds;
   * busy for the rest, with the saga's retry-after jittered by half either way (so they do not come back as one wave).
   */
  verdict(now: number, random: () => number = Math.random): { reason: string; retryAfterMs: number } | undefined {
    if (now >= this.holdsUntil || random() < this.share) return undefined;
    return {
      reason: `the saga is turning cash-outs away; newcomers are let in at the share it takes (${Math.round(this.share * 100)} %)`,
      retryAfterMs: retryAfterUnderPressure(this.retryAfterMs * (0.5 + random()), 1),
    };
  }
}

/** A word that arrives after its time (a broker away for a while) speaks of a moment that is over. */
export function stillHolds(word: CashOutsTurnedAway, serviceNow: Date): boolean {
  return serviceNow.getTime() - Date.parse(word.at) < word.validForMs;
}

@Injectable()
export class SagaDoor implements OnModuleInit, OnModuleDestroy {
  readonly door = new Door();
  private readonly listener: BroadcastListener;

  constructor(private readonly runtime: MessagingRuntime) {
    this.listener = new BroadcastListener(runtime, 'ledgerEvents', {
      [CashOutsTurnedAway.name]: (word) => {
        if (stillHolds(word as CashOutsTurnedAway, runtime.clock.now())) this.door.heard(word as CashOutsTurnedAway, Date.now());
      },
    });
  }

  async onModuleInit(): Promise<void> {
    this.runtime.admissionGates.set(StartIdentityVerification.name, () => this.door.verdict(Date.now()));
    // A door that cannot hear the saga stays open (as before there was a door): safe, so the service starts anyway.
    // kafkajs restarts a listener that crashes later.
    await this.listener.start().catch((error: unknown) => {
      this.runtime.logger.warn('the door cannot hear the saga; it stays open', { error: (error as Error).message });
    });
  }

  async onModuleDestroy(): Promise<void> {
    await this.listener.stop();
  }
}
