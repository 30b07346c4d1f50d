import { Injectable } from '@nestjs/common';
import { CursorCodec, ListCursors } from '../../common/pagination/cursor';
import { keysetCondition, Page, toPage } from '../../common/pagination/page';
import { Tx, UnitOfWork } from '../../database/unit-of-work';
import { AUDIT_ROW_COLUMNS, AuditRow, toChained, verifyChain } from './audit-chain-verifier';
import { AuditLogDto, AuditQueryDto, AuditVerifyDto } from './dto/audit.dto';

/** The stored event as the hash covers it, less its place in the chain. */
const toDto = (row: AuditRow): AuditLogDto => {
  const { chainSeq: _chainSeq, ...event } = toChained(row);
  return event as AuditLogDto;
};

/** Reads the audit log: filtered keyset pages, and the hash-chain verifier. */
@Injectable()
export class AuditQueryService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly cursors: CursorCodec,
  ) {}

  /** The caller's tenant only: the WHERE clause and row-level security both say so. */
  listForTenant(tenantId: string, query: AuditQueryDto): Promise<Page<AuditLogDto>> {
    return this.uow.readForTenant(tenantId, (tx) => this.list(tx, query, { tenantId }, this.cursors.forList(`audit-logs:${tenantId}`)));
  }

  /** The platform view: every tenant, or one, or (`none`) the tenant-less events. */
  listForPlatform(query: AuditQueryDto & { tenantId?: string }): Promise<Page<AuditLogDto>> {
    const scope = query.tenantId === undefined ? {} : { tenantId: query.tenantId === 'none' ? null : query.tenantId.toLowerCase() };
    return this.uow.withoutTenant((tx) => this.list(tx, query, scope, this.cursors.forList('platform-audit-logs')), { platform: true });
  }

  verifyTenant(tenantId: string): Promise<AuditVerifyDto> {
    return this.uow.forTenant(tenantId, (tx) => verifyChain(tx, tenantId));
  }

  private async list(tx: Tx, query: AuditQueryDto, scope: { tenantId?: string | null }, cursors: ListCursors): Promise<Page<AuditLogDto>> {
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
    const after = keysetCondition(cursors, query.cursor, params.length + 1);
    params.push(...after.params);
    conditions.push(after.sql);
    const rows = await tx.query<AuditRow>(
      `SELECT ${AUDIT_ROW_COLUMNS} FROM audit_logs WHERE ${conditions.join(' AND ')} ORDER BY created_at DESC, id DESC LIMIT $1`,
      params,
    );
    return toPage(rows, limit, cursors, toDto);
  }
}
