import { randomUUID } from 'node:crypto';
import { IdempotencyService } from '../../src/modules/idempotency/idempotency.service';
import { requestFingerprint } from '../../src/modules/idempotency/idempotency-request';
import { WalletsService } from '../../src/modules/wallets/wallets.service';
import { queryAsTenant } from '../support/db';
import { createTenant, createUser, TestTenant, TestUser } from '../support/factories';
import { startTestApp, TestApp } from '../support/test-app';
import { balanceOf, createWallet, credit, postIdempotent } from '../support/wallets';

jest.setTimeout(60_000);

describe('idempotency of money-moving requests', () => {
  let t: TestApp;
  let acme: TestTenant;
  let ada: TestUser;
  let wallet: string;
  let other: string;

  beforeAll(async () => {
    t = await startTestApp();
    acme = await createTenant(t.http);
    ada = await createUser(t.http, acme, 'member');
    wallet = (await createWallet(t, ada.token)).id;
    other = (await createWallet(t, acme.admin.token)).id;
    await credit(t, acme.admin.token, wallet, 100_000);
  });
  afterAll(() => t.close());

  const movements = async () => {
    const [{ n }] = await queryAsTenant(t, acme.id, 'SELECT count(*)::int AS n FROM ledger_transactions');
    return n as number;
  };
  const keyRow = async (key: string) =>
    (await queryAsTenant(t, acme.id, 'SELECT state, status, body FROM idempotency_keys WHERE key = $1', [key]))[0];
  const creditPath = () => `/api/wallets/${wallet}/credit`;

  /** Holds the next credit in its handler (its key claimed, no transaction open yet) until released. */
  const holdNextCredit = () => {
    const wallets = t.app.get(WalletsService);
    const original = wallets.credit.bind(wallets);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let entered!: () => void;
    const inHandler = new Promise<void>((resolve) => (entered = resolve));
    const spy = jest.spyOn(wallets, 'credit').mockImplementationOnce(async (...args) => {
      entered();
      await gate;
      return original(...args);
    });
    const restore = () => {
      release();
      spy.mockRestore();
    };
    return { inHandler, release, restore };
  };

  it('replays a recorded success byte for byte, with its original requestId and Idempotent-Replayed: true', async () => {
    const key = randomUUID();
    const first = await postIdempotent(t, creditPath(), { amount: 700, reference: 'once' }, acme.admin.token, key);
    expect(first.status).toBe(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    const before = await movements();
    const balance = await balanceOf(t, ada.token, wallet);

    const again = await postIdempotent(t, creditPath(), { amount: 700, reference: 'once' }, acme.admin.token, key);
    expect(again.status).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.text).toBe(first.text);
    expect(again.headers['content-type']).toBe(first.headers['content-type']);
    expect(again.headers['x-request-id']).not.toBe(first.headers['x-request-id']);
    expect(await movements()).toBe(before);
    expect(await balanceOf(t, ada.token, wallet)).toBe(balance);
  });

  it('treats bodies with other key order and white space as the same request', async () => {
    const key = randomUUID();
    const body = { fromWalletId: wallet, toWalletId: other, amount: 10, reference: 'same' };
    const first = await postIdempotent(t, '/api/wallets/transfers', body, ada.token, key);
    expect(first.status).toBe(201);
    const reordered = `{ "reference" : "same",\n  "amount": 10, "toWalletId":"${other}",   "fromWalletId": "${wallet}" }`;
    const again = await t.http.request('POST', '/api/wallets/transfers', {
      rawBody: reordered,
      contentType: 'application/json',
      token: ada.token,
      headers: { 'idempotency-key': key },
    });
    expect(again.status).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.text).toBe(first.text);
  });

  it('refuses the same key with another body, path or method with 422 IDEMPOTENCY_KEY_REUSED, moving nothing', async () => {
    const key = randomUUID();
    expect((await postIdempotent(t, creditPath(), { amount: 5 }, acme.admin.token, key)).status).toBe(201);
    const before = await movements();
    const balance = await balanceOf(t, ada.token, wallet);
    const attempts = [
      postIdempotent(t, creditPath(), { amount: 6 }, acme.admin.token, key),
      postIdempotent(t, creditPath(), { amount: 5, reference: 'x' }, acme.admin.token, key),
      postIdempotent(t, `/api/wallets/${wallet}/debit`, { amount: 5 }, acme.admin.token, key),
      postIdempotent(t, `/api/wallets/${other}/credit`, { amount: 5 }, acme.admin.token, key),
    ];
    for (const res of await Promise.all(attempts)) {
      expect(res.status).toBe(422);
      expect(res.body.code).toBe('IDEMPOTENCY_KEY_REUSED');
      expect(res.headers['idempotent-replayed']).toBeUndefined();
    }
    expect(await movements()).toBe(before);
    expect(await balanceOf(t, ada.token, wallet)).toBe(balance);
  });

  it('requires the key on every money-moving route: missing or empty is 400 IDEMPOTENCY_KEY_REQUIRED', async () => {
    const before = await movements();
    const routes: Array<[string, string, unknown]> = [
      [acme.admin.token, creditPath(), { amount: 1 }],
      [acme.admin.token, `/api/wallets/${wallet}/debit`, { amount: 1 }],
      [ada.token, '/api/wallets/transfers', { fromWalletId: wallet, toWalletId: other, amount: 1 }],
    ];
    for (const [token, path, body] of routes) {
      for (const headers of [{}, { 'idempotency-key': '' }] as Array<Record<string, string>>) {
        const res = await t.http.post(path, body, { token, headers });
        expect(res.status).toBe(400);
        expect(res.body.code).toBe('IDEMPOTENCY_KEY_REQUIRED');
      }
    }
    expect(await movements()).toBe(before);
  });

  it('refuses a key that is not 1-255 printable ASCII characters with 400 VALIDATION_FAILED', async () => {
    for (const key of ['k'.repeat(256), 'caf\u00e9', 'tab\there']) {
      const res = await postIdempotent(t, creditPath(), { amount: 1 }, acme.admin.token, key);
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
    }
    const longest = await postIdempotent(t, creditPath(), { amount: 1 }, acme.admin.token, `${'k'.repeat(250)} ~!@#`);
    expect(longest.status).toBe(201);
  });

  it('does not record a validation failure: the key can be used again at once', async () => {
    const key = randomUUID();
    const invalid = await postIdempotent(t, creditPath(), { amount: 0 }, acme.admin.token, key);
    expect(invalid.status).toBe(400);
    expect(await keyRow(key)).toBeUndefined();
    const valid = await postIdempotent(t, creditPath(), { amount: 3 }, acme.admin.token, key);
    expect(valid.status).toBe(201);
    expect(valid.headers['idempotent-replayed']).toBeUndefined();
    expect(await keyRow(key)).toMatchObject({ state: 'completed', status: 201, body: valid.text });
  });

  it('records an error after validation and replays it, even once it would succeed', async () => {
    const poor = (await createWallet(t, ada.token)).id;
    const key = randomUUID();
    const body = { fromWalletId: poor, toWalletId: other, amount: 50 };
    const first = await postIdempotent(t, '/api/wallets/transfers', body, ada.token, key);
    expect(first.status).toBe(422);
    expect(first.body.code).toBe('INSUFFICIENT_FUNDS');
    await credit(t, acme.admin.token, poor, 1000);
    const again = await postIdempotent(t, '/api/wallets/transfers', body, ada.token, key);
    expect(again.status).toBe(422);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.headers['content-type']).toBe(first.headers['content-type']);
    expect(again.text).toBe(first.text);
    expect(await balanceOf(t, ada.token, poor)).toBe(1000);
  });

  it('records and replays a 404', async () => {
    const key = randomUUID();
    const missing = randomUUID();
    const first = await postIdempotent(t, `/api/wallets/${missing}/credit`, { amount: 1 }, acme.admin.token, key);
    expect(first.status).toBe(404);
    const again = await postIdempotent(t, `/api/wallets/${missing}/credit`, { amount: 1 }, acme.admin.token, key);
    expect(again.status).toBe(404);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.text).toBe(first.text);
  });

  it('scopes keys to the user and the tenant', async () => {
    const key = randomUUID();
    const globex = await createTenant(t.http);
    const globexWallet = (await createWallet(t, globex.admin.token)).id;
    const bobAdmin = await createUser(t.http, acme, 'admin');
    const a = await postIdempotent(t, creditPath(), { amount: 2 }, acme.admin.token, key);
    const b = await postIdempotent(t, creditPath(), { amount: 2 }, bobAdmin.token, key);
    const c = await postIdempotent(t, `/api/wallets/${globexWallet}/credit`, { amount: 2 }, globex.admin.token, key);
    for (const res of [a, b, c]) {
      expect(res.status).toBe(201);
      expect(res.headers['idempotent-replayed']).toBeUndefined();
    }
    expect(new Set([a.body.id, b.body.id, c.body.id]).size).toBe(3);
  });

  it('answers 409 IDEMPOTENCY_IN_PROGRESS to a repeat sent while the first still runs', async () => {
    const { inHandler, release, restore } = holdNextCredit();
    try {
      const key = randomUUID();
      const before = await movements();
      const first = postIdempotent(t, creditPath(), { amount: 13 }, acme.admin.token, key);
      await inHandler;
      const repeats = await Promise.all([1, 2, 3].map(() => postIdempotent(t, creditPath(), { amount: 13 }, acme.admin.token, key)));
      for (const res of repeats) {
        expect(res.status).toBe(409);
        expect(res.body.code).toBe('IDEMPOTENCY_IN_PROGRESS');
      }
      expect(await keyRow(key)).toMatchObject({ state: 'pending' });
      release();
      const done = await first;
      expect(done.status).toBe(201);
      // A 409 is not recorded: retrying it now replays the first answer.
      const retry = await postIdempotent(t, creditPath(), { amount: 13 }, acme.admin.token, key);
      expect(retry.headers['idempotent-replayed']).toBe('true');
      expect(retry.text).toBe(done.text);
      expect(await movements()).toBe(before + 1);
    } finally {
      restore();
    }
  });

  it('rolls back a request that outlived its lock and lost its key to a retry: money moves once', async () => {
    const { inHandler, release, restore } = holdNextCredit();
    try {
      const key = randomUUID();
      const before = await movements();
      const balance = await balanceOf(t, ada.token, wallet);
      const slow = postIdempotent(t, creditPath(), { amount: 17 }, acme.admin.token, key);
      await inHandler;
      // The slow request's lock runs out; a retry takes the key over and completes.
      await queryAsTenant(t, acme.id, "UPDATE idempotency_keys SET locked_until = now() - interval '1 second' WHERE key = $1", [key]);
      const retry = await postIdempotent(t, creditPath(), { amount: 17 }, acme.admin.token, key);
      expect(retry.status).toBe(201);
      expect(retry.headers['idempotent-replayed']).toBeUndefined();
      release();
      const late = await slow;
      expect(late.status).toBe(409);
      expect(late.body.code).toBe('IDEMPOTENCY_IN_PROGRESS');
      expect(await movements()).toBe(before + 1);
      expect(await balanceOf(t, ada.token, wallet)).toBe(balance + 17);
      const replay = await postIdempotent(t, creditPath(), { amount: 17 }, acme.admin.token, key);
      expect(replay.text).toBe(retry.text);
    } finally {
      restore();
    }
  });

  it('moves money once for a burst of identical requests: one original, the rest 409 or identical replays', async () => {
    const key = randomUUID();
    const before = await movements();
    const balance = await balanceOf(t, ada.token, wallet);
    const answers = await Promise.all(Array.from({ length: 20 }, () => postIdempotent(t, creditPath(), { amount: 11 }, acme.admin.token, key)));
    const originals = answers.filter((r) => r.status === 201 && !r.headers['idempotent-replayed']);
    const replays = answers.filter((r) => r.status === 201 && r.headers['idempotent-replayed'] === 'true');
    const inProgress = answers.filter((r) => r.status === 409 && r.body.code === 'IDEMPOTENCY_IN_PROGRESS');
    expect(originals).toHaveLength(1);
    expect(originals.length + replays.length + inProgress.length).toBe(answers.length);
    for (const res of replays) expect(res.text).toBe(originals[0].text);
    expect(await movements()).toBe(before + 1);
    expect(await balanceOf(t, ada.token, wallet)).toBe(balance + 11);
  });

  describe('a request that crashed while holding its key', () => {
    const plantPending = async (key: string, body: unknown, lockedUntil: string) => {
      const path = creditPath();
      await queryAsTenant(
        t,
        acme.id,
        `INSERT INTO idempotency_keys (tenant_id, user_id, key, fingerprint, method, path, state, lock_token, locked_until, expires_at)
         VALUES ($1, $2, $3, $4, 'POST', $5, 'pending', $6, ${lockedUntil}, now() + interval '1 day')`,
        [acme.id, acme.admin.id, key, requestFingerprint('POST', path, body), path, randomUUID()],
      );
    };

    it('keeps its key locked until the lock times out', async () => {
      const key = randomUUID();
      await plantPending(key, { amount: 9 }, "now() + interval '1 minute'");
      const res = await postIdempotent(t, creditPath(), { amount: 9 }, acme.admin.token, key);
      expect(res.status).toBe(409);
      expect(res.body.code).toBe('IDEMPOTENCY_IN_PROGRESS');
    });

    it('lets a retry take the key over once the lock timed out', async () => {
      const key = randomUUID();
      await plantPending(key, { amount: 9 }, "now() - interval '1 second'");
      const balance = await balanceOf(t, ada.token, wallet);
      const res = await postIdempotent(t, creditPath(), { amount: 9 }, acme.admin.token, key);
      expect(res.status).toBe(201);
      expect(res.headers['idempotent-replayed']).toBeUndefined();
      expect(await balanceOf(t, ada.token, wallet)).toBe(balance + 9);
      expect(await keyRow(key)).toMatchObject({ state: 'completed', body: res.text });
    });

    it('still refuses another request on that key', async () => {
      const key = randomUUID();
      await plantPending(key, { amount: 9 }, "now() - interval '1 second'");
      const res = await postIdempotent(t, creditPath(), { amount: 10 }, acme.admin.token, key);
      expect(res.status).toBe(422);
      expect(res.body.code).toBe('IDEMPOTENCY_KEY_REUSED');
    });
  });

  it('forgets expired keys: they can be reused, and the pruning job deletes them', async () => {
    const key = randomUUID();
    expect((await postIdempotent(t, creditPath(), { amount: 4 }, acme.admin.token, key)).status).toBe(201);
    const stale = randomUUID();
    expect((await postIdempotent(t, creditPath(), { amount: 4 }, acme.admin.token, stale)).status).toBe(201);
    await queryAsTenant(t, acme.id, "UPDATE idempotency_keys SET expires_at = now() - interval '1 second' WHERE key = ANY($1)", [[key, stale]]);

    const reused = await postIdempotent(t, creditPath(), { amount: 8 }, acme.admin.token, key);
    expect(reused.status).toBe(201);
    expect(reused.headers['idempotent-replayed']).toBeUndefined();
    expect(reused.body.amount).toBe(8);

    const idempotency = t.app.get(IdempotencyService);
    expect(await idempotency.prune()).toBe(1);
    expect(await keyRow(stale)).toBeUndefined();
    expect(await keyRow(key)).toMatchObject({ state: 'completed' });
  });

  it('counts replays for the metrics', async () => {
    const idempotency = t.app.get(IdempotencyService);
    const before = idempotency.stats().replayed;
    const key = randomUUID();
    await postIdempotent(t, creditPath(), { amount: 1 }, acme.admin.token, key);
    await postIdempotent(t, creditPath(), { amount: 1 }, acme.admin.token, key);
    await postIdempotent(t, creditPath(), { amount: 1 }, acme.admin.token, key);
    expect(idempotency.stats().replayed).toBe(before + 2);
  });
});
