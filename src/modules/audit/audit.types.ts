import type { Tx } from '../../database/unit-of-work';

export const AUDIT_EVENT_TYPES = [
  'AUTH_LOGIN',
  'AUTH_LOGOUT',
  'AUTH_FAILED',
  'WALLET_CREATE',
  'WALLET_CREDIT',
  'WALLET_DEBIT',
  'WALLET_TRANSFER',
  'ORDER_CREATE',
  'ORDER_STATUS_CHANGE',
  'ORDER_CANCEL',
  'RATE_LIMIT_EXCEEDED',
  'SECURITY_VIOLATION',
] as const;
export type AuditEventType = (typeof AUDIT_EVENT_TYPES)[number];

export const AUDIT_SEVERITIES = ['INFO', 'WARNING', 'ERROR', 'CRITICAL'] as const;
export type AuditSeverity = (typeof AUDIT_SEVERITIES)[number];

/** What a caller knows about an event; the recorder fills request id, IP and principal from the request context. */
export interface AuditEventInput {
  type: AuditEventType;
  severity?: AuditSeverity;
  /** `null` for events that belong to no tenant (unknown tenant at login, anonymous rate-limit hits). */
  tenantId?: string | null;
  userId?: string | null;
  resourceType?: string;
  resourceId?: string;
  outcome?: 'success' | 'failure';
  /** Small and free of secrets: never passwords, tokens or keys. */
  metadata?: Record<string, unknown>;
}

/**
 * How any module records audit events, implemented by the audit module.
 * `record` is buffered and batched (auth, rate limits, security);
 * `recordInTransaction` writes in the caller's transaction (money, orders),
 * just before it commits, so the event commits or rolls back with the
 * change it describes.
 */
export interface AuditRecorder {
  record(event: AuditEventInput): void;
  recordInTransaction(tx: Tx, event: AuditEventInput): void;
}

export const AUDIT_RECORDER = Symbol('AUDIT_RECORDER');
