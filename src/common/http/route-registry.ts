import { FastifyInstance } from 'fastify';

export interface RegisteredRoute {
  method: string;
  url: string;
}

const routesByServer = new WeakMap<FastifyInstance, RegisteredRoute[]>();

/**
 * Remembers every route the router gets, so tests and tools can walk the
 * real routing table (a route added without a guard cannot hide from them).
 */
export function trackRoutes(app: FastifyInstance): void {
  const routes: RegisteredRoute[] = [];
  routesByServer.set(app, routes);
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) routes.push({ method, url: route.url });
  });
}

export function registeredRoutes(app: FastifyInstance): RegisteredRoute[] {
  return [...(routesByServer.get(app) ?? [])];
}
