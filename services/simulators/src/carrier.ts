import { Body, Controller, Get, HttpCode, Inject, Param, Post } from '@nestjs/common';
import { createHmac, randomInt, randomUUID } from 'node:crypto';
import { Clock } from './clock';
import { SimError, invalid, notFound } from './errors';
import { JsonLog } from './log';
import { Store } from './store';
import { PHONE, body, isoDate, str } from './validate';
import { Settings } from './settings';

export const CARRIERS = ['SKT', 'KT', 'LGU', 'MVNO'] as const;
export const CODE_TTL_MS = 3 * 60_000;
export const MAX_WRONG_ATTEMPTS = 5;

/** Connecting information: the same person always gets the same ci. */
export function connectingInformation(seed: string, name: string, birthDate: string, phone: string): string {
  return createHmac('sha256', seed).update(`${name}|${birthDate}|${phone}`).digest('base64url');
}

@Controller('carrier')
export class CarrierController {
  constructor(
    @Inject(Store) private readonly store: Store,
    @Inject(Clock) private readonly clock: Clock,
    @Inject(JsonLog) private readonly log: JsonLog,
    @Inject(Settings) private readonly settings: Settings,
  ) {}

  @Post('verifications')
  @HttpCode(201)
  start(@Body() raw: unknown) {
    const b = body(raw);
    const name = str(b, 'name', /^\S(.{0,48}\S)?$/u, 'a name of 1 to 50 characters');
    const birthDate = isoDate(b, 'birthDate');
    const carrier = str(b, 'carrier', /^(SKT|KT|LGU|MVNO)$/, `one of ${CARRIERS.join(', ')}`);
    const phone = str(b, 'phone', PHONE, 'the phone number as 9 to 11 digits');
    const now = this.clock.now();
    const v = {
      transactionId: randomUUID(),
      name,
      birthDate,
      carrier,
      phone,
      code: String(randomInt(0, 1_000_000)).padStart(6, '0'),
      createdAt: new Date(now).toISOString(),
      expiresAt: new Date(now + CODE_TTL_MS).toISOString(),
    };
    this.store.commit({ t: 'carrier.sent', v });
    this.log.info('carrier code sent', { transactionId: v.transactionId, carrier });
    return { transactionId: v.transactionId, expiresAt: v.expiresAt };
  }

  /** Stands in for the person reading the SMS. */
  @Get('inbox/:phone')
  inbox(@Param('phone') phone: string) {
    const id = this.store.state.inbox.get(phone);
    const v = id ? this.store.state.verifications.get(id) : undefined;
    if (!v) throw notFound('no code was sent to this phone');
    return { transactionId: v.transactionId, code: v.code, expiresAt: v.expiresAt };
  }

  @Post('verifications/:transactionId/confirm')
  @HttpCode(200)
  confirm(@Param('transactionId') transactionId: string, @Body() raw: unknown) {
    const b = body(raw);
    const code = b.code;
    if (typeof code !== 'string' || code.length === 0 || code.length > 16) throw invalid('code must be a string');
    const v = this.store.state.verifications.get(transactionId);
    if (!v) throw notFound('no such verification');
    if (v.failedAttempts >= MAX_WRONG_ATTEMPTS) {
      throw new SimError(429, 'TOO_MANY_ATTEMPTS', 'too many wrong codes; start a new verification');
    }
    if (v.ci) {
      if (code === v.code) return { ci: v.ci };
    } else if (this.clock.now() >= Date.parse(v.expiresAt)) {
      throw new SimError(410, 'EXPIRED', 'the code has expired; start a new verification');
    }
    if (code !== v.code) {
      this.store.commit({ t: 'carrier.failed', transactionId });
      const left = MAX_WRONG_ATTEMPTS - v.failedAttempts;
      this.log.info('carrier code mismatch', { transactionId, attemptsLeft: left });
      throw new SimError(400, 'CODE_MISMATCH', `the code does not match (${left} attempts left)`);
    }
    const ci = connectingInformation(this.settings.seed, v.name, v.birthDate, v.phone);
    this.store.commit({ t: 'carrier.confirmed', transactionId, ci });
    this.log.info('carrier verification confirmed', { transactionId });
    return { ci };
  }
}
