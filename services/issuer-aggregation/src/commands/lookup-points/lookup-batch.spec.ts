import { DataSource } from 'typeorm';
import { MessageContext, TransactionWork } from '@pointsweep/messaging';
import { LookupReads, SnapshotWrites } from './lookup-batch';

const ALICE = '11111111-1111-4111-8111-111111111111';
const BOB = '22222222-2222-4222-8222-222222222222';

function contextWith(work: TransactionWork, query: jest.Mock = jest.fn()): MessageContext {
  return { work, tx: { query }, acceptedAt: new Date('2026-12-02T01:00:00Z') } as unknown as MessageContext;
}

describe('lookups of one chunk', () => {
  it('reads the consents and snapshots of every person asking in the same turn in one statement', async () => {
    const query = jest.fn().mockResolvedValue([
      { person_id: ALICE, consents: [{ issuer: 'KB', ci: 'ci-a' }], snapshots: [{ program: 'KB_POINTREE', balance: '1200', expiring: [], as_of: '2026-12-01T00:00:00Z' }] },
      { person_id: BOB, consents: [], snapshots: [] },
    ]);
    const work = new TransactionWork();
    const reads = LookupReads.of(contextWith(work), { query } as unknown as DataSource);

    const [alice, bob, aliceAgain] = await Promise.all([reads.read(ALICE), reads.read(BOB), reads.read(ALICE)]);

    expect(query).toHaveBeenCalledTimes(1);
    expect(query.mock.calls[0][1]).toEqual([[ALICE, BOB]]);
    expect(alice).toEqual({ consents: [{ issuer: 'KB', ci: 'ci-a' }], snapshots: [{ program: 'KB_POINTREE', balance: 1200, expiring: [], asOf: '2026-12-01T00:00:00.000Z' }] });
    expect(aliceAgain).toEqual(alice);
    expect(bob).toEqual({ consents: [], snapshots: [] });
  });

  it('fails every waiting lookup when the read fails', async () => {
    const query = jest.fn().mockRejectedValue(new Error('connection lost'));
    const reads = LookupReads.of(contextWith(new TransactionWork()), { query } as unknown as DataSource);
    await expect(Promise.all([reads.read(ALICE), reads.read(BOB)])).rejects.toThrow('connection lost');
  });

  it('fails only the lookups of a person whose snapshot cannot be read, and finds a person asked for in capitals', async () => {
    const query = jest.fn().mockResolvedValue([
      { person_id: ALICE, consents: [], snapshots: [{ program: 'KB_POINTREE', balance: '1e30', expiring: [], as_of: '2026-12-01T00:00:00Z' }] },
      { person_id: BOB, consents: [{ issuer: 'KB', ci: 'ci-b' }], snapshots: [] },
    ]);
    const reads = LookupReads.of(contextWith(new TransactionWork()), { query } as unknown as DataSource);
    const [alice, bob] = await Promise.allSettled([reads.read(ALICE), reads.read(BOB.toUpperCase())]);
    expect(alice).toMatchObject({ status: 'rejected', reason: expect.objectContaining({ message: expect.stringContaining('out of range') }) });
    expect(bob).toEqual({ status: 'fulfilled', value: { consents: [{ issuer: 'KB', ci: 'ci-b' }], snapshots: [] } });
  });

  it('writes every fresh balance of the chunk in one statement, keeping the newer of two answers for one program', async () => {
    const query = jest.fn().mockResolvedValue([]);
    const ctx = contextWith(new TransactionWork(), query);
    const writes = SnapshotWrites.of(ctx);
    writes.add([{ personId: ALICE, program: 'KB_POINTREE', issuer: 'KB', balance: 100, expiring: [], asOf: '2026-12-02T00:00:02Z' }]);
    writes.add([
      { personId: ALICE, program: 'KB_POINTREE', issuer: 'KB', balance: 90, expiring: [], asOf: '2026-12-02T00:00:01Z' },
      { personId: BOB, program: 'KB_POINTREE', issuer: 'KB', balance: 7, expiring: [], asOf: '2026-12-02T00:00:01Z' },
    ]);

    await writes.flush();

    expect(query).toHaveBeenCalledTimes(1);
    const rows = JSON.parse(query.mock.calls[0][1][1]);
    expect(rows.map((r: { person_id: string; balance: number }) => [r.person_id, r.balance])).toEqual([[ALICE, 100], [BOB, 7]]);
    await writes.flush();
    expect(query).toHaveBeenCalledTimes(1);
  });
});
