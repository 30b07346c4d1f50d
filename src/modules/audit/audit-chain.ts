import { createHash } from 'node:crypto';

export const GENESIS_HASH = '0'.repeat(64);

/** A stored event as the hash covers it: every field a reader relies on. */
export interface ChainedEvent {
  id: string;
  tenantId: string | null;
  chainSeq: number;
  type: string;
  severity: string;
  userId: string | null;
  resourceType: string | null;
  resourceId: string | null;
  ip: string | null;
  requestId: string | null;
  outcome: string | null;
  metadata: Record<string, unknown>;
  createdAt: string;
}

/** JSON with sorted keys at every level, so the same event always hashes the same. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.keys(value as object)
      .sort()
      .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
      .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/** `hash = SHA-256(previous hash ‖ canonical event)`. */
export function chainHash(previousHash: string, event: ChainedEvent): string {
  return createHash('sha256').update(previousHash).update('\n').update(canonicalJson(event)).digest('hex');
}

/** The chain a tenant's events (or the tenant-less ones) belong to. */
export const chainKey = (tenantId: string | null) => tenantId ?? 'platform';

/**
 * SQL matching the rows of one chain, written as the unique index
 * `audit_logs_chain` is, so that walking a chain is an index range scan.
 */
export const sameChain = (param: string) =>
  `coalesce(tenant_id, '00000000-0000-0000-0000-000000000000') = coalesce(${param}::uuid, '00000000-0000-0000-0000-000000000000')`;
