import { randomBytes } from 'node:crypto';
import { HttpClient } from './http';
import { PLATFORM_TOKEN } from './test-app';

/** Creates a fresh tenant through the platform API and signs its admin in: the admin's access token. */
export async function tenantAdminToken(http: HttpClient, slugPrefix = 'tenant'): Promise<string> {
  const slug = `${slugPrefix}-${randomBytes(4).toString('hex')}`;
  const password = 'correct horse battery staple';
  const created = await http.post(
    '/api/admin/tenants',
    { slug, name: `Tenant ${slug}`, adminEmail: 'admin@example.com', adminPassword: password },
    { token: PLATFORM_TOKEN },
  );
  if (created.status !== 201) throw new Error(`tenant not created: ${created.status} ${created.text}`);
  const login = await http.post('/api/auth/login', { tenant: slug, email: 'admin@example.com', password });
  if (login.status !== 200) throw new Error(`admin login failed: ${login.status} ${login.text}`);
  return login.body.accessToken;
}
