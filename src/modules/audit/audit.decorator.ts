import { applyDecorators, SetMetadata, UseInterceptors } from '@nestjs/common';
import { AUDIT_METADATA, AuditInterceptor, AuditRouteOptions } from './audit.interceptor';
import { AuditEventType } from './audit.types';

/**
 * Declares the audit event of a route. Its service records the successful
 * event itself, in the transaction of the change; the audit interceptor,
 * bound here, records the attempts that failed (denied, not found, refused),
 * which have no transaction to join.
 */
export const Audit = (type: AuditEventType, options: AuditRouteOptions) =>
  applyDecorators(SetMetadata(AUDIT_METADATA, { type, ...options }), UseInterceptors(AuditInterceptor));
