/**
 * The longest path parameter the router accepts. Node refuses request heads
 * over 16 kB anyway; below that, an over-long id must reach its route and be
 * answered like any malformed id (404), not with the router's bare 414.
 */
export const MAX_PARAM_LENGTH = 16 * 1024;

/**
 * A path whose percent-encoding does not decode (`%zz`, `%ff`, `%c0%af`)
 * names no resource. The router would answer it a bare 400 before any hook
 * runs (no problem document, no security headers); escaping its `%` instead
 * lets the request through the whole pipeline, where it is answered like an
 * unknown or malformed id: 404 NOT_FOUND (API.md). The query string is left
 * alone: its parser tolerates bad escapes.
 */
export function escapeUndecodablePath(url: string): string {
  // Most URLs have no escape at all: nothing can fail to decode (this runs on every request).
  if (!url.includes('%')) return url;
  const queryAt = url.indexOf('?');
  const path = queryAt === -1 ? url : url.slice(0, queryAt);
  try {
    decodeURIComponent(path);
    return url;
  } catch {
    return path.replace(/%/g, '%25') + (queryAt === -1 ? '' : url.slice(queryAt));
  }
}
