import { LedgerReconciler, LedgerReconciliation } from './ledger-reconciler';

/** A human-readable report of a reconciliation, one line per finding. */
export function formatReconciliation(report: LedgerReconciliation): string {
  const lines: string[] = [];
  for (const tenant of report.tenants) {
    lines.push(`tenant ${tenant.tenantId}: ${tenant.consistent ? 'consistent' : 'INCONSISTENT'}`);
    for (const c of tenant.currencies) {
      lines.push(`  ${c.currency}: external ${c.external}, revenue ${c.revenue}, wallets ${c.wallets}, sum ${c.sum}${c.sum === 0 ? '' : '  <-- not zero'}`);
    }
    for (const m of tenant.mismatchedAccounts) {
      lines.push(`  account ${m.accountId} (${m.kind} ${m.currency}): cached balance ${m.cached}, entries sum to ${m.computed}`);
    }
    for (const id of tenant.negativeAccounts) lines.push(`  account ${id} is below zero`);
    for (const id of tenant.unbalancedTransactions) lines.push(`  ledger transaction ${id} is unbalanced`);
    if (tenant.brokenRunningBalances > 0) lines.push(`  ${tenant.brokenRunningBalances} entries with a wrong balance_after`);
  }
  lines.push(`${report.tenants.length} tenants checked: ${report.consistent ? 'the ledger is consistent' : 'DIFFERENCES FOUND'}`);
  return lines.join('\n');
}

/** Runs the reconciliation, writes the report, and returns the process exit code (0 clean, 1 differences). */
export async function runReconciliation(reconciler: LedgerReconciler, write: (text: string) => void): Promise<number> {
  const report = await reconciler.reconcileAll();
  write(`${formatReconciliation(report)}\n`);
  return report.consistent ? 0 : 1;
}
