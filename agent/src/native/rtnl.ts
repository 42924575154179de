// Typed access to rtnetlink through npm `netlink` (N-API, loads under any Node ABI). One request socket
// per process: it is unreferenced while idle, so it never keeps the agent alive on its own.
import { createRtNetlink, type RtNetlinkSocket, type rt } from "netlink";

let shared: RtNetlinkSocket | undefined;

export function rtnl(): RtNetlinkSocket {
  return (shared ??= createRtNetlink());
}

/** npm netlink rejects kernel errors as `Error("Request rejected: EEXIST")`: recover the errno name. */
export function netlinkErrno(err: unknown): string | undefined {
  const m = /^Request rejected: (\w+)$/.exec(err instanceof Error ? err.message : "");
  return m?.[1];
}

export function noSuchInterface(ifname: string): Error {
  return new Error(`interface ${ifname} does not exist`);
}

/** RTM_GETLINK by IFLA_IFNAME; the kernel answers ENODEV for an unknown name. */
export async function linkByName(ifname: string, sock: RtNetlinkSocket = rtnl()): Promise<rt.LinkMessage> {
  try {
    const [link] = await sock.getLink({}, { ifname });
    if (!link) throw noSuchInterface(ifname);
    return link;
  } catch (err) {
    if (netlinkErrno(err) === "ENODEV") throw noSuchInterface(ifname);
    throw err;
  }
}

export function formatMac(bytes: Buffer | undefined): string {
  return [...(bytes ?? Buffer.alloc(6))].map((b) => b.toString(16).padStart(2, "0")).join(":");
}
