import { CallHandler, ExecutionContext } from '@nestjs/common';
import { lastValueFrom, Observable, of, throwError } from 'rxjs';
import { DomainError } from '../../common/errors/domain-error';
import { IdempotencyInterceptor } from './idempotency.interceptor';
import { ClaimOutcome, IdempotencyClaim, IdempotencyService } from './idempotency.service';

const principal = { tenantId: 't1', userId: 'u1', role: 'admin' as const, sessionId: 's1' };

function setup(outcome?: ClaimOutcome) {
  const claim: IdempotencyClaim = { tenantId: 't1', userId: 'u1', key: 'k', lockToken: 'lock', successStatus: 201, completed: false };
  const service = {
    claim: jest.fn(async () => outcome ?? { kind: 'claimed', claim }),
    attach: jest.fn(),
    record: jest.fn(async () => undefined),
    release: jest.fn(async () => undefined),
  };
  const request = {
    id: 'req-1',
    method: 'POST',
    url: '/api/things',
    headers: { 'idempotency-key': 'k' } as Record<string, string>,
    body: { b: 1, a: 2 },
    ctx: { requestId: 'req-1', ip: '::1', method: 'POST', principal },
  };
  const context = {
    switchToHttp: () => ({ getRequest: () => request }),
    getHandler: () => function handler() {},
  } as unknown as ExecutionContext;
  const interceptor = new IdempotencyInterceptor(service as unknown as IdempotencyService);
  const run = async (handle: () => Observable<unknown>) =>
    lastValueFrom(await interceptor.intercept(context, { handle } as CallHandler));
  return { claim, service, request, run };
}

describe('IdempotencyInterceptor', () => {
  it('claims the key with a fingerprint of method, path and body, and records a success the service did not store', async () => {
    const { service, claim, run } = setup();
    await expect(run(() => of({ id: 'x' }))).resolves.toEqual({ id: 'x' });
    expect(service.claim).toHaveBeenCalledWith(expect.objectContaining({ key: 'k', method: 'POST', path: '/api/things', successStatus: 201 }));
    expect(service.record).toHaveBeenCalledWith(claim, 201, '{"id":"x"}');
  });

  it('does not record again what the service stored in its transaction', async () => {
    const { service, claim, run } = setup();
    await run(() => {
      claim.completed = true;
      return of({ id: 'x' });
    });
    expect(service.record).not.toHaveBeenCalled();
  });

  it('gives the key back on a validation failure', async () => {
    const { service, claim, run } = setup();
    await expect(run(() => throwError(() => new DomainError('VALIDATION_FAILED', 'bad')))).rejects.toThrow('bad');
    expect(service.release).toHaveBeenCalledWith(claim);
    expect(service.record).not.toHaveBeenCalled();
  });

  it('gives the key back on an unexpected error, where nothing was committed', async () => {
    const { service, run } = setup();
    await expect(run(() => throwError(() => new Error('boom')))).rejects.toThrow('boom');
    expect(service.release).toHaveBeenCalled();
  });

  it('records an error after validation as the problem document the filter sends', async () => {
    const { service, claim, run } = setup();
    await expect(run(() => throwError(() => new DomainError('INSUFFICIENT_FUNDS', 'wallet w holds 1, 2 was asked')))).rejects.toThrow();
    expect(service.record).toHaveBeenCalledWith(
      claim,
      422,
      JSON.stringify({
        type: '/errors/insufficient-funds',
        title: 'Insufficient funds',
        status: 422,
        code: 'INSUFFICIENT_FUNDS',
        requestId: 'req-1',
        detail: 'wallet w holds 1, 2 was asked',
      }),
    );
  });

  it('answers a replay without running the handler', async () => {
    const { run } = setup({ kind: 'replay', status: 422, body: '{"code":"X"}' });
    const handle = jest.fn(() => of('never'));
    const response = (await run(handle)) as Response;
    expect(handle).not.toHaveBeenCalled();
    expect(response.status).toBe(422);
    expect(response.headers.get('idempotent-replayed')).toBe('true');
    expect(response.headers.get('content-type')).toBe('application/problem+json; charset=utf-8');
    expect(await response.text()).toBe('{"code":"X"}');
  });

  it.each([[undefined], ['']])('refuses a missing or empty key (%j) with IDEMPOTENCY_KEY_REQUIRED', async (key) => {
    const { request, run, service } = setup();
    request.headers = key === undefined ? {} : { 'idempotency-key': key };
    await expect(run(() => of(1))).rejects.toMatchObject({ code: 'IDEMPOTENCY_KEY_REQUIRED' });
    expect(service.claim).not.toHaveBeenCalled();
  });
});
