// Which URL hosts reach this machine: a WEBHOOK_URL on any of them and the internal Gitea's
// port would have Gitea post its hooks to itself. Hostnames as WHATWG URL normalises them
// (lower case, IPv4 in dotted decimal — `http://0/` is 0.0.0.0 — IPv6 compressed in brackets).

/** True for localhost names, the loopback ranges and the unspecified addresses (0.0.0.0, [::]). */
export function isLocalHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, '');
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (/^127\.\d+\.\d+\.\d+$/.test(host) || host === '0.0.0.0') return true;
  if (host === '[::1]' || host === '[::]') return true;
  // IPv4-mapped IPv6 of the above: [::ffff:7f00:1] is 127.0.0.1, [::ffff:0:0] is 0.0.0.0.
  return /^\[::ffff:(7f[0-9a-f]{2}:[0-9a-f]{1,4}|0:0)\]$/.test(host);
}
