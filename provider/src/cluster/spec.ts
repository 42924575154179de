// ClusterSpec: a whole LVS cluster in one document, what `lvs.Cluster` (and a cluster.yaml) takes.
// Hosts are named once and referred to by name; each part reuses the resource inputs' field schemas,
// so a range or format is stated in one place. Cross references are checked by plan.ts.
import { z } from "zod";
import { VipInputs } from "../resources/vip/schema.ts";
import { VirtualServerInputs } from "../resources/virtual-server/schema.ts";
import { RealServerInputs } from "../resources/real-server/schema.ts";
import { DirectorInputs } from "../resources/director/schema.ts";
import { Connection, ipv4, resourceName } from "../inputs/common.ts";

export const ClusterDirector = z.strictObject({
  name: resourceName,
  connection: Connection,
  /** its own address on the VRRP interface: the adverts' source and its peers' unicast target */
  address: ipv4,
  global: DirectorInputs.shape.global,
  sysctls: DirectorInputs.shape.sysctls,
  installDir: DirectorInputs.shape.installDir,
  configDir: DirectorInputs.shape.configDir,
});

const V = VipInputs.shape;
export const ClusterVip = z.strictObject({
  name: resourceName,
  interface: V.interface,
  vrid: V.vrid,
  version: V.version,
  advertInterval: V.advertInterval,
  addresses: V.addresses,
  subnet: V.subnet,
  /** director name -> priority (keepalived: the same instance with a different priority per host) */
  priorities: z.record(resourceName, z.number().int().min(1).max(255)),
  unicast: V.unicast,
  auth: V.auth,
  preempt: V.preempt,
  preemptDelay: V.preemptDelay,
  garp: V.garp,
  trackInterfaces: V.trackInterfaces,
  trackScripts: V.trackScripts,
  syncDaemon: V.syncDaemon,
});

const R = RealServerInputs.shape;
export const ClusterRealServer = z.strictObject({
  name: resourceName,
  address: ipv4,
  /** with a connection the host is prepared for DR/TUN (ARP sysctls, VIPs on lo) */
  connection: R.connection,
  interface: R.interface,
});

export const ClusterBackend = z.strictObject({
  /** a realServers[].name */
  server: resourceName,
  port: R.port,
  weight: R.weight,
  upperThreshold: R.upperThreshold,
  lowerThreshold: R.lowerThreshold,
  forwarding: R.forwarding.unwrap().optional(),
  healthCheck: R.healthCheck,
  inhibitOnFailure: R.inhibitOnFailure,
});

const S = VirtualServerInputs.shape;
export const ClusterVirtualServer = z.strictObject({
  name: resourceName,
  /** the vips[].name whose directors run it; its first address is the service address unless given */
  vip: resourceName,
  address: S.address,
  port: S.port,
  protocol: S.protocol,
  fwmark: S.fwmark,
  scheduler: S.scheduler,
  forwarding: S.forwarding,
  persistence: S.persistence,
  flags: S.flags,
  healthCheck: S.healthCheck,
  sorryServer: S.sorryServer,
  quorum: S.quorum,
  alpha: S.alpha,
  inhibitOnFailure: S.inhibitOnFailure,
  drain: S.drain,
  backends: z.array(ClusterBackend).default([]),
});

export const ClusterSpec = z.strictObject({
  directors: z.array(ClusterDirector).min(1),
  vips: z.array(ClusterVip).default([]),
  realServers: z.array(ClusterRealServer).default([]),
  virtualServers: z.array(ClusterVirtualServer).default([]),
});

export type ClusterSpec = z.infer<typeof ClusterSpec>;
export type ClusterSpecInput = z.input<typeof ClusterSpec>;
