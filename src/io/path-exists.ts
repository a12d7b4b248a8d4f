// "Is something there?" for checks made before anything is written (the preflight) or while
// waiting for a file another process creates (the Docker socket): stat follows links, as both want.
import { stat } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Why: a missing path (or one that cannot be stat'ed) is an answer here, not an error. */
export async function pathExists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Why: what can be checked or watched of a path that is not there yet: itself, else its deepest existing ancestor. */
export async function deepestExisting(path: string): Promise<string> {
  let current = path;
  while (!(await pathExists(current)) && dirname(current) !== current) current = dirname(current);
  return current;
}
