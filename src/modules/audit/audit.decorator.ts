import { SetMetadata } from '@nestjs/common';
import { AuditEventType } from './audit.types';

export const AUDIT_METADATA = 'audit:event';

export interface AuditRouteOptions {
  /** Resource type recorded with the event, e.g. `wallet`. */
  resource: string;
}

/**
 * Declares the audit event of a route. Its service records the successful
 * event itself, in the transaction of the change; the audit interceptor
 * records the attempts that failed (denied, not found, refused), which have
 * no transaction to join.
 */
export const Audit = (type: AuditEventType, options: AuditRouteOptions) => SetMetadata(AUDIT_METADATA, { type, ...options });
