// .gitea/workflows/build.yaml run for real: its steps, read from the YAML, executed by bash as the
// runner runs them (`bash --noprofile --norc -eo pipefail`, the expressions of their env: blocks
// evaluated from the job's contexts), with one change: REGISTRY names a local registry (Debian's
// docker-registry, htpasswd auth, a temp store) instead of prod.gigi.local. The lean app image is
// the stand-in (pushed there as :latest first, as the app repository's CI would), the base images
// the stand-ins of test/support/aio-images.sh under Dockerfile.aio's default names. Then the pushed
// tags are read from the registry's API, pulled back and inspected.
import { spawn, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { REPO_ROOT } from '../support/boot-process.ts';
import { stopProcessGroup } from '../support/aio-processes.ts';
import { freePort } from '../support/postgres.ts';
import { waitFor } from '../support/wait.ts';

const WORKFLOW = join(REPO_ROOT, '.gitea', 'workflows', 'build.yaml');
/** Dockerfile.aio's base-image args and the stand-in aio-images.sh builds for each. */
const STAND_INS: Record<string, string> = {
  GITEA_IMAGE: 'gigi-aio-test/gitea:latest',
  NODE_IMAGE: 'gigi-aio-test/node:latest',
  DOCKER_CLI_IMAGE: 'gigi-aio-test/docker-cli:latest',
  BASE_IMAGE: 'gigi-aio-test/bookworm:latest',
};

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  env?: Record<string, string>;
  if?: string;
  shell?: string;
  'working-directory'?: string;
}
interface Workflow {
  on: { push?: { branches?: string[] } };
  env?: Record<string, string>;
  jobs: Record<string, { env?: Record<string, string>; steps: Step[] }>;
}

const docker = (args: string[], env: NodeJS.ProcessEnv = process.env) => execa('docker', args, { env });

let work: string;
let registry: ChildProcess | undefined;
let address: string; // host:port of the local registry
const user = 'ci-pusher';
const password = randomBytes(18).toString('base64url');
const createdTags: string[] = [];

