/**
 * The unit a per-client limit counts (failed logins, connections, upload sessions): an IPv4
 * address, also when written IPv4-mapped (`::ffff:10.0.0.1`, as a dual-stack socket reports
 * it), or an IPv6 address's /64, the unit one host or site is given, so walking through the
 * addresses of one /64 does not make a client someone new.
 */
import { isIPv6 } from 'node:net';

export function addressKey(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1] as string;
  if (!isIPv6(address)) return address;
  const [head = '', tail = ''] = address.toLowerCase().split('::');
  const left = head === '' ? [] : head.split(':');
  const right = address.includes('::') ? (tail === '' ? [] : tail.split(':')) : [];
  const groups = [...left, ...Array(8 - left.length - right.length).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((g) => g.padStart(4, '0'))
    .join(':')}::/64`;
}
