// The IPVS part of AgentConfig: virtual servers with their real servers and health checks, director
// sysctls and the connection sync daemon. Names follow keepalived's where they mean the same thing
// (lb_algo -> scheduler, lb_kind -> forwarding, delay_loop -> a check's interval, inhibit_on_failure).
import { z } from "zod";
import { HealthCheck } from "./health-checks.ts";
import { AgentHealthCheck } from "./agent-checks.ts";
import { ifname, ipAddress as ip, ipv4, scheduler } from "./fields.ts";
// ip: the agent's own virtual servers take IPv6 too (IPVS AF_INET6); a service and its servers share
// one family (validate-ipvs.ts). The provider's ClusterSpec stays IPv4 (its real-server preparation is).

const port = z.number().int().min(1).max(65535);
/**
 * Port 0 on the agent's own virtual servers: a service for every port of its address (IPVS schedules
 * it only with persistence, validate-ipvs.ts), and on a real server the port the client asked for.
 */
const anyPort = z.number().int().min(0).max(65535);
/** DR = route (ipvsadm -g), NAT = masq (-m), TUN = ipip (-i) */
export const Forwarding = z.enum(["DR", "NAT", "TUN"]);

export const RealServer = z.object({
  address: ipv4,
  /** defaults to the virtual server's port; ignored for DR/TUN fwmark services */
  port: port.optional(),
  /** IPVS weight 0-65535; 0 takes no new connections (quiesced) */
  weight: z.number().int().min(0).max(65535).default(1),
  upperThreshold: z.number().int().min(0).default(0),
  lowerThreshold: z.number().int().min(0).default(0),
  /** overrides the virtual server's forwarding method for this real server */
  forwarding: Forwarding.optional(),
  /** overrides the virtual server's default health check; "none" = always up */
  healthCheck: z.union([HealthCheck, z.literal("none")]).optional(),
  /** on failure keep it with weight 0 instead of removing it (keepalived inhibit_on_failure) */
  inhibitOnFailure: z.boolean().optional(),
});

/** seconds of client affinity, up to a year */
const persistenceTimeout = z.number().int().min(1).max(31_536_000);
/** The sorry server: the provider's takes IPv4 addresses, the agent's either family. */
const sorryServerAt = (address: typeof ip) =>
  z.object({ address, port: port.optional(), forwarding: Forwarding.optional() });

export const VirtualServer = z.object({
  /** the VIP; with fwmark instead, leave address and port out */
  address: ipv4.optional(),
  port: port.optional(),
  protocol: z.enum(["TCP", "UDP", "SCTP"]).default("TCP"),
  fwmark: z.number().int().min(1).max(0xffffffff).optional(),
  /** an IPVS scheduler of Linux (fields.ts SCHEDULERS): rr wrr lc wlc lblc lblcr dh sh sed nq fo ovf mh twos */
  scheduler: scheduler.default("wlc"),
  forwarding: Forwarding.default("DR"),
  /** client affinity (ipvsadm -p / keepalived persistence_timeout), seconds */
  persistence: z
    .object({ timeout: persistenceTimeout, netmask: z.number().int().min(0).max(32).default(32) })
    .optional(),
  /** sh/mh scheduler flags and one-packet scheduling for UDP */
  flags: z
    .object({
      onePacket: z.boolean().default(false),
      fallback: z.boolean().default(false),
      port: z.boolean().default(false),
    })
    .default({ onePacket: false, fallback: false, port: false }),
  /** the check for real servers that name none */
  healthCheck: HealthCheck.optional(),
  /** served when no real server is up (keepalived sorry_server) */
  sorryServer: sorryServerAt(ipv4).optional(),
  /** minimum total weight of healthy real servers; below it the service counts as down (quorum) */
  quorum: z.number().int().min(1).optional(),
  /** real servers without a check result yet start down (keepalived alpha) */
  alpha: z.boolean().default(false),
  inhibitOnFailure: z.boolean().default(false),
  /** seconds a real server removed from the config is kept at weight 0 while its connections finish */
  drain: z.number().min(0).max(86_400).default(0),
  realServers: z.array(RealServer).default([]),
});

/**
 * The virtual servers of the agent's own config: the provider's (VirtualServer, RealServer) with the
 * health checks only the agent offers so far (agent-checks.ts) allowed too.
 */
export const AgentRealServer = RealServer.extend({
  address: ip,
  port: anyPort.optional(),
  healthCheck: z.union([AgentHealthCheck, z.literal("none")]).optional(),
  /**
   * checks run beside healthCheck, each on its own schedule (keepalived: several checkers in one
   * real_server); the server is in service only while every one passes
   */
  moreHealthChecks: z.array(AgentHealthCheck).optional(),
});

export const AgentVirtualServer = VirtualServer.extend({
  address: ip.optional(),
  port: anyPort.optional(),
  sorryServer: sorryServerAt(ip).optional(),
  persistence: z
    .object({
      timeout: persistenceTimeout,
      /** prefix length, up to 32 for IPv4 and 128 for IPv6 (validate-ipvs.ts); absent = per client address */
      netmask: z.number().int().min(0).max(128).optional(),
    })
    .optional(),
  /** quorum is gained at quorum + hysteresis and lost below quorum - hysteresis (keepalived hysteresis) */
  hysteresis: z.number().int().min(0).optional(),
  /**
   * run, as global.scriptUser, when the live weight reaches quorum (keepalived quorum_up); quorum
   * defaults to 1 then, as keepalived's does
   */
  quorumUp: z.string().min(1).optional(),
  /** run when the live weight falls below quorum (keepalived quorum_down) */
  quorumDown: z.string().min(1).optional(),
  /** run quorumDown at shutdown too, as the agent removes the service (keepalived omega) */
  omega: z.boolean().optional(),
  healthCheck: AgentHealthCheck.optional(),
  realServers: z.array(AgentRealServer).default([]),
});

/** Director sysctls, applied by the agent (see agent/src/net/sysctl.ts for the table of known keys). */
export const DirectorSysctls = z.record(
  z.string().regex(/^[a-z0-9_.\-/]+$/, "must be a sysctl name like net.ipv4.ip_forward"),
  z.union([z.number(), z.string()]),
);

export const SyncDaemon = z.object({
  /** interface the sync multicast goes out on */
  interface: ifname,
  syncId: z.number().int().min(0).max(255).default(0),
  /** run as master while this VRRP instance is MASTER and as backup otherwise (keepalived lvs_sync_daemon) */
  followInstance: z.string().min(1),
});

/** IPVS connection timeouts (ipvsadm --set tcp tcpfin udp), seconds; an absent one is left as it is. */
export const IpvsTimeouts = z.object({
  tcp: z.number().int().min(1).max(31_536_000).optional(),
  tcpFin: z.number().int().min(1).max(31_536_000).optional(),
  udp: z.number().int().min(1).max(31_536_000).optional(),
});

export type ForwardingT = z.infer<typeof Forwarding>;
export type RealServerConfig = z.infer<typeof AgentRealServer>;
export type VirtualServerConfig = z.infer<typeof AgentVirtualServer>;
export type SyncDaemonConfig = z.infer<typeof SyncDaemon>;
export type IpvsTimeoutsConfig = z.infer<typeof IpvsTimeouts>;
