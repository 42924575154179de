// A lab real server (thin I/O shell): a namespace with Debian's sshd and nginx answering with the
// host's name, as seed 001's pair does. sshd has tmpfs over every path the provider writes (ns-sshd.ts),
// so preparing the host for DR changes the namespace's kernel settings only, never this machine's
// files. nginx keeps its pid, logs and temporary files in the host's lab directory.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { HOST_PRIVATE_PATHS, startDetached, startNamespaceSshd } from "./ns-sshd.ts";
import type { LabProcess } from "./record.ts";
import type { LabHost } from "./topology.ts";

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

export function startRealServer(h: LabHost, dir: string, port: number): LabProcess[] {
  mkdirSync(join(dir, "nginx-tmp"), { recursive: true });
  writeFileSync(join(dir, "nginx.conf"), nginxConfig(dir, h.name, port));
  const sshd = startNamespaceSshd(h, dir, HOST_PRIVATE_PATHS);
  const nginx = startDetached(h.ns, ["nginx", "-c", join(dir, "nginx.conf")], join(dir, "nginx.out"));
  return [sshd, { what: `${h.name} nginx`, pid: nginx, cmdline: `${dir}/nginx.conf` }];
}
