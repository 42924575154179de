// `lvsctl import keepalived.conf... [--to yaml|ts] [-o FILE]`: one keepalived.conf per director, read
// as lvs-agent --keepalived-conf reads it, merged (merge.ts) into one cluster file or Pulumi program
// (render.ts). Every problem is printed with its file:line before anything is written; exit 1 then.
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { loadDirector, stemOf } from "./load.ts";
import { mergeDirectors, type DirectorImport } from "./merge.ts";
import { renderTypeScript, renderYaml, type Access } from "./render.ts";

export const IMPORT_USAGE = `usage: lvsctl import keepalived.conf... [--to yaml|ts] [-o FILE]
  one keepalived.conf per director, merged into one cluster file (yaml, for lvsctl up -f) or a Pulumi
  TypeScript program with one lvs.Cluster (ts); same vrrp_instance interface and VRID = one VIP with a
  priority per director, same virtual_server = one, real servers by address
  --director NAME=ADDRESS   per file, in order: the director's name (default: the file name stem) and
                            address (default: its unicast_src_ip)
  --ssh-key FILE            the SSH private key for every host (else a placeholder to fill in)
  --host-key NAME=SHA256:…  a director's host key pin (else a note to fill them in)
  --user USER               the SSH user (default root)
  --config-id ID            keepalived -i for @ID lines (default: each director's name)
  --sdk MODULE              the TypeScript program's SDK import (default @pulumi/lvs)`;

function pairs(list: string[] | undefined, what: string): [string, string][] {
  return (list ?? []).map((p) => {
    const i = p.indexOf("=");
    if (i <= 0) throw new ImportError(`--${what} takes NAME=VALUE, got '${p}'`);
    return [p.slice(0, i), p.slice(i + 1)];
  });
}

export class ImportError extends Error {}

/** The command: output on stdout or -o; problems and warnings on stderr. Returns the exit code. */
export function importCli(argv: string[]): number {
  const { values: v, positionals: files } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      to: { type: "string", default: "yaml" },
      output: { type: "string", short: "o" },
      director: { type: "string", multiple: true },
      "ssh-key": { type: "string" },
      "host-key": { type: "string", multiple: true },
      user: { type: "string", default: "root" },
      "config-id": { type: "string" },
      sdk: { type: "string", default: "@pulumi/lvs" },
    },
  });
  if (files.length === 0 || (v.to !== "yaml" && v.to !== "ts")) {
    console.error(IMPORT_USAGE);
    return 2;
  }
  const named = pairs(v.director, "director");
  const directors: DirectorImport[] = [];
  const problems: string[] = [];
  files.forEach((file, i) => {
    const [name, address] = named[i] ?? [stemOf(file), undefined];
    const r = loadDirector(file, name, address, v["config-id"] ?? name);
    if (r.ok) directors.push(r.director);
    else problems.push(...r.problems);
  });
  if (problems.length === 0) {
    const m = mergeDirectors(directors);
    for (const w of m.warnings) console.error(`warning: ${w}`);
    problems.push(...m.problems);
    if (problems.length === 0) {
      const access: Access = { user: v.user!, hostKeys: Object.fromEntries(pairs(v["host-key"], "host-key")) };
      if (v["ssh-key"]) access.sshKey = v["ssh-key"];
      const text = v.to === "ts" ? renderTypeScript(m.spec, files, access, v.sdk!) : renderYaml(m.spec, files, access);
      if (v.output) writeFileSync(v.output, text);
      else process.stdout.write(text);
      return 0;
    }
  }
  console.error(`lvsctl import: nothing written:\n  ${problems.join("\n  ")}`);
  return 1;
}
