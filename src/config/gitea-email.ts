// Gitea 1.24's e-mail check for `gitea admin user create --email` (CONTRACT §L.7.1, the
// "basic" check the CLI applies): gigi-boot creates the internal admin through that CLI, so
// ADMIN_EMAIL is accepted exactly when the CLI would accept it — `mauro@localhost`, the bash
// entrypoint's default, included. The CLI's domain allow/block lists ([service]
// EMAIL_DOMAIN_*) come from app.ini and are left to Gitea (its error names the address).

// models/user/user.go emailRegexp. `+-/` in the class is a range (`+ , - . /`), so a comma
// passes here and is refused by the net/mail step below, as in Gitea.
const GITEA_EMAIL =
  /^[a-zA-Z0-9.!#$%&'*+-/=?^_`{|}~]*@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;

/**
 * Why Gitea's CLI would refuse `value` as an e-mail, in its own words, or undefined when it
 * accepts it. The order is Gitea's (validateEmailBasic), so the first reason is the one the
 * CLI would print.
 */
export function giteaEmailProblem(value: string): string | undefined {
  if (value === '') return 'e-mail invalid (empty)';
  if (!GITEA_EMAIL.test(value))
    return 'e-mail address contains unsupported character (Gitea allows letters, digits and .!#$%&\'*+,-/=?^_`{|}~ before the @, and a DNS name of letters, digits and "-" after it)';
  if (value.startsWith('-')) return 'e-mail invalid (it must not start with "-")';
  // Go's net/mail.ParseAddress, for strings that passed the pattern: it fails exactly on an
  // empty local part, a comma in it, or a dot at its start, its end or doubled (§L.7.1).
  const local = value.slice(0, value.indexOf('@'));
  if (local === '') return 'e-mail invalid (nothing before the @)';
  if (local.includes(',')) return 'e-mail invalid (a "," before the @)';
  if (local.startsWith('.') || local.endsWith('.') || local.includes('..'))
    return 'e-mail invalid (a "." at the start or end of the part before the @, or two in a row)';
  return undefined;
}
