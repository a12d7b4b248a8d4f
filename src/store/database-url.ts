// DATABASE_URL helpers: redact the password for logs and errors, and name the server
// (host:port) an operator should look at when the connection fails.

const REDACTED = '***';

/** Why: DATABASE_URL carries the Postgres password, which must never reach a log line or an error. */
export function redactDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = REDACTED;
    for (const key of [...parsed.searchParams.keys()]) {
      if (/^(password|pass|pwd|sslpassword)$/i.test(key)) parsed.searchParams.set(key, REDACTED);
    }
    return parsed.toString().replaceAll(encodeURIComponent(REDACTED), REDACTED);
  } catch {
    // Not a URL we can parse: scrub anything that looks like userinfo or a password parameter.
    return url
      .replace(/(\/\/[^/@:]*:)[^@]*@/, `$1${REDACTED}@`)
      .replace(/((?:^|[\s?&;])(?:password|pass|pwd|sslpassword)\s*=\s*)[^\s&;]*/gi, `$1${REDACTED}`);
  }
}

/** Why: connection errors name the server ("127.0.0.1:5432") so the operator knows what to check. */
export function describeServer(url: string): string {
  try {
    const parsed = new URL(url);
    const socketHost = parsed.searchParams.get('host');
    const host = parsed.hostname !== '' ? parsed.hostname : (socketHost ?? 'localhost');
    const port = parsed.port !== '' ? parsed.port : (parsed.searchParams.get('port') ?? '5432');
    return `${host}:${port}`;
  } catch {
    return 'an unparsable address';
  }
}

/** Why: the database name appears in "database does not exist" errors. */
export function databaseName(url: string): string | undefined {
  try {
    const name = decodeURIComponent(new URL(url).pathname.replace(/^\//, ''));
    return name === '' ? undefined : name;
  } catch {
    return undefined;
  }
}

/** Why: a driver message may echo part of the URL; strip the literal password from any text we surface. */
export function scrubPassword(text: string, url: string): string {
  let password: string | undefined;
  try {
    const parsed = new URL(url);
    password = parsed.password !== '' ? decodeURIComponent(parsed.password) : undefined;
  } catch {
    password = /\/\/[^/@:]*:([^@]*)@/.exec(url)?.[1];
  }
  if (password === undefined || password.length === 0) return text;
  return text.replaceAll(password, REDACTED).replaceAll(encodeURIComponent(password), REDACTED);
}
