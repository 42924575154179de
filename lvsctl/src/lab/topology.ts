// The lab's shape (pure): from `lvsctl lab up` options to every host's name, namespace, address and
// role, and the ClusterSpec the lab deploys. One lab is one /24 on a bridge of its own; a second lab
// (--name) takes the next free /24, so two labs never share an address.
import { z } from "zod";
import type { ClusterSpecInput } from "../../../provider/src/cluster/spec.ts";

export const LabOptions = z
  .strictObject({
    /** names the lab's namespaces and state directory: lvsctl lab <cmd> --name <name> */
    name: z
      .string()
      .regex(
        /^[a-z][a-z0-9]{0,9}$/,
        "must be 1-10 lower-case letters and digits, starting with a letter (it names namespaces)",
      )
      .default("lab"),
    directors: z.number().int().min(1, "a lab needs at least 1 director").max(4, "at most 4 directors").default(2),
    /**
     * What a director is: a network namespace where this kernel has IPVS (ordinary Debian or Ubuntu), a
     * user-mode Linux guest (its own kernel, with IPVS) where it has not; auto picks (resolveDirectorKind).
     */
    directorKind: z.enum(["auto", "netns", "uml"]).default("auto"),
    realServers: z
      .number()
      .int()
      .min(1, "a lab needs at least 1 real server")
      .max(8, "at most 8 real servers")
      .default(2),
    /** real servers whose sshd is stopped before `pulumi up`: to see how a deployment fails and what it leaves */
    unreachable: z.array(z.string().regex(/^rs[1-8]$/, "names a real server: rs1, rs2, ...")).default([]),
    /** make the hosts only, deploy nothing: for `lvsctl up -f` (lab cluster-file) or a program of your own */
    hostsOnly: z.boolean().default(false),
    /** another lab whose control namespace also reaches this lab's hosts (one place to deploy several labs from) */
    reachFrom: z
      .string()
      .regex(/^[a-z][a-z0-9]{0,9}$/, "names another lab")
      .optional(),
  })
  .superRefine((o, ctx) => {
    const beyond = o.unreachable.filter((n) => Number(n.slice(2)) > o.realServers);
    if (beyond.length)
      ctx.addIssue({
        code: "custom",
        path: ["unreachable"],
        message: `${beyond.join(", ")} not in this lab (it has rs1-rs${o.realServers})`,
      });
    if (o.reachFrom === o.name) ctx.addIssue({ code: "custom", path: ["reachFrom"], message: "names another lab" });
  });
export type LabOptions = z.infer<typeof LabOptions>;

/** Labs at once on one machine: each has its own /24, 10.(200+slot).0.0/24. */
export const MAX_LABS = 40;
export const VRID = 51;
export const VIP_OCTET = 100;
export const HTTP_PORT = 80;

export type Role = "director" | "realServer" | "client" | "control";

export interface LabHost {
  /** d1, rs1, client, control */
  name: string;
  role: Role;
  /** the network namespace (a guest's tap lives in the switch namespace instead; see guest.ts) */
  ns: string;
  address: string;
  /** the device on the lab bridge: a veth end for namespaces, a tap for guests */
  link: string;
}

export interface Topology {
  options: LabOptions;
  slot: number;
  /** "10.200.0" */
  net: string;
  prefix: 24;
  /** the namespace holding the bridge br0 and the guests' UML processes */
  switchNs: string;
  vip: string;
  hosts: LabHost[];
}

