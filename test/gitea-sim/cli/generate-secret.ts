// `gitea generate secret NAME` (cmd/generate.go): no config, no root check; a newline only on a TTY.
import { newInternalToken, newJwtSecret, randomAlnum } from '../secrets.ts';
import { UsageError } from './args.ts';

const GENERATORS: Record<string, () => string> = {
  SECRET_KEY: () => randomAlnum(64),
  INTERNAL_TOKEN: newInternalToken,
  JWT_SECRET: newJwtSecret,
  LFS_JWT_SECRET: newJwtSecret,
};

/** Print one secret to stdout. */
export function runGenerateSecret(positional: string[]): void {
  const name = positional[0];
  const gen = name ? GENERATORS[name] : undefined;
  if (!gen)
    throw new UsageError(
      name
        ? `No help topic for '${name}'`
        : 'a secret name is required: SECRET_KEY, INTERNAL_TOKEN, JWT_SECRET or LFS_JWT_SECRET',
    );
  process.stdout.write(gen() + (process.stdout.isTTY ? '\n' : ''));
}
