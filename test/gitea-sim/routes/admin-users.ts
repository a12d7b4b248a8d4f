// /admin/users (routers/api/v1/admin/user.go; CONTRACT §L.1–§L.4): create, edit, list and
// delete users as a site admin, with the binding rules, password policy and error texts.
import { AccountError, createUser } from '../accounts.ts';
import { maxSize, oneOf, required, type FieldSpec } from '../bind.ts';
import { parseGoBool } from '../cli/args.ts';
import { apiError, HttpReply } from '../respond.ts';
import { settingString, type Settings } from '../settings.ts';
import type { UserRow } from '../state-store.ts';
import { hashSecret, newSalt } from '../tokens.ts';
import { emailError, isValidUsername } from '../validation.ts';
import type { ApiContext } from './context.ts';
import { toUser } from './convert.ts';
import { adminGroup, bindForm } from './group.ts';
import { lookupContextUser } from './users.ts';

/** gitea.com/go-chi/binding EmailPattern (§L.7.1 (1)). */
const BINDING_EMAIL =
  /^[\w!#$%&'*+/=?^_`{|}~-]+(?:\.[\w!#$%&'*+/=?^_`{|}~-]+)*@(?:[\w](?:[\w-]*[\w])?\.)+[a-zA-Z0-9](?:[\w-]*[\w])?$/;
const emailRule = (v: unknown): string | null =>
  typeof v === 'string' && v !== '' && !BINDING_EMAIL.test(v) ? 'Email' : null;
const usernameRule = (v: unknown): string | null =>
  typeof v === 'string' && v !== '' && !isValidUsername(v) ? 'invalid username' : null;
const VISIBILITY = oneOf(['', 'public', 'limited', 'private']);

const CREATE_FIELDS: FieldSpec[] = [
  { json: 'source_id', go: 'SourceID', kind: 'int' },
  { json: 'login_name', go: 'LoginName', kind: 'string' },
  { json: 'username', go: 'Username', kind: 'string', rules: [required, usernameRule, maxSize(40)] },
  { json: 'full_name', go: 'FullName', kind: 'string', rules: [maxSize(100)] },
  { json: 'email', go: 'Email', kind: 'string', rules: [required, emailRule, maxSize(254)] },
  { json: 'password', go: 'Password', kind: 'string', rules: [maxSize(255)] },
  { json: 'must_change_password', go: 'MustChangePassword', kind: 'bool' },
  { json: 'send_notify', go: 'SendNotify', kind: 'bool' },
  { json: 'restricted', go: 'Restricted', kind: 'bool' },
  { json: 'visibility', go: 'Visibility', kind: 'string', rules: [VISIBILITY] },
  { json: 'created_at', go: 'Created', kind: 'string' },
];

const EDIT_BOOLS = [
  'must_change_password',
  'active',
  'admin',
  'allow_git_hook',
  'allow_import_local',
  'prohibit_login',
  'allow_create_organization',
  'restricted',
];
const EDIT_FIELDS: FieldSpec[] = [
  { json: 'source_id', go: 'SourceID', kind: 'int' },
  { json: 'login_name', go: 'LoginName', kind: 'string', rules: [required] },
  { json: 'email', go: 'Email', kind: 'string', rules: [maxSize(254)] },
  { json: 'full_name', go: 'FullName', kind: 'string', rules: [maxSize(100)] },
  { json: 'password', go: 'Password', kind: 'string', rules: [maxSize(255)] },
  { json: 'website', go: 'Website', kind: 'string', rules: [maxSize(255)] },
  { json: 'location', go: 'Location', kind: 'string', rules: [maxSize(50)] },
  { json: 'description', go: 'Description', kind: 'string', rules: [maxSize(255)] },
  ...EDIT_BOOLS.map((json): FieldSpec => ({ json, go: json, kind: 'bool' })),
  { json: 'max_repo_creation', go: 'MaxRepoCreation', kind: 'int' },
  { json: 'visibility', go: 'Visibility', kind: 'string', rules: [VISIBILITY] },
];

function minPasswordLength(settings: Settings): number {
  const raw = settingString(settings, 'security', 'MIN_PASSWORD_LENGTH', '8');
  return /^-?\d+$/.test(raw.trim()) ? Number(raw.trim()) : 8;
}

/** PASSWORD_COMPLEXITY (§L.8): the classes a password must contain. */
function complexityClasses(settings: Settings): RegExp[] {
  const items = settingString(settings, 'security', 'PASSWORD_COMPLEXITY', 'off')
    .split(',')
    .map((s) => s.trim().toLowerCase().replace(/"/g, ''))
    .filter((s) => s !== '');
  if (items.length === 1 && items[0] === 'off') return [];
  const classes: Record<string, RegExp> = {
    lower: /[a-z]/,
    upper: /[A-Z]/,
    digit: /[0-9]/,
    spec: /[ !"#$%&'()*+,\-./:;<=>?@[\\\]^_{|}~`]/,
  };
  const known = items.filter((i) => i in classes);
  return (known.length > 0 ? known : Object.keys(classes)).map((k) => classes[k]!);
}

type PasswordProblem = 'short' | 'complexity' | 'pwned' | null;

function passwordProblem(settings: Settings, password: string): PasswordProblem {
  if (Buffer.byteLength(password, 'utf8') < minPasswordLength(settings)) return 'short';
  if (!complexityClasses(settings).every((re) => re.test(password))) return 'complexity';
  // No network here: Have-I-Been-Pwned "fails", which Gitea reports the same way (§L.8).
  if (settingString(settings, 'security', 'PASSWORD_CHECK_PWN', 'false').toLowerCase() === 'true')
    return 'pwned';
  return null;
}

function domainWarning(settings: Settings, email: string): Record<string, string> {
  const allow = settingString(settings, 'service', 'EMAIL_DOMAIN_ALLOWLIST', '');
  const block = settingString(settings, 'service', 'EMAIL_DOMAIN_BLOCKLIST', '');
  if (emailError(email, '', '') === null && emailError(email, allow, block) !== null)
    return {
      'X-Gitea-Warning': `the domain of user email ${email} conflicts with EMAIL_DOMAIN_ALLOWLIST or EMAIL_DOMAIN_BLOCKLIST`,
    };
  return {};
}

function view(ctx: ApiContext, user: UserRow): Record<string, unknown> {
  return toUser(user, ctx.settings.rootUrl, ctx.settings.domain, ctx.auth.doer);
}

/** POST /admin/users (§L.2). */
export async function adminCreateUser(ctx: ApiContext): Promise<HttpReply> {
  adminGroup(ctx, 'write');
  const form = await bindForm(ctx, 'CreateUserOption', CREATE_FIELDS);
  const sourceId = (form.source_id as number | undefined) ?? 0;
  if (sourceId !== 0) throw apiError(ctx.urls, 422, `login source does not exist [id: ${sourceId}]`);
  if (form.created_at !== undefined && Number.isNaN(Date.parse(form.created_at as string)))
    throw apiError(
      ctx.urls,
      422,
      `[]: parsing time "\\"${form.created_at as string}\\"" as "\\"2006-01-02T15:04:05Z07:00\\"": cannot parse`,
    );
  const password = (form.password as string | undefined) ?? '';
  const problem = passwordProblem(ctx.settings, password);
  if (problem === 'short') throw apiError(ctx.urls, 400, 'PasswordIsRequired');
  if (problem === 'complexity') throw apiError(ctx.urls, 400, 'PasswordComplexity');
  if (problem === 'pwned') throw apiError(ctx.urls, 400, 'PasswordPwned');
  const email = form.email as string;
  const visibility = (form.visibility as string | undefined) || defaultVisibility(ctx.settings);
  const user = ctx.store.transaction((state) => {
    try {
      const row = createUser(
        state,
        {
          name: form.username as string,
          email,
          password,
          type: 'individual',
          isAdmin: false,
          mustChangePassword: (form.must_change_password as boolean | undefined) ?? true,
          restricted: (form.restricted as boolean | undefined) ?? false,
          fullName: (form.full_name as string | undefined) ?? '',
          visibility: visibility as UserRow['visibility'],
        },
        { allow: '', block: '' },
      );
      row.loginName = (form.login_name as string | undefined) ?? '';
      return row;
    } catch (error) {
      if (error instanceof AccountError) throw apiError(ctx.urls, 422, error.message);
      throw error;
    }
  });
  return new HttpReply(201, view(ctx, user), domainWarning(ctx.settings, email));
}

function defaultVisibility(settings: Settings): string {
  const v = settingString(settings, 'service', 'DEFAULT_USER_VISIBILITY', 'public');
  return v === 'limited' || v === 'private' ? v : 'public';
}

/** PATCH /admin/users/{username} (§L.3): three writes (auth, e-mail, the rest), no transaction. */
export async function adminEditUser(ctx: ApiContext): Promise<HttpReply> {
  adminGroup(ctx, 'write');
  const target = lookupContextUser(ctx, ctx.params.username!);
  const form = await bindForm(ctx, 'EditUserOption', EDIT_FIELDS);
  const sourceId = (form.source_id as number | undefined) ?? 0;
  if (sourceId !== 0) throw apiError(ctx.urls, 500, `login source does not exist [id: ${sourceId}]`);
  const password = (form.password as string | undefined) ?? '';
  if (password !== '') {
    const problem = passwordProblem(ctx.settings, password);
    if (problem === 'short')
      throw apiError(
        ctx.urls,
        400,
        `password must be at least ${minPasswordLength(ctx.settings)} characters`,
      );
    if (problem === 'complexity') throw apiError(ctx.urls, 400, 'password not complex enough');
    if (problem === 'pwned')
      throw apiError(ctx.urls, 400, 'using Have-I-Been-Pwned service failed: no network');
  }
  const update = (fn: (row: UserRow, state: import('../state-store.ts').DbState) => void) =>
    ctx.store.transaction((state) => {
      const row = state.users.find((u) => u.id === target.id)!;
      fn(row, state);
      return row;
    });
  // A: UpdateAuth.
  update((row) => {
    row.loginName = form.login_name as string;
    if (password !== '') {
      row.salt = newSalt();
      row.passwdHash = hashSecret(password, row.salt);
    }
    if (form.must_change_password !== undefined)
      row.mustChangePassword = form.must_change_password as boolean;
    if (form.prohibit_login !== undefined) row.prohibitLogin = form.prohibit_login as boolean;
  });
  // B: the primary e-mail.
  let headers: Record<string, string> = {};
  if (form.email !== undefined) {
    const email = form.email as string;
    headers = domainWarning(ctx.settings, email);
    if (email.toLowerCase() !== target.email.toLowerCase()) {
      const problem = emailError(email, '', '');
      if (problem) throw apiError(ctx.urls, 400, problem);
      update((row, state) => {
        if (state.users.some((u) => u.id !== row.id && u.email.toLowerCase() === email.toLowerCase()))
          throw apiError(ctx.urls, 400, `e-mail already in use [email: ${email}]`);
        row.email = email;
      });
    }
  }
  // C: UpdateUser.
  const user = update((row, state) => {
    if (form.admin === false && row.isAdmin) {
      const admins = state.users.filter((u) => u.type === 'individual' && u.isAdmin).length;
      if (admins <= 1) throw apiError(ctx.urls, 400, `can not delete the last admin user [uid: ${row.id}]`);
    }
    if (form.full_name !== undefined) row.fullName = form.full_name as string;
    if (form.website !== undefined) row.website = form.website as string;
    if (form.location !== undefined) row.location = form.location as string;
    if (form.description !== undefined) row.description = form.description as string;
    if (form.active !== undefined) row.isActive = form.active as boolean;
    if (form.admin !== undefined) row.isAdmin = form.admin as boolean;
    if (form.restricted !== undefined) row.restricted = form.restricted as boolean;
    if (form.visibility) row.visibility = form.visibility as UserRow['visibility'];
  });
  return new HttpReply(200, view(ctx, user), headers);
}

/** genAPILinks: next, last, first, prev (§L.4). */
function pageLinks(ctx: ApiContext, page: number, pages: number): string {
  const link = (p: number, rel: string) => {
    const q = new URLSearchParams(ctx.query);
    q.set('page', String(p));
    const sorted = [...q.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const search = new URLSearchParams(sorted).toString();
    return `<${ctx.settings.rootUrl}api/v1/admin/users?${search}>; rel="${rel}"`;
  };
  const links: string[] = [];
  if (page < pages) links.push(link(page + 1, 'next'), link(pages, 'last'));
  if (page !== 1) links.push(link(1, 'first'));
  if (page > 1) links.push(link(page - 1, 'prev'));
  return links.join(',');
}

/** GET /admin/users (§L.4): individual users by name; no `page` → every user. */
export function adminListUsers(ctx: ApiContext): HttpReply {
  adminGroup(ctx, 'read');
  const goInt = (v: string | null) => (v !== null && /^[+-]?\d+$/.test(v) ? Number(v) : 0);
  const loginName = (ctx.query.get('login_name') ?? '').trim();
  const sourceId = goInt(ctx.query.get('source_id'));
  const users = ctx.state.users
    .filter((u) => u.type === 'individual')
    .filter((u) => loginName === '' || (u.loginName ?? '') === loginName)
    .filter(() => sourceId <= 0)
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const headers: Record<string, string> = {
    'X-Total-Count': String(users.length),
    'Access-Control-Expose-Headers': 'X-Total-Count',
  };
  const page = goInt(ctx.query.get('page'));
  if (page <= 0)
    return new HttpReply(
      200,
      users.map((u) => view(ctx, u)),
      headers,
    );
  let limit = goInt(ctx.query.get('limit'));
  if (limit <= 0) limit = 30;
  limit = Math.min(limit, 50);
  const pages = Math.max(1, Math.ceil(users.length / limit));
  const current = Math.min(Math.max(page, 1), pages);
  const links = pageLinks(ctx, current, pages);
  if (links !== '') {
    headers.Link = links;
    headers['Access-Control-Expose-Headers'] = 'Link, X-Total-Count';
  }
  const slice = users.slice((page - 1) * limit, page * limit);
  return new HttpReply(
    200,
    slice.map((u) => view(ctx, u)),
    headers,
  );
}

/** DELETE /admin/users/{username} (§L.4). */
export function adminDeleteUser(ctx: ApiContext): HttpReply {
  const doer = adminGroup(ctx, 'write');
  const target = lookupContextUser(ctx, ctx.params.username!);
  if (target.id === doer.id) throw apiError(ctx.urls, 422, 'you cannot delete yourself');
  const raw = ctx.query.get('purge') ?? '';
  const purge = raw.toLowerCase() === 'on' || parseGoBool(raw) === true;
  ctx.store.transaction((state) => {
    if (purge) state.teamMembers = state.teamMembers.filter((m) => m.uid !== target.id);
    if (purge) state.orgMembers = state.orgMembers.filter((m) => m.uid !== target.id);
    if (
      state.orgMembers.some((m) => m.uid === target.id) ||
      state.teamMembers.some((m) => m.uid === target.id)
    )
      throw apiError(ctx.urls, 422, `user still has membership of organizations [uid: ${target.id}]`);
    state.tokens = state.tokens.filter((t) => t.uid !== target.id);
    state.users = state.users.filter((u) => u.id !== target.id);
  });
  return new HttpReply(204);
}