/** `${{ ctx.NAME }}` from the contexts a runner gives; anything else is refused (the runner here knows no more). */
function evaluate(value: string, contexts: Record<string, Record<string, string>>): string {
  return value.replace(
    /\$\{\{\s*([a-z]+)\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g,
    (whole, ctx: string, name: string) => {
      const found = contexts[ctx]?.[name];
      if (found === undefined) throw new Error(`the workflow uses ${whole}, which this run does not provide`);
      return found;
    },
  );
}

interface StepResult {
  name: string;
  exitCode: number;
  output: string;
}

/** Run the job's steps as the runner would, with REGISTRY pointing at the local registry. */
async function runWorkflow(workflow: Workflow, sha: string, dockerConfig: string): Promise<StepResult[]> {
  const results: StepResult[] = [];
  const contexts = {
    github: { sha },
    secrets: { REGISTRY_USER: user, REGISTRY_PASSWORD: password },
  };
  const [job, ...others] = Object.values(workflow.jobs);
  expect(others).toEqual([]);
  let failed = false;
  for (const step of job!.steps) {
    const name = step.name ?? step.run ?? step.uses ?? '?';
    if (step.uses) {
      // The one action: the checkout this test runs in.
      expect(step.uses).toMatch(/^actions\/checkout@/);
      continue;
    }
    if (failed && step.if !== 'always()') continue;
    if (step.if !== undefined && step.if !== 'always()')
      throw new Error(`step ${name}: if: ${step.if} unknown here`);
    expect(step.shell ?? 'bash').toBe('bash');
    const script = step.run!;
    // Expressions only in env: a value spliced into the script would be shell code.
    expect(script, `step ${name}`).not.toContain('${{');
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: work,
      DOCKER_CONFIG: dockerConfig,
      CI: 'true',
      GITHUB_SHA: sha,
      GITHUB_WORKSPACE: REPO_ROOT,
    };
    for (const scope of [workflow.env, job!.env, step.env])
      for (const [k, v] of Object.entries(scope ?? {})) env[k] = evaluate(String(v), { ...contexts, env });
    env.REGISTRY = address; // the one change: the local registry is the target
    const file = join(work, `step-${results.length}.sh`);
    writeFileSync(file, script);
    const result = await execa('bash', ['--noprofile', '--norc', '-eo', 'pipefail', file], {
      cwd: join(REPO_ROOT, step['working-directory'] ?? '.'),
      env,
      extendEnv: false,
      all: true,
      reject: false,
    });
    results.push({ name, exitCode: result.exitCode ?? 1, output: result.all ?? '' });
    if (result.exitCode !== 0) failed = true;
  }
  return results;
}

/** A registry API call with the pusher's credentials. */
function registryGet(path: string, headers: Record<string, string> = {}) {
  return fetch(`http://${address}${path}`, {
    headers: { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`, ...headers },
  });
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'gigi-aio-workflow-'));
  await execa('bash', [join(REPO_ROOT, 'test', 'support', 'aio-images.sh')], { stdio: 'inherit' });

  // The registry: Debian's docker-registry on a loopback port (Docker pushes to 127.0.0.0/8 over
  // plain HTTP), basic auth from an htpasswd file (bcrypt, the only scheme it accepts).
  const { stdout: hash } = await execa(
    '/usr/bin/python3', // Debian's: the python supervisor runs on
    [
      '-W',
      'ignore',
      '-c',
      'import crypt,sys; print(crypt.crypt(sys.stdin.read(), crypt.mksalt(crypt.METHOD_BLOWFISH)))',
    ],
    { input: password },
  );
  writeFileSync(join(work, 'htpasswd'), `${user}:${hash.trim()}\n`, { mode: 0o600 });
  address = `127.0.0.1:${await freePort()}`;
  writeFileSync(
    join(work, 'registry.yml'),
    [
      'version: 0.1',
      'log: {level: warn}',
      `storage: {filesystem: {rootdirectory: ${join(work, 'store')}}}`,
      `http: {addr: "${address}", secret: ${randomBytes(16).toString('hex')}}`,
      `auth: {htpasswd: {realm: gigi-test, path: ${join(work, 'htpasswd')}}}`,
      '',
    ].join('\n'),
  );
  // Its log (every request, auth challenges included) to a file, shown if it does not start.
  const log = openSync(join(work, 'registry.log'), 'a');
  registry = spawn('docker-registry', ['serve', join(work, 'registry.yml')], {
    stdio: ['ignore', log, log],
    detached: true,
  });
  closeSync(log);
  // Up when it asks for credentials.
  await waitFor(
    `docker-registry to answer 401 on ${address}`,
    async () => (await fetch(`http://${address}/v2/`)).status === 401,
    { timeout: 30_000, interval: 200, diagnostics: () => readFileSync(join(work, 'registry.log'), 'utf8') },
  );

  // Dockerfile.aio's default base images, as the stand-ins (only names this engine lacks).
  const dockerfile = readFileSync(join(REPO_ROOT, 'Dockerfile.aio'), 'utf8');
  for (const [arg, standIn] of Object.entries(STAND_INS)) {
    const name = new RegExp(`^ARG ${arg}=(\\S+)$`, 'm').exec(dockerfile)?.[1];
    if (!name) throw new Error(`Dockerfile.aio has no default for ${arg}`);
    const exists = await docker(['image', 'inspect', name]).then(
      () => true,
      () => false,
    );
    if (!exists) {
      await docker(['tag', standIn, name]);
      createdTags.push(name);
    }
  }
  // The lean app image, as the app repository's CI pushes it; then forgotten locally, so only
  // the workflow's pull can bring it back.
  const setupConfig = join(work, 'setup-docker');
  mkdirSync(setupConfig);
  const asSetup = { ...process.env, DOCKER_CONFIG: setupConfig };
  await execa('docker', ['login', address, '--username', user, '--password-stdin'], {
    input: password,
    env: asSetup,
  });
  await docker(['tag', 'gigi-aio-test/app:latest', `${address}/gigi/gigi:latest`]);
  await docker(['push', `${address}/gigi/gigi:latest`], asSetup);
  await docker(['rmi', `${address}/gigi/gigi:latest`]);
}, 1_800_000);

afterAll(async () => {
  const { stdout } = await docker(['images', '--format', '{{.Repository}}:{{.Tag}}', `${address}/*/*`]).catch(
    () => ({ stdout: '' }),
  );
  for (const tag of [...stdout.split('\n').filter(Boolean), ...createdTags])
    await docker(['rmi', tag]).catch(() => undefined);
  if (registry) await stopProcessGroup(registry, 5_000);
  rmSync(work, { recursive: true, force: true });
}, 120_000);

describe('.gitea/workflows/build.yaml', () => {
  const workflow = parse(readFileSync(WORKFLOW, 'utf8')) as Workflow;
  let sha: string;
  let results: StepResult[];

  it('runs on pushes to main', () => {
    expect(workflow.on.push?.branches).toEqual(['main']);
  });

  it('its steps log in, build Dockerfile.aio and push :aio-<sha> and :aio to the registry', async () => {
    sha = (await execa('git', ['rev-parse', 'HEAD'], { cwd: REPO_ROOT })).stdout.trim();
    const config = join(work, 'runner-docker');
    mkdirSync(config);
    chmodSync(config, 0o700);
    // The runner's Docker client set up as this machine's image builds are: a proxy (Docker
    // passes it to builds as the predefined http_proxy arg). Its value is in no cache key, but
    // whether one is set is (the legacy builder marks RUN steps built with one), so with it the
    // build finds the layers test/support/aio-images.sh just built; they need no proxy then.
    writeFileSync(
      join(config, 'config.json'),
      JSON.stringify({ proxies: { default: { httpProxy: 'http://127.0.0.1:9', noProxy: '127.0.0.1' } } }),
    );
    results = await runWorkflow(workflow, sha, config);
    const failed = results.find((r) => r.exitCode !== 0);
    expect(failed, failed && `${failed.name}:\n${failed.output.slice(-3000)}`).toBeUndefined();
    expect(results.map((r) => r.name)).toEqual([
      'Log in to the registry',
      'Pull the lean app image',
      'Build AIO image',
      'Push AIO image',
      'Log out',
    ]);
    // The password went through stdin: not in any step's output, nor left in the runner's config.
    for (const r of results) expect(r.output).not.toContain(password);
    expect(readFileSync(join(config, 'config.json'), 'utf8')).not.toContain(
      Buffer.from(`${user}:${password}`).toString('base64'),
    );

    const tags = (await (await registryGet('/v2/gigi/gigi/tags/list')).json()) as { tags: string[] };
    expect(tags.tags.sort()).toEqual(['aio', `aio-${sha}`, 'latest'].sort());
    const digest = async (tag: string) =>
      (
        await registryGet(`/v2/gigi/gigi/manifests/${tag}`, {
          accept: 'application/vnd.docker.distribution.manifest.v2+json',
        })
      ).headers.get('docker-content-digest');
    expect(await digest('aio')).toMatch(/^sha256:/);
    expect(await digest(`aio-${sha}`)).toBe(await digest('aio'));
  }, 1_800_000);

  it('the pushed tags pull back as the image that was built: its entrypoint, health check, and it runs', async () => {
    const built = (
      await docker(['image', 'inspect', '-f', '{{.Id}}', `${address}/gigi/gigi:aio`])
    ).stdout.trim();
    await docker(['rmi', `${address}/gigi/gigi:aio`, `${address}/gigi/gigi:aio-${sha}`]);
    const pullConfig = join(work, 'pull-docker');
    mkdirSync(pullConfig);
    const asPuller = { ...process.env, DOCKER_CONFIG: pullConfig };
    await execa('docker', ['login', address, '--username', user, '--password-stdin'], {
      input: password,
      env: asPuller,
    });
    for (const tag of ['aio', `aio-${sha}`]) {
      await docker(['pull', `${address}/gigi/gigi:${tag}`], asPuller);
      const [info] = JSON.parse(
        (await docker(['image', 'inspect', `${address}/gigi/gigi:${tag}`])).stdout,
      ) as {
        Id: string;
        Config: {
          Entrypoint: string[];
          Healthcheck?: { Test: string[] };
          Env: string[];
        };
      }[];
      expect(info!.Id).toBe(built);
      expect(info!.Config.Entrypoint).toEqual(['/usr/bin/tini', '--', '/opt/gigi-boot/aio/entrypoint.sh']);
      expect(info!.Config.Healthcheck?.Test).toEqual(['CMD', '/opt/gigi-boot/aio/healthcheck.sh']);
      expect(info!.Config.Env).toContain('GIGI_DATA_DIR=/data');
    }
    const { stdout } = await docker([
      'run',
      '--rm',
      '--entrypoint',
      'sh',
      `${address}/gigi/gigi:aio`,
      '-c',
      'curl --version | head -n1; claude --version; gigi-boot --help | head -n1',
    ]);
    expect(stdout).toMatch(/^curl \d/m);
    expect(stdout).toMatch(/\(Claude Code\)/);
  }, 600_000);
});
