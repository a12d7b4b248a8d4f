// What a boot left in Gitea and in the config table, read through Gitea's API (so the same
// check works against the simulator and a real Gitea) and the store.
import pg from 'pg';
import { request } from 'undici';

export interface GiteaSnapshot {
  users: Record<string, boolean>;
  gigiTokenNames: string[];
  org: boolean;
  gigiInOwners: boolean;
  hooks: Array<{ id: number; type: string; url: string; active: boolean }>;
  configKeys: string[];
}

async function get(
  base: string,
  path: string,
  auth: string,
): Promise<{ status: number; body: any; headers: Record<string, unknown> }> {
  const res = await request(`${base}/api/v1${path}`, { headers: { authorization: auth } });
  const text = await res.body.text();
  return { status: res.statusCode, body: text ? JSON.parse(text) : null, headers: res.headers };
}

export function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

export async function readConfigTable(databaseUrl: string): Promise<Record<string, string>> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ key: string; value: string }>(
      'select key, value from config order by key',
    );
    return Object.fromEntries(rows.map((r) => [r.key, r.value]));
  } finally {
    await client.end();
  }
}

/** Gitea's state as the boot should have left it, seen by the admin. */
export async function readGiteaState(opts: {
  baseUrl: string;
  adminUser: string;
  adminPassword: string;
  org: string;
  webhookUrl: string;
  config: Record<string, string>;
}): Promise<GiteaSnapshot> {
  const auth = basic(opts.adminUser, opts.adminPassword);
  const users: Record<string, boolean> = {};
  for (const u of [opts.adminUser, 'gigi'])
    users[u] = (await get(opts.baseUrl, `/users/${u}`, auth)).status === 200;
  const tokens = await get(opts.baseUrl, '/users/gigi/tokens?limit=50', auth);
  const org = (await get(opts.baseUrl, `/orgs/${opts.org}`, auth)).status === 200;
  let gigiInOwners = false;
  if (org) {
    const teams = await get(opts.baseUrl, `/orgs/${opts.org}/teams`, auth);
    const owners = (teams.body as Array<{ id: number; name: string }>).find((t) => t.name === 'Owners');
    if (owners)
      gigiInOwners = (await get(opts.baseUrl, `/teams/${owners.id}/members/gigi`, auth)).status === 200;
  }
  // Hooks carry no kind in their body: the list's ?type= filter is the only way to tell them apart.
  const system = await get(opts.baseUrl, '/admin/hooks?type=system', auth);
  const defaults = await get(opts.baseUrl, '/admin/hooks?type=default', auth);
  const hooks = {
    body: [
      ...(system.body as any[]).map((h) => ({ ...h, type: 'system' })),
      ...(defaults.body as any[]).map((h) => ({ ...h, type: 'default' })),
    ],
  };
  return {
    users,
    gigiTokenNames: (tokens.body as Array<{ name: string }>).map((t) => t.name).sort(),
    org,
    gigiInOwners,
    hooks: (
      hooks.body as Array<{
        id: number;
        type: string;
        config: { url: string; is_system_webhook?: string };
        active: boolean;
      }>
    )
      .filter((h) => h.config.url === opts.webhookUrl)
      .map((h) => ({ id: h.id, type: h.type, url: h.config.url, active: h.active })),
    configKeys: Object.keys(opts.config).sort(),
  };
}
