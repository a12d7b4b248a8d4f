// /admin/hooks (routers/api/v1/admin/hooks.go, routers/api/v1/utils/hook.go): system and
// default webhooks, with addHook/editHook validation and event expansion.
import { nowUnix } from '../accounts.ts';
import { parseGoBool } from '../cli/args.ts';
import { required, type FieldSpec } from '../bind.ts';
import { apiError, apiNotFound, HttpReply } from '../respond.ts';
import type { HookRow } from '../state-store.ts';
import type { ApiContext } from './context.ts';
import { toHook } from './convert.ts';
import { adminGroup, bindForm } from './group.ts';

const HOOK_TYPES = [
  'gitea',
  'gogs',
  'slack',
  'discord',
  'dingtalk',
  'telegram',
  'msteams',
  'feishu',
  'matrix',
  'wechatwork',
  'packagist',
];
const ISSUE_SUB = ['issue_assign', 'issue_label', 'issue_milestone', 'issue_comment'];
const PR_SUB = [
  'pull_request_assign',
  'pull_request_label',
  'pull_request_milestone',
  'pull_request_comment',
  'pull_request_review',
  'pull_request_review_request',
  'pull_request_sync',
];
const SIMPLE = [
  'create',
  'delete',
  'fork',
  'push',
  'repository',
  'wiki',
  'release',
  'package',
  'status',
  'workflow_job',
];
const OUTPUT_ORDER = [...SIMPLE, 'issues', ...ISSUE_SUB, 'pull_request', ...PR_SUB];

/** updateHookEvents: empty means push only; unknown names are ignored. */
export function expandEvents(events: string[] | undefined): string[] {
  if (!events || events.length === 0) return ['push'];
  const on = new Set<string>();
  for (const e of events) {
    if (SIMPLE.includes(e) || ISSUE_SUB.includes(e) || PR_SUB.includes(e)) on.add(e);
    else if (e === 'issues') ['issues', ...ISSUE_SUB].forEach((x) => on.add(x));
    else if (e === 'issues_only') on.add('issues');
    else if (e === 'pull_request') ['pull_request', ...PR_SUB].forEach((x) => on.add(x));
    else if (e === 'pull_request_only') on.add('pull_request');
  }
  return OUTPUT_ORDER.filter((e) => on.has(e));
}

/** gobwas/glob compile errors that matter: unclosed classes and alternations. */
const globPattern = (v: unknown): string | null => {
  if (typeof v !== 'string') return null;
  let square = 0;
  let curly = 0;
  for (let i = 0; i < v.length; i++) {
    const c = v[i];
    if (c === '\\') i++;
    else if (c === '[') square++;
    else if (c === ']') square = Math.max(0, square - 1);
    else if (c === '{') curly++;
    else if (c === '}') curly = Math.max(0, curly - 1);
  }
  return square > 0 || curly > 0 ? 'unexpected end of input' : null;
};

const CREATE_FIELDS: FieldSpec[] = [
  { json: 'type', go: 'Type', kind: 'string', rules: [required] },
  { json: 'config', go: 'Config', kind: 'stringMap', rules: [(v) => (v === undefined ? 'Required' : null)] },
  { json: 'events', go: 'Events', kind: 'stringArray' },
  { json: 'branch_filter', go: 'BranchFilter', kind: 'string', rules: [globPattern] },
  { json: 'authorization_header', go: 'AuthorizationHeader', kind: 'string' },
  { json: 'active', go: 'Active', kind: 'bool' },
];

const EDIT_FIELDS: FieldSpec[] = [
  { json: 'config', go: 'Config', kind: 'stringMap' },
  { json: 'events', go: 'Events', kind: 'stringArray' },
  { json: 'branch_filter', go: 'BranchFilter', kind: 'string', rules: [globPattern] },
  { json: 'authorization_header', go: 'AuthorizationHeader', kind: 'string' },
  { json: 'active', go: 'Active', kind: 'bool' },
];

