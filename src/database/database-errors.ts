const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', '57P01', '57P02', '57P03', '08000', '08003', '08006', '08001', '08004']);
const UNAVAILABLE_MESSAGES = [/timeout exceeded when trying to connect/i, /Connection terminated/i, /connection timeout/i, /Client has encountered a connection error/i];
/** TypeORM releases a transaction's runner when its connection fails: the statements after that get these. */
const RELEASED_RUNNER_ERRORS = new Set(['QueryRunnerAlreadyReleasedError', 'QueryRunnerProviderAlreadyReleasedError']);

/** True when an error means the database cannot be reached, not that the query was wrong. */
export function isDatabaseUnavailable(error: unknown): boolean {
  const candidates = [error, (error as { driverError?: unknown })?.driverError];
  return candidates.some((e) => {
    if (!e || typeof e !== 'object') return false;
    const { code, message, name } = e as { code?: string; message?: string; name?: string };
    return (
      (!!code && UNAVAILABLE_CODES.has(code)) ||
      (!!message && UNAVAILABLE_MESSAGES.some((re) => re.test(message))) ||
      (!!name && RELEASED_RUNNER_ERRORS.has(name))
    );
  });
}

/** PostgreSQL errors that mean "run the transaction again": serialization failure, deadlock. */
export function isRetryableTransactionError(error: unknown): boolean {
  const code = (error as { driverError?: { code?: string }; code?: string })?.driverError?.code ?? (error as { code?: string })?.code;
  return code === '40001' || code === '40P01';
}

/** A unique constraint refused the row (duplicate slug, e-mail, sku…). */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { driverError?: { code?: string }; code?: string })?.driverError?.code ?? (error as { code?: string })?.code;
  return code === '23505';
}
