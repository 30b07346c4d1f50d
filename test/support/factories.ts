import { randomBytes } from 'node:crypto';
import { HttpClient } from './http';
import { PLATFORM_TOKEN, TestApp } from './test-app';

export interface TestTenant {
  id: string;
  slug: string;
  admin: TestUser;
}

export interface TestUser {
  id: string;
  email: string;
  password: string;
  role: 'admin' | 'member';
  token: string;
}

const unique = () => randomBytes(4).toString('hex');

/** Signs in and returns the access token; fails the test on anything but 200. */
export async function login(http: HttpClient, tenant: string, email: string, password: string): Promise<string> {
  const res = await http.post('/api/auth/login', { tenant, email, password });
  if (res.status !== 200) throw new Error(`login of ${email} failed: ${res.status} ${res.text}`);
  return res.body.accessToken;
}

/** A new tenant (platform endpoint) with its first admin, signed in. */
export async function createTenant(t: TestApp, slug = `t-${unique()}`): Promise<TestTenant> {
  const adminEmail = `admin@${slug}.test`;
  const adminPassword = 'admin-password-123';
  const res = await t.http.post('/api/admin/tenants', { slug, name: `Tenant ${slug}`, adminEmail, adminPassword }, { token: PLATFORM_TOKEN });
  if (res.status !== 201) throw new Error(`tenant ${slug} not created: ${res.status} ${res.text}`);
  const token = await login(t.http, slug, adminEmail, adminPassword);
  const me = await t.http.get('/api/auth/me', { token });
  return { id: res.body.id, slug, admin: { id: me.body.userId, email: adminEmail, password: adminPassword, role: 'admin', token } };
}

/** A new user of the tenant (created by its admin), signed in. */
export async function createUser(t: TestApp, tenant: TestTenant, role: 'admin' | 'member' = 'member'): Promise<TestUser> {
  const email = `${role}-${unique()}@${tenant.slug}.test`;
  const password = 'user-password-123';
  const res = await t.http.post('/api/users', { email, password, role }, { token: tenant.admin.token });
  if (res.status !== 201) throw new Error(`user ${email} not created: ${res.status} ${res.text}`);
  return { id: res.body.id, email, password, role, token: await login(t.http, tenant.slug, email, password) };
}
