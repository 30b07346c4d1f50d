import { randomUUID } from 'node:crypto';
import { ServerResponse, STATUS_CODES } from 'node:http';
import { Socket } from 'node:net';
import { FieldError } from '../errors/domain-error';
import { ERROR_CATALOG, ErrorCode } from '../errors/error-codes';
import { buildProblem, PROBLEM_CONTENT_TYPE } from '../errors/problem-details';
import { SECURITY_HEADERS } from './security-headers';

/** The problem for a parser error code: a timeout, headers too large, or otherwise not HTTP. */
function problemFor(code: string | undefined): { code: ErrorCode; detail: string; errors?: FieldError[] } {
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return { code: 'REQUEST_TIMEOUT', detail: 'the request was not received in time' };
  if (code === 'HPE_HEADER_OVERFLOW') {
    return { code: 'REQUEST_HEADERS_TOO_LARGE', detail: 'the request line and headers are over the size limit' };
  }
  return { code: 'VALIDATION_FAILED', detail: 'the request is not valid HTTP/1.1', errors: [{ field: 'request', message: 'must be valid HTTP/1.1' }] };
}

/**
 * Fastify's `clientErrorHandler`: answers what Node's HTTP parser refuses
 * before any request exists (a malformed request line or header, conflicting
 * lengths, headers over the size limit, a request not received in time) as
 * a problem document with the security headers, like every other error,
 * instead of Fastify's bare JSON. Then the connection closes: after a
 * parse error, nothing more can be read from it.
 */
export function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  // `_httpMessage` is Node's own link from a socket to its in-flight response.
  const inFlight = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
  if (inFlight && !inFlight.writableFinished) {
    // A timed-out request is the in-flight one, stalled by its client: nothing more is owed.
    if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') socket.destroy();
    // A valid request pipelined before the bad one is still running: its answer goes first.
    else inFlight.once('finish', () => answerClientError(error, socket));
    return;
  }
  const { code, detail, errors } = problemFor(error.code);
  const status = ERROR_CATALOG[code].status;
  const requestId = randomUUID();
  const body = JSON.stringify(buildProblem(code, requestId, detail, errors));
  const headers = {
    ...SECURITY_HEADERS.api,
    'content-type': PROBLEM_CONTENT_TYPE,
    'content-length': String(Buffer.byteLength(body)),
    'x-request-id': requestId,
    connection: 'close',
  };
  const head = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join('');
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n${head}\r\n${body}`);
}
