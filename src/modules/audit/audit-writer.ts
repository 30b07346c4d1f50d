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

/** Appends rows and moves the head past them: one statement. */
const APPEND_SQL = `WITH appended AS (
    INSERT INTO audit_logs (${COLUMNS.map(([c]) => c).join(', ')})
    SELECT * FROM unnest(${COLUMNS.map(([, type], i) => `$${i + 1}::${type}[]`).join(', ')}))
  UPDATE audit_chain_heads SET last_seq = $${COLUMNS.length + 1}, last_hash = $${COLUMNS.length + 2}
   WHERE chain_key = $${COLUMNS.length + 3}`;

interface ChainHead {
  key: string;
  lastSeq: number;
  lastHash: string;
}

/**
 * Appends events to one chain (one tenant, or the tenant-less chain) inside
 * the caller's transaction: locks the chain head, links each event to the
 * previous hash and writes them with the new head in one statement. The
 * head is one row that every appending transaction of the chain locks, so
 * each step here is a round trip for which all the others wait.
 */
@Injectable()
export class AuditWriter {
  /** A batch of buffered events, skipping those already stored (a retried batch whose first commit was not acknowledged). */
  async append(tx: Tx, tenantId: string | null, events: PreparedEvent[]): Promise<number> {
    if (events.length === 0) return 0;
    const head = await this.lockHead(tx, tenantId);
    // Read under the head's lock: an earlier attempt still committing holds it, so its rows are seen here.
    const stored = await tx.query<{ id: string }>('SELECT id FROM audit_logs WHERE id = ANY($1::uuid[])', [events.map((e) => e.id)]);
    const storedIds = new Set(stored.map((row) => row.id));
    return this.write(tx, head, events.filter((event) => !storedIds.has(event.id)));
  }

  /** Events made in this very transaction, which cannot be stored yet: two round trips. */
  async appendNew(tx: Tx, tenantId: string | null, events: PreparedEvent[]): Promise<number> {
    if (events.length === 0) return 0;
    return this.write(tx, await this.lockHead(tx, tenantId), events);
  }

  /** Locks and reads the chain's head: one round trip once the chain exists. */
  private async lockHead(tx: Tx, tenantId: string | null): Promise<ChainHead> {
    const key = chainKey(tenantId);
    const lock = () =>
      tx.query<{ last_seq: string; last_hash: string }>('SELECT last_seq, last_hash FROM audit_chain_heads WHERE chain_key = $1 FOR UPDATE', [key]);
    let [head] = await lock();
    if (!head) {
      // The chain's first event (another transaction may be creating the head too: the insert then waits for it).
      await tx.query(
        'INSERT INTO audit_chain_heads (chain_key, tenant_id, last_seq, last_hash) VALUES ($1, $2, 0, $3) ON CONFLICT (chain_key) DO NOTHING',
        [key, tenantId, GENESIS_HASH],
      );
      [head] = await lock();
    }
    return { key, lastSeq: Number(head.last_seq), lastHash: head.last_hash };
  }

  private async write(tx: Tx, head: ChainHead, events: PreparedEvent[]): Promise<number> {
    if (events.length === 0) return 0;
    let seq = head.lastSeq;
    let previous = head.lastHash;
    const rows = events.map((event) => {
      const chained: ChainedEvent = { ...event, chainSeq: ++seq };
      const hash = chainHash(previous, chained);
      const row = { ...chained, prevHash: previous, hash };
      previous = hash;
      return row;
    });
    await tx.query(APPEND_SQL, [...COLUMNS.map(([, , value]) => rows.map(value)), seq, previous, head.key]);
    return rows.length;
  }
}
