import { AsyncLocalStorage } from 'node:async_hooks';

export type Role = 'admin' | 'member';

/** The authenticated principal, set by the authentication guard. */
export interface Principal {
  tenantId: string;
  userId: string;
  role: Role;
  sessionId: string;
}

/**
 * What a request carries through guards, services, logs and audit. Services
 * take it as their first argument; logs and audit read it from the
 * AsyncLocalStorage so that no layer has to thread it by hand.
 */
export interface RequestContext {
  requestId: string;
  ip: string;
  method: string;
  /** Route template once matched, e.g. `/api/wallets/:id`. */
  route?: string;
  principal?: Principal;
}

/** A context whose principal is known: what a guarded handler receives. */
export type AuthenticatedContext = RequestContext & { principal: Principal };

export const requestContextStorage = new AsyncLocalStorage<RequestContext>();

export function currentRequestContext(): RequestContext | undefined {
  return requestContextStorage.getStore();
}
