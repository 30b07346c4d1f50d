import { randomUUID } from 'node:crypto';
import { BeforeApplicationShutdown, Inject, Injectable, OnModuleInit } from '@nestjs/common';
import type { Logger } from 'pino';
import { PINO_LOGGER } from '../../common/logging/logging.module';
import { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import { currentRequestContext } from '../../common/request-context/request-context';
import { Tx, UnitOfWork } from '../../database/unit-of-work';
import { AuditBuffer, AuditBufferStats } from './audit-buffer';
import { PreparedEvent, AuditWriter } from './audit-writer';
import { AuditEventInput, AuditEventType, AuditRecorder, AuditSeverity } from './audit.types';

const DEFAULT_SEVERITY: Partial<Record<AuditEventType, AuditSeverity>> = {
  AUTH_FAILED: 'WARNING',
  RATE_LIMIT_EXCEEDED: 'WARNING',
  SECURITY_VIOLATION: 'WARNING',
};
/** How long shutdown keeps retrying to write what is buffered. */
const SHUTDOWN_FLUSH_DEADLINE_MS = 10_000;

/**
 * Records audit events on two paths. Money and order events are written in
 * the caller's transaction (they commit or roll back with the change).
 * Everything else goes through a bounded buffer written in batches, flushed
 * before the database closes at shutdown. Every stored event is also one
 * JSON log line, for shipping to a log platform.
 */
@Injectable()
export class AuditService implements AuditRecorder, OnModuleInit, BeforeApplicationShutdown {
  private readonly logger: Logger;
  private readonly buffer: AuditBuffer;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly writer: AuditWriter,
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(PINO_LOGGER) logger: Logger,
  ) {
    this.logger = logger.child({ context: 'Audit' });
    this.buffer = new AuditBuffer({
      batchSize: config.AUDIT_BATCH_SIZE,
      flushIntervalMs: config.AUDIT_FLUSH_INTERVAL_MS,
      maxBuffered: Math.max(10_000, config.AUDIT_BATCH_SIZE * 100),
      write: (events) => this.writeBatch(events),
      onDrop: (event) => this.logger.warn({ audit: event }, `audit event dropped: buffer full (${event.type})`),
    });
  }

  onModuleInit(): void {
    this.buffer.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.buffer.stop(SHUTDOWN_FLUSH_DEADLINE_MS);
    const left = this.buffer.getStats().buffered;
    if (left > 0) this.logger.error(`${left} audit events could not be written before shutdown`);
  }

  record(input: AuditEventInput): void {
    this.buffer.add(this.prepare(input));
  }

  recordInTransaction(tx: Tx, input: AuditEventInput): void {
    const event = this.prepare(input);
    // Appended last: the chain head is locked by every money transaction of the tenant, and held until COMMIT.
    tx.beforeCommit(() => this.writer.appendNew(tx, event.tenantId, [event]));
    tx.afterCommit(() => this.logEvent(event));
  }

  /** Writes whatever is buffered now (tests and the shutdown path). */
  flush(): Promise<void> {
    return this.buffer.flush();
  }

  stats(): AuditBufferStats {
    return this.buffer.getStats();
  }

  private prepare(input: AuditEventInput): PreparedEvent {
    const ctx = currentRequestContext();
    return {
      id: randomUUID(),
      tenantId: input.tenantId !== undefined ? input.tenantId : (ctx?.principal?.tenantId ?? null),
      type: input.type,
      severity: input.severity ?? DEFAULT_SEVERITY[input.type] ?? 'INFO',
      userId: input.userId !== undefined ? input.userId : (ctx?.principal?.userId ?? null),
      resourceType: input.resourceType ?? null,
      resourceId: input.resourceId ?? null,
      ip: ctx?.ip ?? null,
      requestId: ctx?.requestId ?? null,
      outcome: input.outcome ?? 'success',
      metadata: input.metadata ?? {},
      createdAt: new Date().toISOString(),
    };
  }

  /** One transaction per chain, so a tenant's batch never waits on another's lock. */
  private async writeBatch(events: PreparedEvent[]): Promise<void> {
    const byTenant = new Map<string | null, PreparedEvent[]>();
    for (const event of events) byTenant.set(event.tenantId, [...(byTenant.get(event.tenantId) ?? []), event]);
    for (const [tenantId, group] of byTenant) {
      const write = (tx: Tx) => this.writer.append(tx, tenantId, group);
      await (tenantId ? this.uow.forTenant(tenantId, write) : this.uow.withoutTenant(write, { platform: true }));
      for (const event of group) this.logEvent(event);
    }
  }

  private logEvent(event: PreparedEvent): void {
    this.logger.info({ audit: event }, `audit ${event.type}`);
  }
}
