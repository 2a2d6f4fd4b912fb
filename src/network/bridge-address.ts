import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';

// A Linux bridge whose MAC address was never set takes the lowest MAC of its ports, and
// takes another whenever a port with a lower one joins or the one it copied leaves (the
// last port gone, it is 00:00:00:00:00:00). Pods keep the old address of their gateway
// in their neighbour tables, and their packets to it — DNS, service IPs, anything off
// the pod network — go nowhere until the entry expires, tens of seconds later. Docker
// and the CNI bridge plugin give their bridges an address of their own for this reason;
// so does wharf, keeping the one the bridge has, so pods already attached see no change.

const NET_ADDR_SET = 3; // addr_assign_type: the address was set from user space

/**
 * The `ip` arguments that fix the bridge's MAC address where it is, or undefined when it
 * is fixed already. The bridge must exist.
 */
export function bridgeAddressPinArgs(
  bridge: string,
  sysfs = '/sys/class/net',
): string[] | undefined {
  const read = (file: string) => readFileSync(`${sysfs}/${bridge}/${file}`, 'utf8').trim();
  if (Number(read('addr_assign_type')) === NET_ADDR_SET) return undefined;
  let address = read('address');
  if (/^(00:){5}00$/.test(address)) address = randomLocalMac();
  return ['link', 'set', bridge, 'address', address];
}

/** A random unicast address from the locally administered range. */
function randomLocalMac(): string {
  const bytes = randomBytes(6);
  bytes[0] = (bytes[0]! & 0xfe) | 0x02;
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(':');
}
