// Shared by the keepalived converter's unit tests: an in-memory file system and the pipeline on text.
import assert from "node:assert/strict";
import { lexFile, type IncludeIo } from "./lexer.ts";
import { keepalivedToAgentConfig, type KeepalivedResult } from "./convert.ts";
import type { AgentConfig } from "../config/schema.ts";

/** Files by path; list() gives the names directly inside a directory. */
export function memIo(files: Record<string, string>): IncludeIo {
  return {
    read(path) {
      if (!(path in files)) throw Object.assign(new Error("no such file"), { code: "ENOENT" });
      return files[path]!;
    },
    list(dir) {
      const prefix = dir === "/" ? "/" : `${dir}/`;
      return Object.keys(files)
        .filter((p) => p.startsWith(prefix) && !p.slice(prefix.length).includes("/"))
        .map((p) => p.slice(prefix.length));
    },
  };
}

/** What the tests' PATH holds. */
const PATH: Record<string, string> = {
  pidof: "/usr/bin/pidof",
  true: "/usr/bin/true",
  "check_web.sh": "/usr/local/bin/check_web.sh",
  notify_it: "/usr/bin/notify_it",
};

/** The first file is the entry. */
export function convertFiles(files: Record<string, string>): KeepalivedResult {
  return keepalivedToAgentConfig(lexFile(Object.keys(files)[0]!, memIo(files)), { resolveCommand: (n) => PATH[n] });
}

export const convertText = (text: string, file = "k.conf") => convertFiles({ [file]: text });

export function okConfig(text: string | KeepalivedResult): { config: AgentConfig; notes: string[] } {
  const r = typeof text === "string" ? convertText(text) : text;
  if (!r.ok) assert.fail(`expected a valid config:\n${r.problems.join("\n")}`);
  return r;
}

export function problemsOf(text: string | KeepalivedResult): string[] {
  const r = typeof text === "string" ? convertText(text) : text;
  if (r.ok) assert.fail("expected problems");
  return r.problems;
}

/** An instance with what lvs-agent needs (interface, VRID, one VIP) and `body`. */
export const instance = (body: string, name = "VI_1", vrid = 1) =>
  `vrrp_instance ${name} {\n interface eth0\n virtual_router_id ${vrid}\n virtual_ipaddress {\n  10.0.0.${100 + vrid}/24\n }\n${body}\n}\n`;
