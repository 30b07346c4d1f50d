import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import type Redis from 'ioredis';
import { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import { Tx, UnitOfWork } from '../../database/unit-of-work';
import { createRedisClient, REDIS } from '../redis/redis.module';

const MAX_CACHED_SESSIONS = 100_000;
/** Without a live invalidation feed, a cached "still active" is trusted this long. */
const UNSUBSCRIBED_TRUST_MS = 1_000;
/** Even with the feed, re-read now and then in case a message was lost. */
const SUBSCRIBED_TRUST_MS = 60_000;

interface CachedSession {
  active: boolean;
  checkedAt: number;
}

/**
 * Answers "is this session still valid?" for every authenticated request
 * without a database round trip in the common case. The database row is the
 * truth; a bounded in-process cache remembers answers; revocations are
 * broadcast through Redis pub/sub so every instance refuses a revoked
 * session at once. Without Redis (one instance), the local cache is updated
 * by the revocation itself.
 */
@Injectable()
export class SessionRegistry implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(SessionRegistry.name);
  private readonly cache = new Map<string, CachedSession>();
  private subscriber: Redis | null = null;
  private subscribed = false;
  private readonly channel: string;

  constructor(
    private readonly uow: UnitOfWork,
    @Inject(REDIS) private readonly redis: Redis | null,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.channel = `${config.REDIS_KEY_PREFIX}session-revoked`;
  }

  onModuleInit(): void {
    if (!this.config.REDIS_URL) return;
    this.subscriber = createRedisClient(this.config.REDIS_URL, 'sessions');
    // Subscriber connections must queue the SUBSCRIBE until they are connected.
    this.subscriber.options.enableOfflineQueue = true;
    this.subscriber.on('ready', () => {
      this.subscriber!.subscribe(this.channel).then(
        () => {
          // Messages may have been missed while disconnected: forget "active" answers.
          for (const [id, entry] of this.cache) if (entry.active) this.cache.delete(id);
          this.subscribed = true;
        },
        (error) => this.logger.warn(`cannot subscribe: ${error.message}`),
      );
    });
    this.subscriber.on('close', () => (this.subscribed = false));
    this.subscriber.on('message', (_channel, sessionId: string) => this.remember(sessionId, false));
  }

  async onApplicationShutdown(): Promise<void> {
    await this.subscriber?.quit().catch(() => this.subscriber?.disconnect());
  }

  /**
   * Whether the session is live: the remembered answer while it can still be
   * trusted, synchronously (the common case, so the guard need not await),
   * else a promise of the database's answer, which is then remembered.
   */
  isActive(tenantId: string, sessionId: string): boolean | Promise<boolean> {
    const cached = this.cache.get(sessionId);
    const trustMs = this.subscribed ? SUBSCRIBED_TRUST_MS : UNSUBSCRIBED_TRUST_MS;
    if (cached && (!cached.active || Date.now() - cached.checkedAt < trustMs)) return cached.active;
    return this.load(tenantId, sessionId);
  }

  private async load(tenantId: string, sessionId: string): Promise<boolean> {
    const rows = await this.uow.forTenant(tenantId, (tx) =>
      tx.query<{ active: boolean }>(
        'SELECT revoked_at IS NULL AND expires_at > now() AS active FROM sessions WHERE id = $1',
        [sessionId],
      ),
    );
    const active = rows[0]?.active === true;
    this.remember(sessionId, active);
    return active;
  }

  /** Marks the session revoked in the caller's transaction; call {@link broadcastRevocation} after commit. */
  async revokeInTransaction(tx: Tx, sessionId: string, reason: string): Promise<void> {
    await tx.query('UPDATE sessions SET revoked_at = now(), revoked_reason = $2 WHERE id = $1 AND revoked_at IS NULL', [
      sessionId,
      reason,
    ]);
  }

  async broadcastRevocation(sessionId: string): Promise<void> {
    this.remember(sessionId, false);
    if (!this.redis) return;
    try {
      await this.redis.publish(this.channel, sessionId);
    } catch (error) {
      this.logger.warn(`revocation of ${sessionId} not broadcast: ${(error as Error).message}`);
    }
  }

  private remember(sessionId: string, active: boolean): void {
    this.cache.delete(sessionId);
    if (this.cache.size >= MAX_CACHED_SESSIONS) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(sessionId, { active, checkedAt: Date.now() });
  }
}
