import { randomUUID } from 'node:crypto';
import { queryAsTenant } from '../support/db';
import { createTenant, TestTenant } from '../support/factories';
import { TestResponse } from '../support/http';
import { startTestApp, TestApp } from '../support/test-app';
import { balanceOf, createWallet, credit, postIdempotent } from '../support/wallets';

jest.setTimeout(5 * 60_000);

const TRANSFERS = 200;

/** Retries, some of them concurrent with the first attempt, never move money twice. */
describe('idempotent transfers under retries', () => {
  let t: TestApp;
  let tenant: TestTenant;
  let wallets: string[];

  beforeAll(async () => {
    t = await startTestApp();
    tenant = await createTenant(t.http);
    wallets = [];
    for (let i = 0; i < 4; i++) {
      const { id } = await createWallet(t, tenant.admin.token);
      await credit(t, tenant.admin.token, id, 1_000_000);
      wallets.push(id);
    }
  });
  afterAll(() => t.close());

  const transfers = async () => {
    const [{ n }] = await queryAsTenant(t, tenant.id, "SELECT count(*)::int AS n FROM ledger_transactions WHERE type = 'transfer'");
    return n as number;
  };
  const total = async () => (await Promise.all(wallets.map((w) => balanceOf(t, tenant.admin.token, w)))).reduce((a, b) => a + b, 0);

  it(`moves money exactly ${TRANSFERS} times for ${TRANSFERS} transfers each sent 3 times`, async () => {
    const jobs = Array.from({ length: TRANSFERS }, (_, i) => {
      const from = wallets[i % wallets.length];
      const to = wallets[(i + 1 + (i % 3)) % wallets.length];
      return { key: randomUUID(), body: { fromWalletId: from, toWalletId: to, amount: 1 + (i % 500), reference: `job ${i}` } };
    });
    let conflicts = 0;
    const started = Date.now();
    const send = (job: (typeof jobs)[number]) => postIdempotent(t, '/api/wallets/transfers', job.body, tenant.admin.token, job.key);
    /** A client retries a 409 until it gets the recorded answer, backing off as a polite client does. */
    const sendUntilSettled = async (job: (typeof jobs)[number]): Promise<TestResponse> => {
      for (let attempt = 0; ; attempt++) {
        const res = await send(job);
        if (res.status !== 409) return res;
        conflicts++;
        expect(res.body.code).toBe('IDEMPOTENCY_IN_PROGRESS');
        await new Promise((resolve) => setTimeout(resolve, Math.min(200, 10 * 2 ** attempt) * (0.5 + Math.random())));
      }
    };

    const results = await Promise.all(
      jobs.map(async (job, i) => {
        if (i % 2 === 0) {
          // The three copies race each other.
          return Promise.all([sendUntilSettled(job), sendUntilSettled(job), sendUntilSettled(job)]);
        }
        // The first, then two retries after it answered.
        const first = await sendUntilSettled(job);
        return [first, await sendUntilSettled(job), await sendUntilSettled(job)];
      }),
    );

    process.stdout.write(`idempotency races: ${conflicts} answers 409 in ${Date.now() - started} ms\n`);
    for (const answers of results) {
      const originals = answers.filter((r) => !r.headers['idempotent-replayed']);
      expect(originals).toHaveLength(1);
      expect(originals[0].status).toBe(201);
      for (const replay of answers.filter((r) => r.headers['idempotent-replayed'] === 'true')) {
        expect(replay.status).toBe(originals[0].status);
        expect(replay.text).toBe(originals[0].text);
      }
    }
    expect(await transfers()).toBe(TRANSFERS);
    const ids = new Set(results.map((answers) => answers[0].body.id));
    expect(ids.size).toBe(TRANSFERS);
    expect(await total()).toBe(4_000_000);

    // The same key with another amount is refused, and moves nothing.
    const before = await Promise.all(wallets.map((w) => balanceOf(t, tenant.admin.token, w)));
    const reused = await postIdempotent(t, '/api/wallets/transfers', { ...jobs[0].body, amount: jobs[0].body.amount + 1 }, tenant.admin.token, jobs[0].key);
    expect(reused.status).toBe(422);
    expect(reused.body.code).toBe('IDEMPOTENCY_KEY_REUSED');
    // And without a key nothing happens either.
    const keyless = await t.http.post('/api/wallets/transfers', jobs[1].body, { token: tenant.admin.token });
    expect(keyless.status).toBe(400);
    expect(keyless.body.code).toBe('IDEMPOTENCY_KEY_REQUIRED');
    expect(await Promise.all(wallets.map((w) => balanceOf(t, tenant.admin.token, w)))).toEqual(before);
    expect(await transfers()).toBe(TRANSFERS);
  });
});
