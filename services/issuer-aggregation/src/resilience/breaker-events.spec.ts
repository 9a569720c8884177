import { IssuerCode, Topics, topicsFor } from '@pointsweep/contracts';
import { JsonLogger, ManualClock } from '@pointsweep/messaging';
import { BreakerEvents, breakerEventState, breakerStateChangedMessage } from './breaker-events';
import { BreakerListener } from './issuer-gateway';
import { BreakerState } from './breaker-policy';

const topics: Topics = topicsFor('test');

function harness(options: { failWrites?: number } = {}) {
  let failures = options.failWrites ?? 0;
  const rows: { sql: string; values: unknown[] }[] = [];
  const errors: Record<string, unknown>[] = [];
  let kicks = 0;
  let listener: BreakerListener | undefined;
  const clock = new ManualClock('2026-11-26T01:00:00.000Z');
  const logger = { error: (_msg: string, fields: Record<string, unknown>) => errors.push(fields), warn: jest.fn(), info: jest.fn(), debug: jest.fn() } as unknown as JsonLogger;
  const dataSource = {
    transaction: async (work: (tx: { query: (sql: string, values: unknown[]) => Promise<unknown> }) => Promise<unknown>) => {
      if (failures > 0) {
        failures--;
        throw new Error('database unavailable');
      }
      return work({ query: async (sql, values) => { rows.push({ sql, values }); return []; } });
    },
  };
  const events = new BreakerEvents(
    { topics, relay: { kick: () => { kicks++; } } } as never,
    { onStateChange: (l: BreakerListener) => { listener = l; } },
    dataSource as never,
    clock,
    logger,
  );
  events.onModuleInit();
  const change = (issuer: IssuerCode, state: BreakerState) => listener!(issuer, state);
  const written = () => rows.map((r) => JSON.parse(r.values[4] as string) as { type: string; key: string; occurredAt: string; payload: unknown });
  return { events, change, written, rows, errors, clock, kicks: () => kicks };
}

describe('breaker state change events', () => {
  it('given opossum state names, when mapped, then they are spelled as the contract says', () => {
    expect((['open', 'halfOpen', 'closed'] as BreakerState[]).map(breakerEventState)).toEqual(['OPEN', 'HALF_OPEN', 'CLOSED']);
  });

  it('given a state change, when its message is built, then it goes to issuer events, keyed by issuer, at the clock time', () => {
    const message = breakerStateChangedMessage(topics, 'KB', 'halfOpen', new Date('2026-11-26T01:00:00.000Z'));
    expect(message.topic).toBe('test.issuer.events');
    expect(message.envelope).toMatchObject({
      type: 'IssuerBreakerStateChanged', kind: 'event', key: 'KB', occurredAt: '2026-11-26T01:00:00.000Z',
      payload: { issuer: 'KB', state: 'HALF_OPEN', at: '2026-11-26T01:00:00.000Z' },
    });
  });

  it('given a breaker opens and later closes, when recorded, then both are written to the outbox in order and the relay is kicked', async () => {
    const h = harness();
    h.change('SAMSUNG', 'open');
    h.clock.advance(10_000);
    h.change('SAMSUNG', 'halfOpen');
    h.change('SAMSUNG', 'closed');
    await h.events.flush();
    expect(h.rows.every((r) => /INSERT INTO outbox/.test(r.sql))).toBe(true);
    expect(h.written().map((e) => [e.key, (e.payload as { state: string }).state, e.occurredAt])).toEqual([
      ['SAMSUNG', 'OPEN', '2026-11-26T01:00:00.000Z'],
      ['SAMSUNG', 'HALF_OPEN', '2026-11-26T01:00:10.000Z'],
      ['SAMSUNG', 'CLOSED', '2026-11-26T01:00:10.000Z'],
    ]);
    expect(h.kicks()).toBe(3);
  });

  it('given the database fails, when a change is recorded, then the listener does not throw, the failure is logged, and later changes are still written', async () => {
    const h = harness({ failWrites: 1 });
    expect(() => h.change('KB', 'open')).not.toThrow();
    h.change('KB', 'halfOpen');
    await h.events.flush();
    expect(h.errors).toEqual([expect.objectContaining({ issuer: 'KB', breaker: 'open', errorName: 'Error', reason: 'database unavailable' })]);
    expect(h.written().map((e) => (e.payload as { state: string }).state)).toEqual(['HALF_OPEN']);
  });
});
