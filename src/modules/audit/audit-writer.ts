import { Injectable } from '@nestjs/common';
import { Tx } from '../../database/unit-of-work';
import { ChainedEvent, chainHash, chainKey, GENESIS_HASH } from './audit-chain';

/** An event ready to store: everything but its place in the chain. */
export type PreparedEvent = Omit<ChainedEvent, 'chainSeq'>;

const COLUMNS: Array<[column: string, type: string, value: (e: ChainedEvent & { prevHash: string; hash: string }) => unknown]> = [
  ['id', 'uuid', (e) => e.id],
  ['tenant_id', 'uuid', (e) => e.tenantId],
  ['chain_seq', 'bigint', (e) => e.chainSeq],
  ['type', 'text', (e) => e.type],
  ['severity', 'text', (e) => e.severity],
  ['user_id', 'uuid', (e) => e.userId],
  ['resource_type', 'text', (e) => e.resourceType],
  ['resource_id', 'text', (e) => e.resourceId],
  ['ip', 'text', (e) => e.ip],
  ['request_id', 'text', (e) => e.requestId],
  ['outcome', 'text', (e) => e.outcome],
  ['metadata', 'jsonb', (e) => JSON.stringify(e.metadata)],
  ['created_at', 'timestamptz', (e) => e.createdAt],
  ['prev_hash', 'text', (e) => e.prevHash],
  ['hash', 'text', (e) => e.hash],
];

const INSERT_SQL = `INSERT INTO audit_logs (${COLUMNS.map(([c]) => c).join(', ')})
  SELECT * FROM unnest(${COLUMNS.map(([, type], i) => `$${i + 1}::${type}[]`).join(', ')})`;

/**
 * Appends events of one chain (one tenant, or the tenant-less chain) inside
 * the caller's transaction: locks the chain head, skips events already
 * stored (a retried batch whose first commit was not acknowledged), links
 * each event to the previous hash and writes them in one multi-row insert.
 */
@Injectable()
export class AuditWriter {
  async append(tx: Tx, tenantId: string | null, events: PreparedEvent[]): Promise<number> {
    if (events.length === 0) return 0;
    const key = chainKey(tenantId);
    await tx.query(
      `INSERT INTO audit_chain_heads (chain_key, tenant_id, last_seq, last_hash) VALUES ($1, $2, 0, $3) ON CONFLICT (chain_key) DO NOTHING`,
      [key, tenantId, GENESIS_HASH],
    );
    const [head] = await tx.query<{ last_seq: string; last_hash: string }>(
      'SELECT last_seq, last_hash FROM audit_chain_heads WHERE chain_key = $1 FOR UPDATE',
      [key],
    );
    const stored = await tx.query<{ id: string }>('SELECT id FROM audit_logs WHERE id = ANY($1::uuid[])', [events.map((e) => e.id)]);
    const storedIds = new Set(stored.map((row) => row.id));
    let seq = Number(head.last_seq);
    let previous = head.last_hash;
    const rows = events
      .filter((event) => !storedIds.has(event.id))
      .map((event) => {
        const chained: ChainedEvent = { ...event, chainSeq: ++seq };
        const hash = chainHash(previous, chained);
        const row = { ...chained, prevHash: previous, hash };
        previous = hash;
        return row;
      });
    if (rows.length === 0) return 0;
    await tx.query(INSERT_SQL, COLUMNS.map(([, , value]) => rows.map(value)));
    await tx.query('UPDATE audit_chain_heads SET last_seq = $2, last_hash = $3 WHERE chain_key = $1', [key, seq, previous]);
    return rows.length;
  }
}
