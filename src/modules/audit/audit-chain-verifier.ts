import { Tx } from '../../database/unit-of-work';
import { ChainedEvent, chainHash, chainKey, GENESIS_HASH, sameChain } from './audit-chain';

/** An `audit_logs` row as PostgreSQL returns it. */
export interface AuditRow {
  id: string;
  tenant_id: string | null;
  chain_seq: string;
  type: string;
  severity: string;
  user_id: string | null;
  resource_type: string | null;
  resource_id: string | null;
  ip: string | null;
  request_id: string | null;
  outcome: string | null;
  metadata: Record<string, unknown>;
  created_at: Date;
  prev_hash: string;
  hash: string;
}

/**
 * The columns of {@link AuditRow}, named: statements are prepared once per
 * connection, and a prepared `SELECT *` fails once a later migration adds a
 * column under an instance still running.
 */
export const AUDIT_ROW_COLUMNS =
  'id, tenant_id, chain_seq, type, severity, user_id, resource_type, resource_id, ip, request_id, outcome, metadata, created_at, prev_hash, hash';

export interface ChainReport {
  valid: boolean;
  checked: number;
  firstBrokenId: string | null;
}

export const toChained = (row: AuditRow): ChainedEvent => ({
  id: row.id,
  tenantId: row.tenant_id,
  chainSeq: Number(row.chain_seq),
  type: row.type,
  severity: row.severity,
  userId: row.user_id,
  resourceType: row.resource_type,
  resourceId: row.resource_id,
  ip: row.ip,
  requestId: row.request_id,
  outcome: row.outcome,
  metadata: row.metadata,
  createdAt: row.created_at.toISOString(),
});

const BATCH = 1000;

/**
 * Walks one chain (a tenant's, or the tenant-less one) in order, from the
 * genesis or from where retention pruned it: a changed field breaks that
 * event's hash, a deleted event leaves a gap in the sequence, reordered
 * events break the links, events removed from the end leave the head
 * pointing past the last row. Reports the first event where it stops holding.
 */
export async function verifyChain(tx: Tx, tenantId: string | null): Promise<ChainReport> {
  const [head] = await tx.query<{ last_seq: string; last_hash: string; pruned_through_seq: string; pruned_through_hash: string }>(
    'SELECT last_seq, last_hash, pruned_through_seq, pruned_through_hash FROM audit_chain_heads WHERE chain_key = $1',
    [chainKey(tenantId)],
  );
  let previous = head?.pruned_through_hash ?? GENESIS_HASH;
  let expectedSeq = Number(head?.pruned_through_seq ?? 0) + 1;
  let checked = 0;
  for (;;) {
    const rows = await tx.query<AuditRow>(
      `SELECT ${AUDIT_ROW_COLUMNS} FROM audit_logs WHERE ${sameChain('$1')} AND chain_seq >= $2 ORDER BY chain_seq LIMIT $3`,
      [tenantId, expectedSeq, BATCH],
    );
    for (const row of rows) {
      checked++;
      const intact = Number(row.chain_seq) === expectedSeq && row.prev_hash === previous && chainHash(previous, toChained(row)) === row.hash;
      if (!intact) return { valid: false, checked, firstBrokenId: row.id };
      previous = row.hash;
      expectedSeq++;
    }
    if (rows.length < BATCH) break;
  }
  const tailIntact = !head || (Number(head.last_seq) === expectedSeq - 1 && head.last_hash === previous);
  return { valid: tailIntact, checked, firstBrokenId: null };
}
