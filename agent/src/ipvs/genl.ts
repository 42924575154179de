// IPVS over generic netlink (npm `netlink`): the family lookup and one acked request per operation.
// Encoding and decoding live in codec.ts; this shell only moves bytes and names failures.
import { createGenericNetlink, FlagsGet, genl, type GenericNetlinkMessage, type GenericNetlinkSocket } from "netlink";
import { netlinkErrno } from "../native/rtnl.ts";
import {
  decodeDaemon,
  decodeDest,
  decodeInfo,
  decodeService,
  decodeTimeouts,
  describeService,
  hostPort,
  IPVS_CMD,
  IPVS_GENL_NAME,
  IPVS_GENL_VERSION,
  ipvsRequest,
  serviceFamily,
  type IpvsDaemon,
  type IpvsDest,
  type IpvsDestInfo,
  type IpvsDestKey,
  type IpvsInfo,
  type IpvsRequest,
  type IpvsService,
  type IpvsServiceInfo,
  type IpvsServiceKey,
  type IpvsTimeouts,
} from "./codec.ts";

/** A request the kernel has not answered in this long is treated as lost. */
const REQUEST_TIMEOUT_MS = 10_000;

export const IPVS_UNAVAILABLE = "IPVS is not available in this kernel: load it with `modprobe ip_vs` (CONFIG_IP_VS)";

/** What the errno means for IPVS (net/netfilter/ipvs/ip_vs_ctl.c), per kind of operation where it differs. */
const HINTS: Record<string, string> = {
  EEXIST: "already exists",
  ESRCH: "no such virtual service",
  EINVAL: "rejected as invalid",
  EPERM: "needs CAP_NET_ADMIN",
  EAFNOSUPPORT: "address family not supported by this kernel",
  EBUSY: "busy (a sync daemon of that state is already running?)",
  "ENOENT:service": "scheduler or persistence engine not found (module ip_vs_<name> missing?)",
  "ENOENT:dest": "no such real server",
  "ENOENT:daemon": "no such sync daemon",
};

export class IpvsError extends Error {
  override name = "IpvsError";
  constructor(
    /** the IpvsClient method that failed */
    readonly op: string,
    /** errno name from the kernel, e.g. "EEXIST" */
    readonly errno: string,
    message: string,
  ) {
    super(message);
  }
}

function ipvsError(op: string, subject: string, err: unknown): Error {
  const errno = netlinkErrno(err);
  if (!errno) return err instanceof Error ? err : new Error(String(err));
  const kind = /Dest/.test(op) ? "dest" : /Daemon/.test(op) ? "daemon" : "service";
  const hint = HINTS[`${errno}:${kind}`] ?? HINTS[errno];
  return new IpvsError(op, errno, `IPVS ${op}${subject ? ` ${subject}` : ""}: ${errno}${hint ? ` (${hint})` : ""}`);
}

const destSubject = (k: IpvsServiceKey, d: IpvsDestKey) => `${describeService(k)} -> ${hostPort(d.address, d.port)}`;

