import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/**
 * Addresses a download never connects to unless their host is allowed by name: loopback, private networks,
 * link-local (cloud metadata services live at 169.254.169.254 and fd00:ec2::254), carrier-grade NAT,
 * "this network", multicast and reserved ranges, and their IPv6 counterparts.
 */
const internal = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  internal.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
  ['64:ff9b:1::', 48],
] as const) {
  internal.addSubnet(network, prefix, 'ipv6');
}

/** The IPv4 address inside an IPv4-mapped or -compatible IPv6 address (::ffff:127.0.0.1, ::ffff:7f00:1). */
function embeddedIPv4(address: string): string | undefined {
  const dotted = /^::(?:ffff:)?(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (dotted?.[1]) return dotted[1];
  const hex = /^::(?:ffff:)?([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(address);
  if (!hex?.[1] || !hex[2]) return undefined;
  const high = parseInt(hex[1], 16);
  const low = parseInt(hex[2], 16);
  return [high >> 8, high & 255, low >> 8, low & 255].join('.');
}

/** True for an address (v4 or v6 text) in a loopback, private, link-local or reserved range. */
export function isInternalAddress(address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, '');
  const v4 = isIP(bare) === 6 ? embeddedIPv4(bare) : undefined;
  if (v4) return internal.check(v4, 'ipv4');
  const family = isIP(bare);
  if (family === 0) return false;
  return internal.check(bare, family === 4 ? 'ipv4' : 'ipv6');
}

/** Which internal hosts may be fetched anyway: LOOKALIKE_ALLOWED_PRIVATE_HOSTS. */
export interface AddressPolicy {
  /** Host names or addresses as written in URLs (`127.0.0.1`, `[::1]` or `::1`, `images.internal`). */
  allowedPrivateHosts: readonly string[];
}

const hostKey = (host: string) => host.toLowerCase().replace(/^\[|\]$/g, '');

/**
 * Why `url` may not be requested because its host is or resolves to an internal address, or undefined when it
 * may. Asked before the first request and after every redirect. The URL parser has already turned the other
 * spellings of an address (2130706433, 0x7f.1, 127.1) into the dotted form. A name that does not resolve here
 * is left to the connection (or to the configured proxy, which resolves names itself).
 */
export async function internalAddressRefusal(url: URL, policy: AddressPolicy): Promise<string | undefined> {
  const host = hostKey(url.hostname);
  if (policy.allowedPrivateHosts.some((allowed) => hostKey(allowed) === host)) return undefined;
  const hint = `add ${host} to LOOKALIKE_ALLOWED_PRIVATE_HOSTS to allow it`;
  if (isIP(host) !== 0) {
    return isInternalAddress(host) ? `${host} is a private or local address; ${hint}` : undefined;
  }
  let addresses: { address: string }[];
  try {
    addresses = await lookup(host, { all: true, verbatim: true });
  } catch {
    return undefined;
  }
  const blocked = addresses.find((a) => isInternalAddress(a.address));
  return blocked ? `${host} resolves to the private or local address ${blocked.address}; ${hint}` : undefined;
}
