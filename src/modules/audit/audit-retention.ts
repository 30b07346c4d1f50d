import { Tx, UnitOfWork } from '../../database/unit-of-work';
import { chainKey, sameChain } from './audit-chain';
import { ChainReport, verifyChain } from './audit-chain-verifier';

export interface ChainSummary {
  tenantId: string | null;
}

/** Every chain that has a head: one per tenant with events, plus the tenant-less one. */
export function listChains(tx: Tx): Promise<ChainSummary[]> {
  return tx.query<{ tenant_id: string | null }>('SELECT tenant_id FROM audit_chain_heads ORDER BY chain_key').then((rows) =>
    rows.map((row) => ({ tenantId: row.tenant_id })),
  );
}

/** Verifies every chain, as the platform operator (all tenants visible). */
export async function verifyAllChains(uow: UnitOfWork): Promise<Array<ChainSummary & ChainReport>> {
  return uow.withoutTenant(
    async (tx) => {
      const reports = [];
      for (const chain of await listChains(tx)) reports.push({ ...chain, ...(await verifyChain(tx, chain.tenantId)) });
      return reports;
    },
    { platform: true },
  );
}

/**
 * Deletes the events written before `before`, chain by chain, keeping each
 * chain verifiable: the head records the last removed event's sequence and
 * hash, and verification starts there. Only a prefix of a chain is removed
 * (up to the first event that is still young), so no gap is ever made.
 * Needs the owner role: the service's own role may not delete audit events.
 */
export async function pruneAuditLog(uow: UnitOfWork, before: Date): Promise<Array<ChainSummary & { removed: number }>> {
  const chains = await uow.withoutTenant((tx) => listChains(tx), { platform: true });
  const results = [];
  for (const chain of chains) {
    const removed = await uow.withoutTenant((tx) => pruneChain(tx, chain.tenantId, before), { platform: true });
    results.push({ ...chain, removed });
  }
  return results;
}

async function pruneChain(tx: Tx, tenantId: string | null, before: Date): Promise<number> {
  const key = chainKey(tenantId);
  const [head] = await tx.query<{ pruned_through_seq: string }>('SELECT pruned_through_seq FROM audit_chain_heads WHERE chain_key = $1 FOR UPDATE', [key]);
  const [boundary] = await tx.query<{ last_old: string | null }>(
    `SELECT coalesce(
              (SELECT min(chain_seq) - 1 FROM audit_logs WHERE ${sameChain('$1')} AND created_at >= $2),
              (SELECT max(chain_seq) FROM audit_logs WHERE ${sameChain('$1')})) AS last_old`,
    [tenantId, before.toISOString()],
  );
  const through = Number(boundary.last_old ?? 0);
  if (through <= Number(head.pruned_through_seq)) return 0;
  const [last] = await tx.query<{ hash: string }>(`SELECT hash FROM audit_logs WHERE ${sameChain('$1')} AND chain_seq = $2`, [
    tenantId,
    through,
  ]);
  const deleted = await tx.query(`DELETE FROM audit_logs WHERE ${sameChain('$1')} AND chain_seq <= $2 RETURNING 1`, [tenantId, through]);
  await tx.query('UPDATE audit_chain_heads SET pruned_through_seq = $2, pruned_through_hash = $3 WHERE chain_key = $1', [key, through, last.hash]);
  return deleted.length;
}
