import { isIPv4, isIPv6 } from 'node:net';

const MAPPED_IPV4 = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i;

/**
 * The key a client address is counted under by the per-address limits: an
 * IPv4 address as it is, an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`, how
 * a dual-stack socket reports an IPv4 peer) as that IPv4 address, and any
 * other IPv6 address by its /64. A /64 is what one subscriber or host gets
 * (RFC 6177, RFC 7421): rotating through its 2^64 addresses must not buy an
 * attacker 2^64 budgets. Anything else (no address) is one key of its own.
 */
export function addressKey(ip: string | null | undefined): string {
  if (!ip) return 'unknown';
  const mapped = MAPPED_IPV4.exec(ip);
  if (mapped && isIPv4(mapped[1])) return mapped[1];
  if (isIPv4(ip)) return ip;
  const address = ip.split('%', 1)[0];
  if (!isIPv6(address)) return 'unknown';
  return `${ipv6Groups(address).slice(0, 4).join(':')}::/64`;
}

/** The eight 16-bit groups of an IPv6 address, as lower-case hex without leading zeros. */
function ipv6Groups(address: string): string[] {
  const [head, tail] = address.toLowerCase().split('::');
  const parse = (part: string | undefined): string[] =>
    part
      ? part.split(':').flatMap((group) => (group.includes('.') ? ipv4Groups(group) : group))
      : [];
  const left = parse(head);
  const right = parse(tail);
  const zeros = tail === undefined ? [] : Array(8 - left.length - right.length).fill('0');
  return [...left, ...zeros, ...right].map((group) => parseInt(group, 16).toString(16));
}

/** A dotted quad embedded at the end of an IPv6 address, as its two 16-bit groups. */
function ipv4Groups(quad: string): string[] {
  const [a, b, c, d] = quad.split('.').map(Number);
  return [((a << 8) | b).toString(16), ((c << 8) | d).toString(16)];
}
