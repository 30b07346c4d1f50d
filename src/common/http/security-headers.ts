import { FastifyInstance } from 'fastify';
import helmet from 'helmet';
import { IncomingMessage, OutgoingHttpHeader, ServerResponse } from 'node:http';

const API_CSP = "default-src 'none'; frame-ancestors 'none'";
/** Swagger UI loads its own scripts and styles and inlines a few styles; nothing else. */
const DOCS_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
  "connect-src 'self'; font-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
const PERMISSIONS_POLICY = 'camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()';

export const isDocsPath = (url: string) => url === '/api/docs' || url.startsWith('/api/docs/') || url.startsWith('/api/docs?');

type HeaderSet = Readonly<Record<string, string>>;
const headerSet = (list: ReadonlyArray<readonly [string, string]>): HeaderSet =>
  Object.fromEntries(list.map(([name, value]) => [name.toLowerCase(), value]));

/**
 * The headers API.md requires on every response, errors and 404s included.
 * Helmet decides them, the contract adds the few helmet no longer sends by
 * default (X-XSS-Protection, Permissions-Policy) and our CSP. Helmet's
 * answer depends on its options only, never on the request: it is taken once
 * here, and each request copies the set into the reply's headers, which every
 * answer Fastify sends carries (errors and 404s too). Running helmet's
 * middleware chain per request, as @fastify/helmet does, cost about a tenth
 * of a liveness answer. The headers go to the reply rather than to the raw
 * response: once anything calls `setHeader` on the raw response, Node passes
 * every header of the answer through `setHeader` too (its slow path), about a
 * tenth of a liveness answer again.
 */
export function registerSecurityHeaders(app: FastifyInstance): void {
  const { api, docs } = SECURITY_HEADERS;
  app.addHook('onRequest', (request, reply, done) => {
    reply.headers(isDocsPath(request.url) ? docs : api);
    done();
  });
}

/** What helmet's middleware sets with our options, recorded from one run against a stand-in response. */
function helmetHeaders(): Array<[string, string]> {
  const headers = new Map<string, string>();
  const recorder = {
    setHeader: (name: string, value: OutgoingHttpHeader) => headers.set(name, String(value)),
    removeHeader: (name: string) => headers.delete(name),
  };
  const middleware = helmet({
    contentSecurityPolicy: false,
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'strict-origin-when-cross-origin' },
    hsts: { maxAge: 31536000, includeSubDomains: true },
    xssFilter: false,
    crossOriginEmbedderPolicy: false,
  });
  let finished = false;
  middleware({} as IncomingMessage, recorder as unknown as ServerResponse, (error?: unknown) => {
    if (error) throw error;
    finished = true;
  });
  // Helmet's middlewares are synchronous; if a version ever were not, the list would be incomplete.
  if (!finished) throw new Error('helmet did not finish synchronously: security headers unknown');
  return [...headers];
}

const COMMON_HEADERS = helmetHeaders().concat([
  ['X-XSS-Protection', '1; mode=block'],
  ['Permissions-Policy', PERMISSIONS_POLICY],
]);

/** The security headers of API answers and of the Swagger UI pages, lower-case names. */
export const SECURITY_HEADERS: Readonly<{ api: HeaderSet; docs: HeaderSet }> = {
  api: headerSet([...COMMON_HEADERS, ['Content-Security-Policy', API_CSP]]),
  docs: headerSet([...COMMON_HEADERS, ['Content-Security-Policy', DOCS_CSP]]),
};
