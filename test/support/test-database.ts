import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

/**
 * With DATABASE_URL set (the real-PostgreSQL run), each suite gets a fresh
 * database of its own on that server, so suites never see each other's rows
 * and every suite exercises the migrations. Without it, the embedded
 * in-memory database is fresh anyway.
 */
export async function createTestDatabase(serverUrl = process.env.DATABASE_URL): Promise<{ url?: string; drop: () => Promise<void> }> {
  if (!serverUrl) return { url: undefined, drop: async () => undefined };
  const name = `saas_test_${randomBytes(6).toString('hex')}`;
  await withAdmin(serverUrl, (client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () => withAdmin(serverUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}

async function withAdmin<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
