import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { DomainError } from '../../common/errors/domain-error';
import { RequestContext } from '../../common/request-context/request-context';
import { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import { Tx, UnitOfWork } from '../../database/unit-of-work';

import { MetricsService } from '../metrics/metrics.service';
import { MetricsSources } from '../metrics/metrics-sources';
/** A key this request holds while it runs: `lockToken` proves the claim is still ours. */
export interface IdempotencyClaim {
  tenantId: string;
  userId: string;
  key: string;
  lockToken: string;
  /** Status of a successful answer (the route's `@HttpCode`, 201 for a POST). */
  successStatus: number;
  /** Set once the answer is stored, in the money transaction or after it. */
  completed: boolean;
}

export interface ClaimRequest {
  tenantId: string;
  userId: string;
  key: string;
  fingerprint: string;
  method: string;
  path: string;
  successStatus: number;
}

export type ClaimOutcome = { kind: 'claimed'; claim: IdempotencyClaim } | { kind: 'replay'; status: number; body: string };

export interface IdempotencyStats {
  claimed: number;
  replayed: number;
  recorded: number;
  released: number;
  inProgress: number;
  reused: number;
  pruned: number;
}

interface KeyRow {
  fingerprint: string;
  state: 'pending' | 'completed';
  status: number | null;
  body: string | null;
}

const PRUNE_INTERVAL_MS = 60 * 60 * 1000;
const PRUNE_BATCH = 1000;

/**
 * Stripe-style idempotency keys, stored in PostgreSQL per (tenant, user, key).
 * A request first claims its key (a committed `pending` row); its answer is
 * then stored in the same database transaction as the change it made (see
 * {@link completeInTransaction}), so money can never move without its key
 * being recorded, nor twice for one key. Expired keys are pruned hourly.
 */
@Injectable()
export class IdempotencyService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(IdempotencyService.name);
  private readonly claims = new WeakMap<RequestContext, IdempotencyClaim>();
  private readonly counters: IdempotencyStats = { claimed: 0, replayed: 0, recorded: 0, released: 0, inProgress: 0, reused: 0, pruned: 0 };
  private pruneTimer?: NodeJS.Timeout;

  constructor(
    private readonly uow: UnitOfWork,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly metrics: MetricsService,
    private readonly metricsSources: MetricsSources,
  ) {}

  onModuleInit(): void {
    this.metricsSources.register('idempotency', () => this.stats());
    this.pruneTimer = setInterval(() => {
      this.prune().catch((error: Error) => this.logger.warn(`pruning expired idempotency keys failed: ${error.message}`));
    }, PRUNE_INTERVAL_MS);
    this.pruneTimer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.pruneTimer);
  }

  /**
   * Claims the key for this request, or says what to do instead: replay a
   * recorded answer, or refuse (409 while another attempt runs, 422 when the
   * key was used for another request). An expired key, or a pending one
   * whose holder's lock ran out (a crashed request), is taken over.
   */
  async claim(request: ClaimRequest): Promise<ClaimOutcome> {
    const lockToken = randomUUID();
    for (let attempt = 0; attempt < 3; attempt++) {
      const outcome = await this.uow.forTenant(request.tenantId, async (tx) => {
        const claimed = await tx.query(
          `INSERT INTO idempotency_keys AS k
             (tenant_id, user_id, key, fingerprint, method, path, state, lock_token, locked_until, expires_at)
           VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7,
                   now() + make_interval(secs => $8::int), now() + make_interval(secs => $9::int))
           ON CONFLICT (tenant_id, user_id, key) DO UPDATE SET
             fingerprint = EXCLUDED.fingerprint, method = EXCLUDED.method, path = EXCLUDED.path, state = 'pending',
             lock_token = EXCLUDED.lock_token, locked_until = EXCLUDED.locked_until, status = NULL, body = NULL,
             created_at = now(), expires_at = EXCLUDED.expires_at
           WHERE k.expires_at <= now()
              OR (k.state = 'pending' AND k.locked_until <= now() AND k.fingerprint = EXCLUDED.fingerprint)
           RETURNING k.lock_token`,
          [
            request.tenantId,
            request.userId,
            request.key,
            request.fingerprint,
            request.method,
            request.path,
            lockToken,
            this.config.IDEMPOTENCY_LOCK_TIMEOUT_SECONDS,
            this.config.IDEMPOTENCY_TTL_SECONDS,
          ],
        );
        if (claimed.length > 0) return 'claimed' as const;
        const [row] = await tx.query<KeyRow>(
          'SELECT fingerprint, state, status, body FROM idempotency_keys WHERE tenant_id = $1 AND user_id = $2 AND key = $3',
          [request.tenantId, request.userId, request.key],
        );
        return row ?? null;
      });
      if (outcome === 'claimed') {
        this.counters.claimed++;
        const { tenantId, userId, key, successStatus } = request;
        return { kind: 'claimed', claim: { tenantId, userId, key, lockToken, successStatus, completed: false } };
      }
      // Pruned between the insert and the read: try again.
      if (!outcome) continue;
      if (outcome.fingerprint !== request.fingerprint) {
        this.counters.reused++;
        throw new DomainError(
          'IDEMPOTENCY_KEY_REUSED',
          'this Idempotency-Key was used for another request (method, path or body differ)',
        );
      }
      if (outcome.state === 'pending') {
        this.counters.inProgress++;
        throw new DomainError('IDEMPOTENCY_IN_PROGRESS', 'a request with this Idempotency-Key is still being processed: retry later');
      }
      this.counters.replayed++;
      this.metrics.idempotentReplays.inc();
      return { kind: 'replay', status: outcome.status!, body: outcome.body! };
    }
    throw new DomainError('IDEMPOTENCY_IN_PROGRESS', 'the Idempotency-Key is changing hands: retry later');
  }

  /** Makes the claim reachable from the services the request calls. */
  attach(ctx: RequestContext, claim: IdempotencyClaim): void {
    this.claims.set(ctx, claim);
  }

  /**
   * Stores `result` as the answer of the request's key inside the caller's
   * transaction, just before it commits: the change and its recorded answer
   * commit together or not at all. Does nothing outside an idempotent route.
   * Throws 409 IDEMPOTENCY_IN_PROGRESS (rolling the change back) when the
   * claim was lost to another attempt after the lock timeout.
   */
  async completeInTransaction(tx: Tx, ctx: RequestContext, result: unknown): Promise<void> {
    const claim = this.claims.get(ctx);
    if (!claim) return;
    const stored = await this.store(tx, claim, claim.successStatus, serialize(result));
    if (!stored) {
      throw new DomainError('IDEMPOTENCY_IN_PROGRESS', 'the Idempotency-Key was taken over by another attempt: retry later');
    }
    tx.afterCommit(() => {
      claim.completed = true;
      this.counters.recorded++;
    });
  }

  /** Stores an answer after the fact (an error after validation, or a route whose service did not). */
  async record(claim: IdempotencyClaim, status: number, body: string): Promise<void> {
    const stored = await this.uow.forTenant(claim.tenantId, (tx) => this.store(tx, claim, status, body));
    claim.completed = true;
    if (stored) this.counters.recorded++;
    else this.logger.warn(`idempotency key of user ${claim.userId} was taken over before its answer was stored`);
  }

  /** Gives the key back (validation failed, or nothing happened): the same key may be retried at once. */
  async release(claim: IdempotencyClaim): Promise<void> {
    await this.uow.forTenant(claim.tenantId, (tx) =>
      tx.query(
        "DELETE FROM idempotency_keys WHERE tenant_id = $1 AND user_id = $2 AND key = $3 AND lock_token = $4 AND state = 'pending'",
        [claim.tenantId, claim.userId, claim.key, claim.lockToken],
      ),
    );
    this.counters.released++;
  }

  /** Deletes expired keys, in batches; returns how many. */
  async prune(): Promise<number> {
    let total = 0;
    for (;;) {
      const [{ n }] = await this.uow.withoutTenant(
        (tx) =>
          tx.query<{ n: number }>(
            `WITH gone AS (
               DELETE FROM idempotency_keys WHERE ctid IN
                 (SELECT ctid FROM idempotency_keys WHERE expires_at < now() LIMIT ${PRUNE_BATCH})
               RETURNING 1)
             SELECT count(*)::int AS n FROM gone`,
          ),
        { platform: true },
      );
      total += n;
      if (n < PRUNE_BATCH) break;
    }
    this.counters.pruned += total;
    return total;
  }

  /** Counters for the metrics module. */
  stats(): IdempotencyStats {
    return { ...this.counters };
  }

  private async store(tx: Tx, claim: IdempotencyClaim, status: number, body: string): Promise<boolean> {
    const [{ n }] = await tx.query<{ n: number }>(
      `WITH done AS (
         UPDATE idempotency_keys SET state = 'completed', status = $5, body = $6, lock_token = NULL, locked_until = NULL
          WHERE tenant_id = $1 AND user_id = $2 AND key = $3 AND lock_token = $4 AND state = 'pending'
          RETURNING 1)
       SELECT count(*)::int AS n FROM done`,
      [claim.tenantId, claim.userId, claim.key, claim.lockToken, status, body],
    );
    return n === 1;
  }
}

/** Exactly what Fastify sends for a handler's return value. */
export const serialize = (result: unknown): string => (result === undefined ? '' : JSON.stringify(result));
