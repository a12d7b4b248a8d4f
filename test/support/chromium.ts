// Debian's Chromium as the tests start it on this machine: headless, as root (no sandbox), and
// with the background-networking flags off — without them Chromium's connections are refused by
// the closed network, many at a time, and every start tries to reach Google's hosts.
export const CHROMIUM_BIN = '/usr/bin/chromium';

export const HEADLESS_CHROMIUM_FLAGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
