'use strict';
// Baseline 2: bare Fastify + one indexed SELECT per request, what the read
// scenarios are compared to. GET /cart reads the cart of the user named by
// X-Tenant-ID / X-User-ID with its lines and products in one statement: no
// transaction, no row-level security, no guard, no validation, no logger.
//
//   BASELINE_DB=postgres DATABASE_URL=postgres://… DATABASE_POOL_SIZE=20 PORT=3002 node load-tests/baselines/bare-fastify-pg.js
//     reads the carts the runner seeded through the API, with a `pg` Pool of the service's size.
//   BASELINE_DB=embedded BASELINE_SEED_FILE=seed.json PORT=3002 node load-tests/baselines/bare-fastify-pg.js
//     PGlite through @electric-sql/pglite directly (one connection, as the service), on an
//     in-memory database created here with the carts, cart_items and products tables of the
//     migrations (without their foreign keys and RLS) and the same users and cart sizes.
const fs = require('node:fs');
const fastify = require('fastify');
const { exitWithParent } = require('./parent-watch');

const CART_SQL = `SELECT c.id, c.updated_at, ci.product_id, ci.quantity, p.sku, p.name, p.unit_price, p.currency
  FROM carts c
  LEFT JOIN cart_items ci ON ci.tenant_id = c.tenant_id AND ci.cart_id = c.id
  LEFT JOIN products p ON p.tenant_id = ci.tenant_id AND p.id = ci.product_id
 WHERE c.tenant_id = $1 AND c.user_id = $2`;

async function postgres() {
  const { Pool } = require('pg');
  const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.DATABASE_POOL_SIZE ?? 20) });
  return { query: async (sql, params) => (await pool.query(sql, params)).rows, close: () => pool.end() };
}

async function embedded() {
  const { PGlite } = require('@electric-sql/pglite');
  const seed = JSON.parse(fs.readFileSync(process.env.BASELINE_SEED_FILE, 'utf8'));
  const db = new PGlite();
  await db.waitReady;
  await db.exec(`
    CREATE TABLE products (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), tenant_id uuid NOT NULL, sku text NOT NULL, name text NOT NULL,
      unit_price bigint NOT NULL, currency char(3) NOT NULL, stock integer NOT NULL,
      created_at timestamptz(3) NOT NULL DEFAULT now(), updated_at timestamptz(3) NOT NULL DEFAULT now(),
      UNIQUE (tenant_id, id), UNIQUE (tenant_id, sku));
    CREATE TABLE carts (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), tenant_id uuid NOT NULL, user_id uuid NOT NULL,
      created_at timestamptz(3) NOT NULL DEFAULT now(), updated_at timestamptz(3) NOT NULL DEFAULT now(),
      UNIQUE (tenant_id, id), UNIQUE (tenant_id, user_id));
    CREATE TABLE cart_items (tenant_id uuid NOT NULL, cart_id uuid NOT NULL, product_id uuid NOT NULL, quantity integer NOT NULL,
      added_at timestamptz(3) NOT NULL DEFAULT now(), PRIMARY KEY (cart_id, product_id));`);
  const { tenantId, userIds, products: productCount, cartLines } = seed;
  const products = [];
  for (let i = 0; i < productCount; i++) {
    const { rows } = await db.query(
      'INSERT INTO products (tenant_id, sku, name, unit_price, currency, stock) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id',
      [tenantId, `LOAD-${i}`, `Load product ${i}`, 100 + 50 * i, 'EUR', 1_000_000_000],
    );
    products.push(rows[0].id);
  }
  for (const [u, userId] of userIds.entries()) {
    const { rows } = await db.query("INSERT INTO carts (tenant_id, user_id) VALUES ($1, $2) RETURNING id", [tenantId, userId]);
    for (let i = 0; i < cartLines; i++) {
      await db.query('INSERT INTO cart_items (tenant_id, cart_id, product_id, quantity) VALUES ($1, $2, $3, $4)', [
        tenantId,
        rows[0].id,
        products[(u * cartLines + i) % products.length],
        1 + i,
      ]);
    }
  }
  await db.exec('ANALYZE');
  return { query: async (sql, params) => (await db.query(sql, params)).rows, close: () => db.close() };
}

function toCart(rows) {
  const lines = rows.filter((row) => row.product_id);
  let total = 0;
  let itemCount = 0;
  const items = lines.map((row) => {
    const lineTotal = Number(row.unit_price) * row.quantity;
    total += lineTotal;
    itemCount += row.quantity;
    return { productId: row.product_id, sku: row.sku, name: row.name, unitPrice: Number(row.unit_price), quantity: row.quantity, lineTotal };
  });
  return { id: rows[0]?.id ?? null, currency: lines[0]?.currency ?? null, items, itemCount, total, updatedAt: rows[0]?.updated_at ?? null };
}

async function main() {
  const db = process.env.BASELINE_DB === 'embedded' ? await embedded() : await postgres();
  const app = fastify({ logger: false });
  app.get('/cart', async (request) => toCart(await db.query(CART_SQL, [request.headers['x-tenant-id'], request.headers['x-user-id']])));
  app.get('/ready', async () => ({ ready: true }));
  await app.listen({ port: Number(process.env.PORT ?? 3002), host: process.env.HOST ?? '127.0.0.1' });
  exitWithParent();
}

main().catch((error) => {
  process.stderr.write(`bare-fastify-pg: ${error.stack}\n`);
  process.exit(1);
});
