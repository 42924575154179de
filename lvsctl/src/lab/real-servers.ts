// A lab real server (thin I/O shell): a namespace with Debian's sshd and nginx answering with the
// host's name, as seed 001's pair does. sshd runs in a private mount namespace with tmpfs over every
// path the provider writes (sysctl.d, systemd units, its state), so preparing the host for DR changes
// the namespace's kernel settings only, never this machine's files. nginx keeps its pid, logs and
// temporary files in the host's lab directory.
import { spawn } from "node:child_process";
import { closeSync, mkdirSync, openSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { LabProcess } from "./record.ts";
import type { LabHost } from "./topology.ts";

const PRIVATE_PATHS = ["/etc/sysctl.d", "/etc/systemd/system", "/var/lib/lvs-provider", "/var/log"];

export function nginxConfig(dir: string, name: string, port: number): string {
  return `# lvs-lab real server ${name}
daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/nginx-error.log;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${dir}/nginx-tmp/body;
  proxy_temp_path ${dir}/nginx-tmp/proxy;
  fastcgi_temp_path ${dir}/nginx-tmp/fastcgi;
  uwsgi_temp_path ${dir}/nginx-tmp/uwsgi;
  scgi_temp_path ${dir}/nginx-tmp/scgi;
  server {
    listen ${port};
    location / { default_type text/plain; return 200 "${name}\\n"; }
  }
}
`;
}

/** The command sshd runs under: its private mounts, then sshd itself (unshare and sh exec: one PID). */
function sshdArgv(dir: string): string[] {
  const mounts = PRIVATE_PATHS.map((p) => `mkdir -p ${p} && mount -t tmpfs -o mode=0755 tmpfs ${p}`);
  const script = [...mounts, `mount --bind ${dir}/passwd /etc/passwd`, "mkdir -p /run/sshd", `exec /usr/sbin/sshd -D -f ${dir}/sshd_config -E ${dir}/sshd.log`].join(" && ");
  return ["unshare", "--mount", "--propagation", "private", "sh", "-c", script];
}

function startDetached(ns: string, argv: string[], logFile: string): number {
  const fd = openSync(logFile, "a");
  try {
    const child = spawn("ip", ["netns", "exec", ns, ...argv], { detached: true, stdio: ["ignore", fd, fd] });
    child.unref();
    if (!child.pid) throw new Error(`${argv[0]} did not start in ${ns}`);
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

export function startRealServer(h: LabHost, dir: string, port: number): LabProcess[] {
  mkdirSync(join(dir, "nginx-tmp"), { recursive: true });
  writeFileSync(join(dir, "nginx.conf"), nginxConfig(dir, h.name, port));
  const sshd = startDetached(h.ns, sshdArgv(dir), join(dir, "sshd.out"));
  const nginx = startDetached(h.ns, ["nginx", "-c", join(dir, "nginx.conf")], join(dir, "nginx.out"));
  return [
    { what: `${h.name} sshd`, pid: sshd, cmdline: `${dir}/sshd_config` },
    { what: `${h.name} nginx`, pid: nginx, cmdline: `${dir}/nginx.conf` },
  ];
}
