import { randomUUID } from 'node:crypto';
import { AuditService } from '../../src/modules/audit/audit.service';
import { queryAsTenant } from '../support/db';
import { createTenant, createUser, TestTenant, TestUser } from '../support/factories';
import { startTestApp, TestApp } from '../support/test-app';
import { balanceOf, createWallet, credit, postIdempotent } from '../support/wallets';

const MAX = 9007199254740991;

jest.setTimeout(60_000);

describe('wallets', () => {
  let t: TestApp;
  let acme: TestTenant;
  let globex: TestTenant;
  let ada: TestUser;
  let bob: TestUser;

  beforeAll(async () => {
    t = await startTestApp();
    acme = await createTenant(t.http);
    globex = await createTenant(t.http);
    ada = await createUser(t.http, acme, 'member');
    bob = await createUser(t.http, acme, 'member');
  });
  afterAll(() => t.close());

  const ledgerRows = async (tenantId: string) => {
    const [row] = await queryAsTenant(
      t,
      tenantId,
      `SELECT (SELECT count(*) FROM ledger_transactions)::int AS transactions,
              (SELECT count(*) FROM ledger_entries)::int AS entries,
              (SELECT count(*) FROM idempotency_keys)::int AS keys`,
    );
    return row as { transactions: number; entries: number; keys: number };
  };

  describe('POST /api/wallets', () => {
    it('opens a wallet for the caller with a zero balance and records WALLET_CREATE', async () => {
      const res = await t.http.post('/api/wallets', { currency: 'EUR', name: 'Savings' }, { token: ada.token });
      expect(res.status).toBe(201);
      expect(res.body).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        userId: ada.id,
        currency: 'EUR',
        name: 'Savings',
        balance: 0,
        createdAt: expect.any(String),
      });
      expect(new Date(res.body.createdAt).toISOString()).toBe(res.body.createdAt);
      const audit = await t.http.get('/api/audit-logs?type=WALLET_CREATE', { token: acme.admin.token });
      expect(audit.body.data.some((e: any) => e.resourceId === res.body.id && e.userId === ada.id)).toBe(true);
    });

    it('has a null name when none is given', async () => {
      const res = await t.http.post('/api/wallets', { currency: 'USD' }, { token: ada.token });
      expect(res.status).toBe(201);
      expect(res.body.name).toBeNull();
    });

    it.each([[{ currency: 'eur' }], [{ currency: 'EURO' }], [{ currency: 'E1R' }], [{ currency: 978 }], [{}], [{ currency: 'EUR', name: '' }], [{ currency: 'EUR', name: 'x'.repeat(101) }], [{ currency: 'EUR', balance: 100 }]])(
      'refuses %j with 400',
      async (body) => {
        const res = await t.http.post('/api/wallets', body, { token: ada.token });
        expect(res.status).toBe(400);
        expect(res.body.code).toBe('VALIDATION_FAILED');
      },
    );

    it('needs credentials', async () => {
      const res = await t.http.post('/api/wallets', { currency: 'EUR' });
      expect(res.status).toBe(401);
    });
  });

  describe('reading wallets', () => {
    let adaWallet: string;
    let bobWallet: string;
    let globexWallet: string;

    beforeAll(async () => {
      adaWallet = (await createWallet(t, ada.token)).id;
      bobWallet = (await createWallet(t, bob.token)).id;
      globexWallet = (await createWallet(t, globex.admin.token)).id;
    });

    it('lists only the member’s own wallets', async () => {
      const res = await t.http.get('/api/wallets?limit=100', { token: ada.token });
      expect(res.status).toBe(200);
      expect(res.body.data.length).toBeGreaterThan(0);
      expect(res.body.data.every((w: any) => w.userId === ada.id)).toBe(true);
      expect(res.body.data.map((w: any) => w.id)).toContain(adaWallet);
      expect(res.body.data.map((w: any) => w.id)).not.toContain(bobWallet);
    });

    it('lists the whole tenant for an admin, and one user’s with ?userId=', async () => {
      const all = await t.http.get('/api/wallets?limit=100', { token: acme.admin.token });
      expect(all.status).toBe(200);
      const ids = all.body.data.map((w: any) => w.id);
      expect(ids).toEqual(expect.arrayContaining([adaWallet, bobWallet]));
      expect(ids).not.toContain(globexWallet);
      const bobs = await t.http.get(`/api/wallets?userId=${bob.id}`, { token: acme.admin.token });
      expect(bobs.status).toBe(200);
      expect(bobs.body.data.map((w: any) => w.id)).toEqual([bobWallet]);
    });

    it('answers 403 to a member passing userId, even their own', async () => {
      for (const userId of [bob.id, ada.id]) {
        const res = await t.http.get(`/api/wallets?userId=${userId}`, { token: ada.token });
        expect(res.status).toBe(403);
        expect(res.body.code).toBe('FORBIDDEN');
      }
    });

    it('refuses a malformed userId, limit or cursor with 400', async () => {
      for (const query of ['userId=nope', 'limit=0', 'limit=101', 'cursor=forged']) {
        const res = await t.http.get(`/api/wallets?${query}`, { token: acme.admin.token });
        expect(res.status).toBe(400);
      }
    });

    it('pages newest first without repeats', async () => {
      const first = await t.http.get('/api/wallets?limit=2', { token: acme.admin.token });
      expect(first.body.data).toHaveLength(2);
      expect(first.body.nextCursor).toEqual(expect.any(String));
      const second = await t.http.get(`/api/wallets?limit=2&cursor=${encodeURIComponent(first.body.nextCursor)}`, { token: acme.admin.token });
      expect(second.status).toBe(200);
      const seen = [...first.body.data, ...second.body.data].map((w: any) => w.id);
      expect(new Set(seen).size).toBe(seen.length);
      const times = [...first.body.data, ...second.body.data].map((w: any) => w.createdAt);
      expect([...times].sort().reverse()).toEqual(times);
    });

    it('shows a wallet to its owner and to an admin, 404 to anyone else', async () => {
      expect((await t.http.get(`/api/wallets/${adaWallet}`, { token: ada.token })).status).toBe(200);
      const asAdmin = await t.http.get(`/api/wallets/${adaWallet}`, { token: acme.admin.token });
      expect(asAdmin.status).toBe(200);
      expect(asAdmin.body).toMatchObject({ id: adaWallet, userId: ada.id, balance: 0 });
      expect((await t.http.get(`/api/wallets/${adaWallet}`, { token: bob.token })).status).toBe(404);
      expect((await t.http.get(`/api/wallets/${adaWallet}`, { token: globex.admin.token })).status).toBe(404);
      expect((await t.http.get(`/api/wallets/${randomUUID()}`, { token: acme.admin.token })).status).toBe(404);
      expect((await t.http.get('/api/wallets/not-a-uuid', { token: acme.admin.token })).status).toBe(404);
    });

    it('lists transactions only for those who may see the wallet', async () => {
      expect((await t.http.get(`/api/wallets/${adaWallet}/transactions`, { token: ada.token })).body).toEqual({ data: [], nextCursor: null });
      expect((await t.http.get(`/api/wallets/${adaWallet}/transactions`, { token: bob.token })).status).toBe(404);
      expect((await t.http.get(`/api/wallets/${adaWallet}/transactions`, { token: globex.admin.token })).status).toBe(404);
    });
  });

  describe('credit and debit (admin)', () => {
    let wallet: string;
    beforeAll(async () => {
      wallet = (await createWallet(t, ada.token)).id;
    });

    it('credits from the external account and answers the wallet’s new entry', async () => {
      const res = await postIdempotent(t, `/api/wallets/${wallet}/credit`, { amount: 1200, reference: 'top-up 1' }, acme.admin.token);
      expect(res.status).toBe(201);
      expect(res.body).toEqual({
        id: expect.any(String),
        type: 'credit',
        amount: 1200,
        direction: 'credit',
        balanceAfter: 1200,
        counterpartyWalletId: null,
        orderId: null,
        reference: 'top-up 1',
        createdAt: expect.any(String),
      });
      expect(await balanceOf(t, ada.token, wallet)).toBe(1200);
    });

    it('debits to the external account', async () => {
      const res = await postIdempotent(t, `/api/wallets/${wallet}/debit`, { amount: 200 }, acme.admin.token);
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ type: 'debit', amount: 200, direction: 'debit', balanceAfter: 1000, reference: null });
      expect(await balanceOf(t, ada.token, wallet)).toBe(1000);
    });

    it('refuses a debit beyond the balance with 422 INSUFFICIENT_FUNDS and a useful detail', async () => {
      const res = await postIdempotent(t, `/api/wallets/${wallet}/debit`, { amount: 5000 }, acme.admin.token);
      expect(res.status).toBe(422);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.body).toMatchObject({ code: 'INSUFFICIENT_FUNDS', status: 422, detail: `wallet ${wallet} holds 1000, 5000 was asked` });
      expect(await balanceOf(t, ada.token, wallet)).toBe(1000);
    });

    it('refuses a credit that would pass 2^53-1 with 422 AMOUNT_TOO_LARGE', async () => {
      const big = (await createWallet(t, ada.token)).id;
      expect((await postIdempotent(t, `/api/wallets/${big}/credit`, { amount: MAX }, acme.admin.token)).status).toBe(201);
      const res = await postIdempotent(t, `/api/wallets/${big}/credit`, { amount: 1 }, acme.admin.token);
      expect(res.status).toBe(422);
      expect(res.body.code).toBe('AMOUNT_TOO_LARGE');
      expect(await balanceOf(t, ada.token, big)).toBe(MAX);
    });

    it('is for admins only: a member gets 403 and nothing is written', async () => {
      const before = await ledgerRows(acme.id);
      for (const action of ['credit', 'debit']) {
        const res = await postIdempotent(t, `/api/wallets/${wallet}/${action}`, { amount: 10 }, ada.token);
        expect(res.status).toBe(403);
        expect(res.body.code).toBe('FORBIDDEN');
      }
      expect(await ledgerRows(acme.id)).toEqual(before);
    });

    it('answers 404 for another tenant’s wallet, an unknown one and a malformed id', async () => {
      const foreign = (await createWallet(t, globex.admin.token)).id;
      for (const id of [foreign, randomUUID(), 'nope']) {
        const res = await postIdempotent(t, `/api/wallets/${id}/credit`, { amount: 10 }, acme.admin.token);
        expect(res.status).toBe(404);
        expect(res.body.code).toBe('NOT_FOUND');
      }
      expect(await balanceOf(t, globex.admin.token, foreign)).toBe(0);
    });

    it('requires an Idempotency-Key', async () => {
      const res = await t.http.post(`/api/wallets/${wallet}/credit`, { amount: 10 }, { token: acme.admin.token });
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('IDEMPOTENCY_KEY_REQUIRED');
    });

    const badAmounts: Array<[string, string]> = [
      ['0', '{"amount":0}'],
      ['-1', '{"amount":-1}'],
      ['1.5', '{"amount":1.5}'],
      ['"10"', '{"amount":"10"}'],
      ['1e21', '{"amount":1e21}'],
      ['9007199254740993', '{"amount":9007199254740993}'],
      ['null', '{"amount":null}'],
      ['missing', '{}'],
      ['true', '{"amount":true}'],
      ['[10]', '{"amount":[10]}'],
    ];
    it.each(badAmounts)('refuses amount %s with 400 and writes nothing', async (_label, rawBody) => {
      const before = await ledgerRows(acme.id);
      for (const path of [`/api/wallets/${wallet}/credit`, `/api/wallets/${wallet}/debit`]) {
        const res = await t.http.request('POST', path, {
          rawBody,
          contentType: 'application/json',
          token: acme.admin.token,
          headers: { 'idempotency-key': randomUUID() },
        });
        expect(res.status).toBe(400);
        expect(res.body.code).toBe('VALIDATION_FAILED');
        expect(res.body.errors).toEqual([expect.objectContaining({ field: 'amount' })]);
      }
      const transfer = await t.http.request('POST', '/api/wallets/transfers', {
        rawBody: rawBody.replace('{', `{"fromWalletId":"${wallet}","toWalletId":"${randomUUID()}"${rawBody === '{}' ? '' : ','}`),
        contentType: 'application/json',
        token: acme.admin.token,
        headers: { 'idempotency-key': randomUUID() },
      });
      expect(transfer.status).toBe(400);
      expect(transfer.body.code).toBe('VALIDATION_FAILED');
      expect(await ledgerRows(acme.id)).toEqual(before);
      expect(await balanceOf(t, ada.token, wallet)).toBe(1000);
    });

    it('accepts the largest amount, 9007199254740991, and bounds the reference', async () => {
      const fresh = (await createWallet(t, ada.token)).id;
      const ok = await postIdempotent(t, `/api/wallets/${fresh}/credit`, { amount: MAX, reference: 'r'.repeat(255) }, acme.admin.token);
      expect(ok.status).toBe(201);
      expect(ok.body.balanceAfter).toBe(MAX);
      for (const reference of ['', 'r'.repeat(256), 12]) {
        const res = await postIdempotent(t, `/api/wallets/${fresh}/debit`, { amount: 1, reference }, acme.admin.token);
        expect(res.status).toBe(400);
      }
    });

    it('records WALLET_CREDIT and WALLET_DEBIT audit events', async () => {
      for (const type of ['WALLET_CREDIT', 'WALLET_DEBIT']) {
        const res = await t.http.get(`/api/audit-logs?type=${type}`, { token: acme.admin.token });
        const success = res.body.data.find((e: any) => e.resourceId === wallet && e.outcome === 'success');
        expect(success).toMatchObject({ resourceType: 'wallet', userId: acme.admin.id });
        expect(success.metadata).toMatchObject({ currency: 'EUR', amount: expect.any(Number), transactionId: expect.any(String) });
      }
    });
  });

  describe('POST /api/wallets/transfers', () => {
    let adaEur: string;
    let bobEur: string;
    let bobUsd: string;
    let globexEur: string;

    beforeAll(async () => {
      adaEur = (await createWallet(t, ada.token)).id;
      bobEur = (await createWallet(t, bob.token)).id;
      bobUsd = (await createWallet(t, bob.token, 'USD')).id;
      globexEur = (await createWallet(t, globex.admin.token)).id;
      await credit(t, acme.admin.token, adaEur, 10_000);
      await credit(t, acme.admin.token, bobEur, 10_000);
      await credit(t, globex.admin.token, globexEur, 10_000);
    });

    const transfer = (token: string, body: Record<string, unknown>) => postIdempotent(t, '/api/wallets/transfers', body, token);

    it('moves money from the member’s own wallet to another user’s', async () => {
      const res = await transfer(ada.token, { fromWalletId: adaEur, toWalletId: bobEur, amount: 2500, reference: 'lunch' });
      expect(res.status).toBe(201);
      expect(res.body).toEqual({ id: expect.any(String), fromWalletId: adaEur, toWalletId: bobEur, amount: 2500, currency: 'EUR', createdAt: expect.any(String) });
      expect(await balanceOf(t, ada.token, adaEur)).toBe(7500);
      expect(await balanceOf(t, bob.token, bobEur)).toBe(12_500);

      const adaSide = await t.http.get(`/api/wallets/${adaEur}/transactions`, { token: ada.token });
      expect(adaSide.body.data[0]).toEqual({
        id: res.body.id,
        type: 'transfer',
        amount: 2500,
        direction: 'debit',
        balanceAfter: 7500,
        counterpartyWalletId: bobEur,
        orderId: null,
        reference: 'lunch',
        createdAt: res.body.createdAt,
      });
      const bobSide = await t.http.get(`/api/wallets/${bobEur}/transactions`, { token: bob.token });
      expect(bobSide.body.data[0]).toMatchObject({ id: res.body.id, direction: 'credit', balanceAfter: 12_500, counterpartyWalletId: adaEur });
    });

    it('answers 404 to a member moving money out of someone else’s wallet, and moves nothing', async () => {
      const res = await transfer(ada.token, { fromWalletId: bobEur, toWalletId: adaEur, amount: 1 });
      expect(res.status).toBe(404);
      expect(res.body.code).toBe('NOT_FOUND');
      expect(await balanceOf(t, bob.token, bobEur)).toBe(12_500);
    });

    it('lets an admin move money between any wallets of the tenant', async () => {
      const res = await transfer(acme.admin.token, { fromWalletId: bobEur, toWalletId: adaEur, amount: 500 });
      expect(res.status).toBe(201);
      expect(await balanceOf(t, ada.token, adaEur)).toBe(8000);
    });

    it('answers 404 for a wallet of another tenant, on either side', async () => {
      for (const body of [
        { fromWalletId: adaEur, toWalletId: globexEur, amount: 1 },
        { fromWalletId: globexEur, toWalletId: adaEur, amount: 1 },
      ]) {
        const res = await transfer(acme.admin.token, body);
        expect(res.status).toBe(404);
      }
      expect(await balanceOf(t, globex.admin.token, globexEur)).toBe(10_000);
    });

    it('answers 404 for an unknown destination', async () => {
      const res = await transfer(ada.token, { fromWalletId: adaEur, toWalletId: randomUUID(), amount: 1 });
      expect(res.status).toBe(404);
    });

    it('refuses a transfer to the same wallet with 400 VALIDATION_FAILED', async () => {
      const res = await transfer(ada.token, { fromWalletId: adaEur, toWalletId: adaEur.toUpperCase(), amount: 1 });
      expect(res.status).toBe(400);
      expect(res.body.errors).toEqual([{ field: 'toWalletId', message: 'must differ from fromWalletId' }]);
    });

    it('refuses malformed wallet ids in the body with 400', async () => {
      const res = await transfer(ada.token, { fromWalletId: 'abc', toWalletId: bobEur, amount: 1 });
      expect(res.status).toBe(400);
      expect(res.body.errors[0].field).toBe('fromWalletId');
    });

    it('refuses wallets of different currencies with 422 CURRENCY_MISMATCH', async () => {
      const res = await transfer(acme.admin.token, { fromWalletId: adaEur, toWalletId: bobUsd, amount: 1 });
      expect(res.status).toBe(422);
      expect(res.body.code).toBe('CURRENCY_MISMATCH');
    });

    it('refuses more than the balance with 422 INSUFFICIENT_FUNDS', async () => {
      const res = await transfer(ada.token, { fromWalletId: adaEur, toWalletId: bobEur, amount: 8001 });
      expect(res.status).toBe(422);
      expect(res.body).toMatchObject({ code: 'INSUFFICIENT_FUNDS', detail: `wallet ${adaEur} holds 8000, 8001 was asked` });
    });

    it('refuses a transfer that would take the destination past 2^53-1', async () => {
      const full = (await createWallet(t, bob.token)).id;
      await credit(t, acme.admin.token, full, MAX);
      const res = await transfer(ada.token, { fromWalletId: adaEur, toWalletId: full, amount: 1 });
      expect(res.status).toBe(422);
      expect(res.body.code).toBe('AMOUNT_TOO_LARGE');
    });

    it('records WALLET_TRANSFER in the audit log', async () => {
      const res = await t.http.get('/api/audit-logs?type=WALLET_TRANSFER', { token: acme.admin.token });
      const events = res.body.data.filter((e: any) => e.outcome === 'success');
      expect(events.length).toBeGreaterThanOrEqual(2);
      expect(events.some((e: any) => e.resourceId === adaEur && e.metadata.toWalletId === bobEur && e.metadata.amount === 2500)).toBe(true);
      // The refused attempts are recorded as failures by the route's @Audit.
      await t.app.get(AuditService).flush();
      const failures = await t.http.get('/api/audit-logs?type=WALLET_TRANSFER&severity=WARNING', { token: acme.admin.token });
      expect(failures.body.data.some((e: any) => e.outcome === 'failure' && e.metadata.code === 'INSUFFICIENT_FUNDS')).toBe(true);
    });

    it('pages a wallet’s transactions newest first', async () => {
      const wallet = (await createWallet(t, ada.token)).id;
      for (let i = 1; i <= 5; i++) await credit(t, acme.admin.token, wallet, i);
      const seen: any[] = [];
      let cursor: string | null = null;
      do {
        const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
        const page: any = await t.http.get(`/api/wallets/${wallet}/transactions?limit=2${query}`, { token: ada.token });
        expect(page.status).toBe(200);
        seen.push(...page.body.data);
        cursor = page.body.nextCursor;
      } while (cursor);
      expect(seen.map((e) => e.amount)).toEqual([5, 4, 3, 2, 1]);
      expect(seen.map((e) => e.balanceAfter)).toEqual([15, 10, 6, 3, 1]);
    });

    it('refuses a cursor made for another list with 400', async () => {
      const [first, second] = [(await createWallet(t, ada.token)).id, (await createWallet(t, ada.token)).id];
      for (const wallet of [first, second]) for (let i = 1; i <= 2; i++) await credit(t, acme.admin.token, wallet, i);
      const page = await t.http.get(`/api/wallets/${first}/transactions?limit=1`, { token: ada.token });
      const cursor = encodeURIComponent(page.body.nextCursor);
      const own = await t.http.get(`/api/wallets/${first.toUpperCase()}/transactions?limit=1&cursor=${cursor}`, { token: ada.token });
      expect(own.status).toBe(200);
      expect(own.body.data).toHaveLength(1);
      for (const path of [`/api/wallets/${second}/transactions`, '/api/wallets', '/api/svm/orders']) {
        const res = await t.http.get(`${path}?cursor=${cursor}`, { token: ada.token });
        expect(res.status).toBe(400);
        expect(res.body).toMatchObject({ code: 'VALIDATION_FAILED', errors: [expect.objectContaining({ field: 'cursor' })] });
      }
      // Nor does another tenant's cursor of the same list.
      const acmePage = await t.http.get('/api/wallets?limit=1', { token: acme.admin.token });
      const foreign = await t.http.get(`/api/wallets?cursor=${encodeURIComponent(acmePage.body.nextCursor)}`, { token: globex.admin.token });
      expect(foreign.status).toBe(400);
    });
  });

  describe('GET /api/ledger/summary', () => {
    it('recomputes the tenant’s ledger from the entries (admin)', async () => {
      const res = await t.http.get('/api/ledger/summary', { token: acme.admin.token });
      expect(res.status).toBe(200);
      expect(res.body.consistent).toBe(true);
      const eur = res.body.currencies.find((c: any) => c.currency === 'EUR');
      expect(eur.sum).toBe(0);
      expect(eur.external).toBe(-eur.wallets - eur.revenue);
      expect(eur.wallets).toBeGreaterThan(0);
      const [{ total }] = await queryAsTenant(t, acme.id, "SELECT sum(balance)::text AS total FROM accounts WHERE kind = 'wallet' AND currency = 'EUR'");
      expect(eur.wallets).toBe(Number(total));
    });

    it('covers only the caller’s tenant', async () => {
      const res = await t.http.get('/api/ledger/summary', { token: globex.admin.token });
      expect(res.body).toEqual({ consistent: true, currencies: [{ currency: 'EUR', external: -10_000, revenue: 0, wallets: 10_000, sum: 0 }] });
    });

    it('is for admins only', async () => {
      const res = await t.http.get('/api/ledger/summary', { token: ada.token });
      expect(res.status).toBe(403);
    });
  });
});
