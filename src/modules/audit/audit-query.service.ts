import { Injectable } from '@nestjs/common';
import { CursorCodec } from '../../common/pagination/cursor';
import { keysetCondition, Page, toPage } from '../../common/pagination/page';
import { Tx, UnitOfWork } from '../../database/unit-of-work';
import { ChainedEvent, chainHash, chainKey, GENESIS_HASH } from './audit-chain';
import { AuditLogDto, AuditQueryDto, AuditVerifyDto } from './dto/audit.dto';

interface AuditRow {
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

const toDto = (row: AuditRow): AuditLogDto => ({
  id: row.id,
  type: row.type as AuditLogDto['type'],
  severity: row.severity as AuditLogDto['severity'],
  tenantId: row.tenant_id,
  userId: row.user_id,
  resourceType: row.resource_type,
  resourceId: row.resource_id,
  ip: row.ip,
  requestId: row.request_id,
  outcome: row.outcome,
  metadata: row.metadata,
  createdAt: row.created_at.toISOString(),
});

const toChained = (row: AuditRow): ChainedEvent => ({
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

const VERIFY_BATCH = 1000;

/** Reads the audit log: filtered keyset pages, and the hash-chain verifier. */
@Injectable()
export class AuditQueryService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly cursors: CursorCodec,
  ) {}

  /** The caller's tenant only: the WHERE clause and row-level security both say so. */
  listForTenant(tenantId: string, query: AuditQueryDto): Promise<Page<AuditLogDto>> {
    return this.uow.readForTenant(tenantId, (tx) => this.list(tx, query, { tenantId }));
  }

  /** The platform view: every tenant, or one, or (`none`) the tenant-less events. */
  listForPlatform(query: AuditQueryDto & { tenantId?: string }): Promise<Page<AuditLogDto>> {
    const scope = query.tenantId === undefined ? {} : { tenantId: query.tenantId === 'none' ? null : query.tenantId.toLowerCase() };
    return this.uow.withoutTenant((tx) => this.list(tx, query, scope), { platform: true });
  }

  verifyTenant(tenantId: string): Promise<AuditVerifyDto> {
    return this.uow.forTenant(tenantId, (tx) => this.verify(tx, tenantId));
  }

  private async list(tx: Tx, query: AuditQueryDto, scope: { tenantId?: string | null }): Promise<Page<AuditLogDto>> {
    const limit = query.limit ?? 20;
    const conditions: string[] = [];
    const params: unknown[] = [limit + 1];
    const add = (sql: (p: string) => string, value: unknown) => {
      params.push(value);
      conditions.push(sql(`$${params.length}`));
    };
    if (scope.tenantId === null) conditions.push('tenant_id IS NULL');
    else if (scope.tenantId !== undefined) add((p) => `tenant_id = ${p}::uuid`, scope.tenantId);
    if (query.type) add((p) => `type = ${p}`, query.type);
    if (query.severity) add((p) => `severity = ${p}`, query.severity);
    if (query.from) add((p) => `created_at >= ${p}::timestamptz`, query.from);
    if (query.to) add((p) => `created_at < ${p}::timestamptz`, query.to);
    const after = keysetCondition(this.cursors, query.cursor, params.length + 1);
    params.push(...after.params);
    conditions.push(after.sql);
    const rows = await tx.query<AuditRow>(
      `SELECT * FROM audit_logs WHERE ${conditions.join(' AND ')} ORDER BY created_at DESC, id DESC LIMIT $1`,
      params,
    );
    return toPage(rows, limit, this.cursors, toDto);
  }

  /**
   * Walks the chain in order: a changed field breaks that event's hash, a
   * deleted event leaves a gap in the sequence, reordered events break the
   * links. Reports the first event where the chain stops holding.
   */
  private async verify(tx: Tx, tenantId: string): Promise<AuditVerifyDto> {
    let previous = GENESIS_HASH;
    let expectedSeq = 1;
    let checked = 0;
    for (;;) {
      const rows = await tx.query<AuditRow>(
        'SELECT * FROM audit_logs WHERE tenant_id = $1 AND chain_seq >= $2 ORDER BY chain_seq LIMIT $3',
        [tenantId, expectedSeq, VERIFY_BATCH],
      );
      for (const row of rows) {
        checked++;
        const intact =
          Number(row.chain_seq) === expectedSeq && row.prev_hash === previous && chainHash(previous, toChained(row)) === row.hash;
        if (!intact) return { valid: false, checked, firstBrokenId: row.id };
        previous = row.hash;
        expectedSeq++;
      }
      if (rows.length < VERIFY_BATCH) break;
    }
    const [head] = await tx.query<{ last_seq: string; last_hash: string }>(
      'SELECT last_seq, last_hash FROM audit_chain_heads WHERE chain_key = $1',
      [chainKey(tenantId)],
    );
    // Events removed from the end leave the head pointing past the last row.
    const tailIntact = !head || (Number(head.last_seq) === expectedSeq - 1 && head.last_hash === previous);
    return { valid: tailIntact, checked, firstBrokenId: null };
  }
}
