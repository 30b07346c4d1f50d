import { randomBytes } from 'node:crypto';
import { HttpClient } from './http';
import { PLATFORM_TOKEN } from './test-app';

export interface TestUser {
  id: string;
  email: string;
  password: string;
  role: 'admin' | 'member';
  token: string;
  refreshToken: string;
}

export interface TestTenant {
  id: string;
  slug: string;
  admin: TestUser;
}

export const uniqueSlug = (prefix = 't') => `${prefix}-${randomBytes(5).toString('hex')}`;

function expectStatus(res: { status: number; text: string }, status: number, what: string): void {
  if (res.status !== status) throw new Error(`${what}: expected ${status}, got ${res.status} ${res.text}`);
}

export async function login(http: HttpClient, tenant: string, email: string, password: string) {
  const res = await http.post('/api/auth/login', { tenant, email, password });
  expectStatus(res, 200, `login ${email}`);
  return res.body as { accessToken: string; refreshToken: string };
}

/** A new tenant (through the platform endpoint) with its admin signed in. */
export async function createTenant(http: HttpClient, slug = uniqueSlug()): Promise<TestTenant> {
  const adminEmail = `admin@${slug}.test`;
  const adminPassword = `pw-${randomBytes(8).toString('hex')}`;
  const res = await http.post('/api/admin/tenants', { slug, name: `Tenant ${slug}`, adminEmail, adminPassword }, { token: PLATFORM_TOKEN });
  expectStatus(res, 201, `create tenant ${slug}`);
  const tokens = await login(http, slug, adminEmail, adminPassword);
  const me = await http.get('/api/auth/me', { token: tokens.accessToken });
  return {
    id: res.body.id,
    slug,
    admin: { id: me.body.userId, email: adminEmail, password: adminPassword, role: 'admin', token: tokens.accessToken, refreshToken: tokens.refreshToken },
  };
}

/** A new user of the tenant, signed in. */
export async function createUser(http: HttpClient, tenant: TestTenant, role: 'admin' | 'member' = 'member'): Promise<TestUser> {
  const email = `${role}-${randomBytes(5).toString('hex')}@${tenant.slug}.test`;
  const password = `pw-${randomBytes(8).toString('hex')}`;
  const res = await http.post('/api/users', { email, password, role }, { token: tenant.admin.token });
  expectStatus(res, 201, `create user ${email}`);
  const tokens = await login(http, tenant.slug, email, password);
  return { id: res.body.id, email, password, role, token: tokens.accessToken, refreshToken: tokens.refreshToken };
}

export interface TestProduct {
  id: string;
  sku: string;
  name: string;
  unitPrice: number;
  currency: string;
  stock: number;
}

/** A product in the tenant's catalog, created by its admin. */
export async function createProduct(
  http: HttpClient,
  tenant: TestTenant,
  overrides: Partial<Omit<TestProduct, 'id'>> = {},
): Promise<TestProduct> {
  const body = { sku: `SKU-${randomBytes(4).toString('hex')}`, name: 'Test product', unitPrice: 1000, currency: 'EUR', stock: 100, ...overrides };
  const res = await http.post('/api/svm/products', body, { token: tenant.admin.token });
  expectStatus(res, 201, `create product ${body.sku}`);
  return res.body;
}
