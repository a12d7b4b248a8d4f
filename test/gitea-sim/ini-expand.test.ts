// The simulator reads app.ini values as go-ini's Key.String() does, %(KEY)s expansion included:
// the bash entrypoint's ROOT_URL = %(PROTOCOL)s://%(DOMAIN)s:%(HTTP_PORT)s/ depends on it.
import { describe, expect, it } from 'vitest';
import { iniGet, parseIni } from './ini.ts';

describe("the simulator's go-ini reader: %(KEY)s", () => {
  const file = parseIni(
    [
      'APP_NAME = root-app',
      'DOMAIN = root.example',
      '[server]',
      'PROTOCOL = http',
      'DOMAIN = localhost',
      'HTTP_PORT = 3300',
      'ROOT_URL = %(PROTOCOL)s://%(DOMAIN)s:%(HTTP_PORT)s/',
      'NAME = %(APP_NAME)s',
      'SELF = %(SELF)s',
      'PARTIAL = %(DOMAIN)s/%(MISSING)s/%(HTTP_PORT)s',
      'TWICE = %(HTTP_PORT)s-%(HTTP_PORT)s',
      '[other]',
      'URL = %(PROTOCOL)s://%(DOMAIN)s/',
    ].join('\n'),
  );

  it('expands from the same section first', () => {
    expect(iniGet(file, 'server', 'ROOT_URL')).toBe('http://localhost:3300/');
    expect(iniGet(file, 'server', 'TWICE')).toBe('3300-3300');
  });

  it('falls back to the default section, and a key is never its own source there', () => {
    expect(iniGet(file, 'server', 'NAME')).toBe('root-app');
    expect(iniGet(file, 'server', 'SELF')).toBe('%(SELF)s');
  });

  it('stops at the first name found nowhere, leaving it and the rest as written', () => {
    expect(iniGet(file, 'server', 'PARTIAL')).toBe('localhost/%(MISSING)s/%(HTTP_PORT)s');
    // [other] has no PROTOCOL and neither has the default section: nothing after it is expanded.
    expect(iniGet(file, 'other', 'URL')).toBe('%(PROTOCOL)s://%(DOMAIN)s/');
  });
});
