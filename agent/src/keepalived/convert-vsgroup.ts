// keepalived's virtual_server_group: the addresses a `virtual_server group NAME { ... }` stands for, one
// per line: `IP PORT`, `IP-LAST PORT` (a range in the last part, 10.0.0.1-10 is .1 to .10) or `fwmark N`.
// lvs-agent has no group object in IPVS terms either: the group expands into one virtual server per
// address, each with the group's settings and real servers. Pure.
import { isIPv4 } from "node:net";
import type { Token } from "./lexer.ts";
import type { Statement } from "./parser.ts";
import type { Cx } from "./cx.ts";

/** One address of a group: an IP and port, or a firewall mark. */
export type GroupMember = { address: string; port: number; at: Token } | { fwmark: number; at: Token };

export interface ServerGroup {
  at: Token;
  members: GroupMember[];
}

/** A range expands to at most this many addresses: a typo such as 10.0.0.1-100000 is an error, not a flood. */
const MAX_RANGE = 256;

export function readServerGroup(st: Statement, cx: Cx): ServerGroup {
  const members = (st.block ?? []).flatMap((item) => readMember(item, cx));
  if (members.length === 0) cx.error(st.keyword, `virtual_server_group ${st.args[0]?.text ?? ""} lists no address`);
  return { at: st.keyword, members };
}

function readMember(item: Statement, cx: Cx): GroupMember[] {
  const [first, second] = [item.keyword, item.args[0]];
  if (item.block) return none(cx, item.open ?? first, "an entry takes no { } block");
  if (item.args.length !== 1 || !second) return none(cx, first, "each line is `IP PORT`, `IP-LAST PORT` or `fwmark N`");
  if (first.text === "fwmark") {
    const mark = cx.numberAt(second, "fwmark");
    return mark === undefined ? [] : [{ fwmark: mark, at: first }];
  }
  const port = cx.numberAt(second, "virtual_server_group port");
  const addresses = expandRange(first.text);
  if (typeof addresses === "string") return none(cx, first, addresses);
  return port === undefined ? [] : addresses.map((address) => ({ address, port, at: first }));
}

function none(cx: Cx, at: Token, why: string): GroupMember[] {
  cx.error(at, `virtual_server_group: ${why}`);
  return [];
}

/** "10.0.0.1-10" as [10.0.0.1 .. 10.0.0.10]; a plain address as itself; otherwise why not (a string). Pure. */
export function expandRange(text: string): string[] | string {
  const m = /^(\d+\.\d+\.\d+\.)(\d+)(?:-(\d+))?$/.exec(text);
  if (!m || !isIPv4(`${m[1]}${m[2]}`))
    return `'${text}' is not an IPv4 address or range (lvs-agent's virtual servers are IPv4)`;
  const low = Number(m[2]);
  const high = m[3] === undefined ? low : Number(m[3]);
  if (high < low || high > 255) return `'${text}': the range must run upwards within the last part (at most 255)`;
  if (high - low + 1 > MAX_RANGE) return `'${text}' spans more than ${MAX_RANGE} addresses`;
  return Array.from({ length: high - low + 1 }, (_, i) => `${m[1]}${low + i}`);
}
