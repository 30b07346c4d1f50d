import { UnitOfWork } from '../../src/database/unit-of-work';
import { ORDER_WITH_ITEMS_COLUMNS } from '../../src/modules/orders/orders.store';
import { startTestApp, TestApp } from '../support/test-app';

const TENANT = '00000000-0000-4000-8000-000000000001';
const USER = '00000000-0000-4000-8000-000000000002';

/**
 * The keyset pages are served by indexes, not by sorting a whole table: with
 * the alternatives priced out (a disabled plan is only made dear, never
 * forbidden), each list query's plan must read its index in order, with no
 * Sort node: an index that could not serve the ORDER BY would leave one.
 */
const PAGES: Array<[name: string, index: RegExp, sql: string]> = [
  ['orders of a tenant', /orders_tenant_page/, `SELECT * FROM orders WHERE tenant_id = '${TENANT}' ORDER BY created_at DESC, id DESC LIMIT 21`],
  ['orders of a tenant by status', /orders_tenant_status_page/, `SELECT * FROM orders WHERE tenant_id = '${TENANT}' AND status = 'PAID' ORDER BY created_at DESC, id DESC LIMIT 21`],
  ['orders of a buyer', /orders_buyer_page/, `SELECT * FROM orders WHERE tenant_id = '${TENANT}' AND user_id = '${USER}' ORDER BY created_at DESC, id DESC LIMIT 21`],
  [
    'orders of a buyer by status, after a cursor',
    /orders_buyer_status_page/,
    `SELECT * FROM orders WHERE tenant_id = '${TENANT}' AND user_id = '${USER}' AND status = 'PAID'
       AND (created_at, id) < ('2030-01-01', '${USER}') ORDER BY created_at DESC, id DESC LIMIT 21`,
  ],
  [
    'orders of a buyer with their lines (the list endpoint)',
    /orders_buyer_page[\s\S]*order_items_pkey/,
    `SELECT ${ORDER_WITH_ITEMS_COLUMNS} FROM orders WHERE tenant_id = '${TENANT}' AND user_id = '${USER}' ORDER BY created_at DESC, id DESC LIMIT 21`,
  ],
  ['products', /products_page/, `SELECT * FROM products WHERE tenant_id = '${TENANT}' ORDER BY created_at DESC, id DESC LIMIT 21`],
  ['users', /users_page/, `SELECT * FROM users WHERE tenant_id = '${TENANT}' ORDER BY created_at DESC, id DESC LIMIT 21`],
  ['audit events', /audit_logs_page/, `SELECT * FROM audit_logs WHERE tenant_id = '${TENANT}' ORDER BY created_at DESC, id DESC LIMIT 21`],
];

describe('list queries are served by their indexes (EXPLAIN)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it.each(PAGES)('%s', async (_, index, sql) => {
    // As the service runs it: the application role, under row-level security, in one transaction.
    const rows = await t.app.get(UnitOfWork).forTenant(TENANT, async (tx) => {
      // Empty tables make any plan cheap: price out the alternatives to an ordered index scan.
      for (const setting of ['enable_seqscan', 'enable_bitmapscan', 'enable_sort']) await tx.query(`SET LOCAL ${setting} = off`);
      return tx.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`);
    });
    const text = rows.map((r) => r['QUERY PLAN']).join('\n');
    expect(text).toMatch(index);
    expect(text).not.toMatch(/\bSort\b/);
  });
});
