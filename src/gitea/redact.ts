// Secrets must never reach an error message, a log line or the journal. Gitea's own output can
// carry them (the generated password line, `--access-token` lines), and so can API messages
// echoing what we sent; everything that leaves this module passes through here first.

const REDACTED = '[REDACTED]';

/** Why: replace every occurrence of each known secret value (and its URL-encoded form). */
export function redactValues(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text;
  for (const secret of secrets) {
    if (!secret || secret.length < 4) continue;
    for (const form of new Set([secret, encodeURIComponent(secret)])) out = out.split(form).join(REDACTED);
  }
  return out;
}

/** Why: strip the secret-bearing lines Gitea prints, even when we do not know the value. */
export function redactGiteaOutput(text: string, secrets: readonly (string | undefined)[] = []): string {
  return redactValues(text, secrets)
    .replace(/(generated random password is ')[^']*(')/g, `$1${REDACTED}$2`)
    .replace(/(Access token was successfully created[.:]*\s*)\S+/g, `$1${REDACTED}`)
    .replace(/\b[0-9a-f]{40}\b/g, REDACTED);
}

/** Why: error messages carry the end of the output, where Gitea prints the reason. */
export function outputTail(text: string, maxLines = 20): string {
  const lines = text.trimEnd().split('\n');
  return lines.slice(-maxLines).join('\n');
}