export function topology(options: LabOptions, slot: number): Topology {
  if (!Number.isInteger(slot) || slot < 0 || slot >= MAX_LABS)
    throw new Error(`lab slot ${slot} out of range 0-${MAX_LABS - 1}`);
  const net = `10.${200 + slot}.0`;
  const ns = (host: string) => `lvslab-${options.name}-${host}`;
  // A guest's tap lives in the switch namespace; every other host has a namespace and a veth of its own.
  const guest = (role: Role) => role === "director" && options.directorKind !== "netns";
  const host = (name: string, role: Role, octet: number): LabHost => ({
    name,
    role,
    ns: guest(role) ? ns("sw") : ns(name),
    address: `${net}.${octet}`,
    link: guest(role) ? `tap-${name}` : `v-${name}`,
  });
  const hosts = [
    host("control", "control", 2),
    host("client", "client", 3),
    ...Array.from({ length: options.directors }, (_, i) => host(`d${i + 1}`, "director", 11 + i)),
    ...Array.from({ length: options.realServers }, (_, i) => host(`rs${i + 1}`, "realServer", 21 + i)),
  ];
  return { options, slot, net, prefix: 24, switchNs: ns("sw"), vip: `${net}.${VIP_OCTET}`, hosts };
}

export const byRole = (t: Topology, role: Role): LabHost[] => t.hosts.filter((h) => h.role === role);

/** The address another lab's control namespace takes on this lab's bridge (--reach-from). */
export const reachAddress = (t: Topology): string => `${t.net}.4`;

export function hostNamed(t: Topology, name: string): LabHost {
  const h = t.hosts.find((x) => x.name === name);
  if (!h)
    throw new Error(`lab ${t.options.name} has no host ${name} (hosts: ${t.hosts.map((x) => x.name).join(", ")})`);
  return h;
}

/** How the deployment reaches a host: root over SSH with the lab's key, its host key pinned. */
export interface HostAccess {
  privateKey: string;
  /** address -> "SHA256:..." */
  hostKeys: Record<string, string>;
}

/**
 * The cluster the lab deploys, as the seeds build theirs: one VIP held by VRRP (the first director at
 * priority 150, the others 100 and below), rr over every real server by direct routing, each checked
 * by a TCP connect. Advert 0.2 s keeps failover under a second, so the lab shows it without waiting.
 * The agents repair IPVS on reload and health changes only (ipvsReconcileInterval 0, as keepalived
 * does), so a hand `ipvsadm -e` stays until `pulumi up`, and `lvsctl lab drift` can show the refresh
 * reporting it; the default periodic repair is tested on its own (test/ipvs/agent-drift.uml.ts).
 */
export function labClusterSpec(t: Topology, access: HostAccess): ClusterSpecInput {
  const connection = (h: LabHost) => {
    const hostKey = access.hostKeys[h.address];
    if (!hostKey) throw new Error(`no host key for ${h.name} (${h.address})`);
    return { host: h.address, user: "root", privateKey: access.privateKey, hostKey };
  };
  const directors = byRole(t, "director");
  return {
    directors: directors.map((d) => ({
      name: d.name,
      address: d.address,
      connection: connection(d),
      global: { ipvsReconcileInterval: 0 },
    })),
    vips: [
      {
        name: "web",
        interface: "eth0",
        vrid: VRID,
        advertInterval: 0.2,
        addresses: [`${t.vip}/${t.prefix}`],
        priorities: Object.fromEntries(directors.map((d, i) => [d.name, i === 0 ? 150 : 100 - i])),
      },
    ],
    realServers: byRole(t, "realServer").map((r) => ({
      name: r.name,
      address: r.address,
      connection: connection(r),
      interface: "eth0",
    })),
    virtualServers: [
      {
        name: "http",
        vip: "web",
        port: HTTP_PORT,
        scheduler: "rr",
        forwarding: "DR",
        healthCheck: { type: "tcp", interval: 1, connectTimeout: 1, retries: 1 },
        backends: byRole(t, "realServer").map((r) => ({ server: r.name, weight: 1 })),
      },
    ],
  };
}

/** Every problem of the options at once, each naming its option, before anything is made. */
export function parseLabOptions(raw: unknown): { ok: true; options: LabOptions } | { ok: false; problems: string[] } {
  const r = LabOptions.safeParse(raw);
  if (r.success) return { ok: true, options: r.data };
  return {
    ok: false,
    problems: r.error.issues.map(
      (i) => `--${String(i.path[0] ?? "options").replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}: ${i.message}`,
    ),
  };
}
