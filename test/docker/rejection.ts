// The DockerError a promise rejects with; fails the test when it resolves or rejects with
// anything else (a plain Error would mean a failure escaped its domain's typing).
import { type DockerError, isBootError } from '../../src/errors.ts';

export async function rejection(promise: Promise<unknown>): Promise<DockerError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isBootError(error)) throw new Error(`expected a DockerError, got ${String(error)}`);
  return error as DockerError;
}
