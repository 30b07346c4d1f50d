import { Injectable, Type } from '@nestjs/common';
import { METHOD_METADATA } from '@nestjs/common/constants';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { THROTTLER_LIMIT, THROTTLER_SKIP, THROTTLER_TTL } from '@nestjs/throttler/dist/throttler.constants';

/** What `@SkipThrottle()` / `@Throttle({ default: … })` say about one handler (class-level metadata included). */
export interface ThrottleMetadata {
  skip: boolean;
  limit?: number;
  ttl?: number;
}

type Handler = (...args: never[]) => unknown;

/** Only the `default` throttler exists here: one limit per path family, or a route's own. */
const THROTTLER_NAME = 'default';

/**
 * Reads @nestjs/throttler's decorators the way its ThrottlerGuard does
 * (handler first, then class), for the HTTP hook that runs before Nest knows
 * the handler, and for the guard.
 */
@Injectable()
export class RouteThrottleMetadata {
  private byHandlerName?: Map<string, ThrottleMetadata | 'ambiguous'>;

  constructor(
    private readonly reflector: Reflector,
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
  ) {}

  of(classRef: Type, handler: Handler): ThrottleMetadata | null {
    const targets = [handler, classRef];
    const skip = this.reflector.getAllAndOverride<boolean>(THROTTLER_SKIP + THROTTLER_NAME, targets) === true;
    const limit = this.reflector.getAllAndOverride<unknown>(THROTTLER_LIMIT + THROTTLER_NAME, targets);
    const ttl = this.reflector.getAllAndOverride<unknown>(THROTTLER_TTL + THROTTLER_NAME, targets);
    if (!skip && limit === undefined && ttl === undefined) return null;
    const where = `${classRef.name}.${handler.name}`;
    return { skip, limit: asNumber(limit, 'limit', where), ttl: asNumber(ttl, 'ttl', where) };
  }

  /**
   * By the name Nest gives the handler it registers with Fastify
   * (`Controller.method`): how the onRoute hook finds a route's metadata.
   * Two controllers of one name with different metadata fail the start
   * rather than guess.
   */
  ofHandlerName(name: string): ThrottleMetadata | null {
    this.byHandlerName ??= this.index();
    const found = this.byHandlerName.get(name);
    if (found === 'ambiguous') throw new Error(`rate limit: two route handlers are named ${name} with different @Throttle/@SkipThrottle metadata`);
    return found ?? null;
  }

  private index(): Map<string, ThrottleMetadata | 'ambiguous'> {
    const index = new Map<string, ThrottleMetadata | 'ambiguous'>();
    for (const wrapper of this.discovery.getControllers()) {
      const classRef = wrapper.metatype as Type | undefined;
      if (!classRef?.prototype) continue;
      for (const methodName of this.scanner.getAllMethodNames(classRef.prototype)) {
        const handler = classRef.prototype[methodName] as Handler;
        if (Reflect.getMetadata(METHOD_METADATA, handler) === undefined) continue;
        const name = `${wrapper.name}.${methodName}`;
        const metadata = this.of(classRef, handler);
        const seen = index.get(name);
        if (seen === undefined) index.set(name, metadata ?? { skip: false });
        else if (seen === 'ambiguous' || !sameMetadata(seen, metadata ?? { skip: false })) index.set(name, 'ambiguous');
      }
    }
    return index;
  }
}

function asNumber(value: unknown, option: string, where: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'number' && Number.isFinite(value) && value > 0) return value;
  // Function-valued limits need an ExecutionContext, which the early HTTP hook does not have.
  throw new Error(`rate limit: @Throttle ${option} of ${where} must be a positive number`);
}

const sameMetadata = (a: ThrottleMetadata, b: ThrottleMetadata) => a.skip === b.skip && a.limit === b.limit && a.ttl === b.ttl;
