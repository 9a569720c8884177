import { auditLedger } from '@pointsweep/conversion-ledger';

export interface BankTransfer {
  accountNumber: string;
  amountWon: number;
  status?: string;
}

/** Every transfer the bank simulator has made. */
export async function bankTransfers(simulatorsUrl: string): Promise<BankTransfer[]> {
  return (await (await fetch(`${simulatorsUrl}/admin/bank/transfers`)).json()) as BankTransfer[];
}

/** Each of these accounts received exactly one transfer. */
export async function expectEachPaidOnce(simulatorsUrl: string, accounts: { accountNumber: string }[]): Promise<void> {
  const transfers = await bankTransfers(simulatorsUrl);
  for (const { accountNumber } of accounts) expect(transfers.filter((t) => t.accountNumber === accountNumber)).toHaveLength(1);
}

/** The ledger audit passes, every part terminal (scheduled only where its cut-off passed). */
export async function expectLedgerAuditPasses(databaseUrl: string): Promise<void> {
  const audit = await auditLedger({ databaseUrl, requireTerminal: true });
  expect(audit.checks.filter((c) => !c.ok)).toEqual([]);
}