export class IpvsClient {
  /** requests go one at a time: the library groups multipart replies by arrival, not by sequence */
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly sock: GenericNetlinkSocket,
    readonly familyId: number,
  ) {}

  /** Resolves the "IPVS" generic netlink family; fails with IPVS_UNAVAILABLE when the kernel lacks it. */
  static async open(): Promise<IpvsClient> {
    const sock = createGenericNetlink();
    try {
      const [family] = await sock.ctrlRequest(
        genl.Commands.GET_FAMILY,
        { familyName: IPVS_GENL_NAME },
        { timeout: REQUEST_TIMEOUT_MS },
      );
      if (family?.familyId === undefined) throw new Error("generic netlink controller answered without a family id");
      return new IpvsClient(sock, family.familyId);
    } catch (err) {
      sock.socket.close();
      throw netlinkErrno(err) === "ENOENT" ? new Error(IPVS_UNAVAILABLE) : err;
    }
  }

  close(): void {
    this.sock.socket.close();
  }

  private exec(op: string, subject: string, req: IpvsRequest): Promise<GenericNetlinkMessage[]> {
    const options = { flags: req.dump ? FlagsGet.DUMP : 0, timeout: REQUEST_TIMEOUT_MS };
    const task = this.queue.then(() =>
      this.sock.request(this.familyId, req.cmd, IPVS_GENL_VERSION, req.attrs, options),
    );
    this.queue = task.catch(() => undefined);
    return task.then(
      ([msgs]) => msgs,
      (err: unknown) => Promise.reject(ipvsError(op, subject, err)),
    );
  }

  /** The payloads of the replies carrying `cmd` (a dump's entries, or a get's one answer). */
  private async query(op: string, subject: string, req: IpvsRequest, cmd: number): Promise<Buffer[]> {
    return (await this.exec(op, subject, req)).filter((m) => m.cmd === cmd).map((m) => m.data);
  }

  async addService(s: IpvsService): Promise<void> {
    await this.exec("addService", describeService(s), ipvsRequest.newService(s));
  }
  async editService(s: IpvsService): Promise<void> {
    await this.exec("editService", describeService(s), ipvsRequest.setService(s));
  }
  async delService(k: IpvsServiceKey): Promise<void> {
    await this.exec("delService", describeService(k), ipvsRequest.delService(k));
  }
  /** One service with its counters, or undefined when the kernel has no such service. */
  async getService(k: IpvsServiceKey): Promise<IpvsServiceInfo | undefined> {
    try {
      const [payload] = await this.query(
        "getService",
        describeService(k),
        ipvsRequest.getService(k),
        IPVS_CMD.NEW_SERVICE,
      );
      return payload && decodeService(payload);
    } catch (err) {
      if (err instanceof IpvsError && err.errno === "ESRCH") return undefined;
      throw err;
    }
  }
  /** Every virtual service in this network namespace, with counters. */
  async listServices(): Promise<IpvsServiceInfo[]> {
    return (await this.query("listServices", "", ipvsRequest.getServices(), IPVS_CMD.NEW_SERVICE)).map((p) =>
      decodeService(p),
    );
  }

  async addDest(k: IpvsServiceKey, d: IpvsDest): Promise<void> {
    await this.exec("addDest", destSubject(k, d), ipvsRequest.newDest(k, d));
  }
  async editDest(k: IpvsServiceKey, d: IpvsDest): Promise<void> {
    await this.exec("editDest", destSubject(k, d), ipvsRequest.setDest(k, d));
  }
  async delDest(k: IpvsServiceKey, d: IpvsDestKey): Promise<void> {
    await this.exec("delDest", destSubject(k, d), ipvsRequest.delDest(k, d));
  }
  /** The real servers of a service, with connection counts and counters (empty for an unknown service). */
  async listDests(k: IpvsServiceKey): Promise<IpvsDestInfo[]> {
    const payloads = await this.query("listDests", describeService(k), ipvsRequest.getDests(k), IPVS_CMD.NEW_DEST);
    return payloads.map((p) => decodeDest(p, serviceFamily(k)));
  }

  /** Deletes every service and real server (ipvsadm -C). */
  async flush(): Promise<void> {
    await this.exec("flush", "", ipvsRequest.flush());
  }
  /** Zeroes the counters of one service, or of all (ipvsadm -Z). */
  async zero(k?: IpvsServiceKey): Promise<void> {
    await this.exec("zero", k ? describeService(k) : "", ipvsRequest.zero(k));
  }
  async getInfo(): Promise<IpvsInfo> {
    const [payload] = await this.query("getInfo", "", ipvsRequest.getInfo(), IPVS_CMD.SET_INFO);
    if (!payload) throw new Error("IPVS getInfo: no reply");
    return decodeInfo(payload);
  }
  async getTimeouts(): Promise<IpvsTimeouts> {
    const [payload] = await this.query("getTimeouts", "", ipvsRequest.getConfig(), IPVS_CMD.SET_CONFIG);
    if (!payload) throw new Error("IPVS getTimeouts: no reply");
    return decodeTimeouts(payload);
  }
  /** Connection timeouts in seconds (ipvsadm --set); a 0 leaves that one unchanged. */
  async setTimeouts(t: IpvsTimeouts): Promise<void> {
    await this.exec("setTimeouts", "", ipvsRequest.setConfig(t));
  }

  async startDaemon(d: IpvsDaemon): Promise<void> {
    await this.exec("startDaemon", `${d.state} on ${d.ifname}`, ipvsRequest.newDaemon(d));
  }
  async stopDaemon(state: IpvsDaemon["state"]): Promise<void> {
    await this.exec("stopDaemon", state, ipvsRequest.delDaemon(state));
  }
  async listDaemons(): Promise<IpvsDaemon[]> {
    return (await this.query("listDaemons", "", ipvsRequest.getDaemons(), IPVS_CMD.NEW_DAEMON)).map((p) =>
      decodeDaemon(p),
    );
  }
}