/** validation.IsValidURL: absolute http(s) URL with a valid port. */
export function isValidHookUrl(raw: string): boolean {
  if (!/^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(raw)) return false;
  try {
    const u = new URL(raw);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

function hookId(ctx: ApiContext): number {
  return /^[+]?\d+$/.test(ctx.params.id!) ? Number(ctx.params.id) : 0;
}

export function listHooks(ctx: ApiContext): HttpReply {
  adminGroup(ctx, 'read');
  const type = ctx.query.get('type');
  const hooks = ctx.state.hooks.filter((h) =>
    type === 'all' ? true : type === 'default' ? !h.isSystemWebhook : h.isSystemWebhook,
  );
  return new HttpReply(200, hooks.map(toHook));
}

export function getHook(ctx: ApiContext): HttpReply {
  adminGroup(ctx, 'read');
  const hook = ctx.state.hooks.find((h) => h.id === hookId(ctx));
  if (!hook) throw apiNotFound(ctx.urls);
  return new HttpReply(200, toHook(hook));
}

export async function createHook(ctx: ApiContext): Promise<HttpReply> {
  adminGroup(ctx, 'write');
  const form = await bindForm(ctx, 'CreateHookOption', CREATE_FIELDS);
  const type = form.type as string;
  const config = form.config as Record<string, string>;
  if (!HOOK_TYPES.includes(type)) throw apiError(ctx.urls, 422, `Invalid hook type: ${type}`);
  for (const key of ['url', 'content_type'])
    if (!(key in config)) throw apiError(ctx.urls, 422, `Missing config option: ${key}`);
  if (config.content_type !== 'json' && config.content_type !== 'form')
    throw apiError(ctx.urls, 422, 'Invalid content type');
  if (!isValidHookUrl(config.url!)) throw apiError(ctx.urls, 422, 'Invalid url');
  let isSystem = false;
  if ((config.is_system_webhook ?? '') !== '') {
    const parsed = parseGoBool(config.is_system_webhook!);
    if (parsed === undefined) throw apiError(ctx.urls, 422, 'Invalid is_system_webhook value');
    isSystem = parsed;
  }
  const meta: Record<string, string> = {};
  if (type === 'slack') {
    const channel = (config.channel ?? '').trim();
    if (!('channel' in config)) throw apiError(ctx.urls, 422, 'Missing config option: channel');
    if (!/^#?[^\s#]+$/.test(channel)) throw apiError(ctx.urls, 400, 'Invalid slack channel name');
    Object.assign(meta, {
      channel,
      username: config.username ?? '',
      icon_url: config.icon_url ?? '',
      color: config.color ?? '',
    });
  }
  return ctx.store.transaction(
    (state) => {
      const now = nowUnix();
      const hook: HookRow = {
        id: ++state.seq.hook,
        isSystemWebhook: isSystem,
        type,
        url: config.url!,
        contentType: config.content_type as 'json' | 'form',
        secret: config.secret ?? '',
        meta,
        events: expandEvents(form.events as string[] | undefined),
        branchFilter: (form.branch_filter as string | undefined) ?? '',
        authorizationHeader: (form.authorization_header as string | undefined) ?? '',
        active: form.active === true,
        createdUnix: now,
        updatedUnix: now,
      };
      state.hooks.push(hook);
      return new HttpReply(201, toHook(hook));
    },
    false,
    'webhook',
  );
}

export async function editHook(ctx: ApiContext): Promise<HttpReply> {
  adminGroup(ctx, 'write');
  const form = await bindForm(ctx, 'EditHookOption', EDIT_FIELDS);
  const id = hookId(ctx);
  return ctx.store.transaction(
    (state) => {
      const hook = state.hooks.find((h) => h.id === id);
      if (!hook)
        throw new HttpReply(500, { message: `webhook does not exist [id: ${id}]`, url: ctx.urls.swaggerUrl });
      const config = (form.config as Record<string, string> | undefined) ?? {};
      if ('content_type' in config) {
        if (config.content_type !== 'json' && config.content_type !== 'form')
          throw apiError(ctx.urls, 422, 'Invalid content type');
        hook.contentType = config.content_type;
      }
      if ('url' in config) {
        if (!isValidHookUrl(config.url)) throw apiError(ctx.urls, 422, 'Invalid url');
        hook.url = config.url!;
      }
      hook.events = expandEvents(form.events as string[] | undefined);
      hook.branchFilter = (form.branch_filter as string | undefined) ?? '';
      hook.authorizationHeader = (form.authorization_header as string | undefined) ?? '';
      if (typeof form.active === 'boolean') hook.active = form.active;
      hook.updatedUnix = nowUnix();
      return new HttpReply(200, toHook(hook));
    },
    false,
    'webhook',
  );
}

export function deleteHook(ctx: ApiContext): HttpReply {
  adminGroup(ctx, 'write');
  const id = hookId(ctx);
  return ctx.store.transaction(
    (state) => {
      const index = state.hooks.findIndex((h) => h.id === id);
      if (index === -1) throw apiNotFound(ctx.urls);
      state.hooks.splice(index, 1);
      return new HttpReply(204);
    },
    false,
    'webhook',
  );
}
