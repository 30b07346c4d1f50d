import { FastifyRequest } from 'fastify';

/**
 * The client address used for rate limits and audit: the socket address,
 * unless TRUST_PROXY names how many proxies stand in front of the service.
 * Then the address that many hops from the right of X-Forwarded-For is the
 * client (never the leftmost entry, which any client can forge); X-Real-IP is
 * believed only from a trusted proxy that sent no X-Forwarded-For.
 * (Fastify dropped hop-count trust, so the count is applied here.)
 */
export function clientIp(request: FastifyRequest, trustedHops: number): string {
  const socketAddress = request.socket.remoteAddress ?? 'unknown';
  if (trustedHops <= 0) return socketAddress;
  const forwarded = request.headers['x-forwarded-for'];
  if (typeof forwarded === 'string' && forwarded.trim()) {
    const chain = [socketAddress, ...forwarded.split(',').map((s) => s.trim()).filter(Boolean).reverse()];
    return chain[Math.min(trustedHops, chain.length - 1)];
  }
  const realIp = request.headers['x-real-ip'];
  return typeof realIp === 'string' && realIp.trim() ? realIp.trim() : socketAddress;
}
