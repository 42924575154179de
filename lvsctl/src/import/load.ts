// `lvsctl import`'s I/O shell: each keepalived.conf read as `lvs-agent --keepalived-conf` reads it
// (the agent's own lexer, converter and validation), with the converter's record of where each value
// came from, so a merge problem names its file:line.
import { basename } from "node:path";
import { lexFile } from "../../../agent/src/keepalived/lexer.ts";
import { convert, keepalivedToAgentConfig } from "../../../agent/src/keepalived/convert.ts";
import { parse } from "../../../agent/src/keepalived/parser.ts";
import { findOnPath, fsIo } from "../../../agent/src/keepalived/load.ts";
import type { DirectorImport } from "./merge.ts";

export type LoadedDirector =
  { ok: true; director: DirectorImport; notes: string[] } | { ok: false; problems: string[] };

/** The director name a file gives when --director does not: its name without directory and extension. */
export function stemOf(file: string): string {
  return basename(file).replace(/\.[^.]*$/, "");
}

/** One director's file: its AgentConfig and where each value came from, or every problem by file:line. */
export function loadDirector(
  file: string,
  name: string,
  address: string | undefined,
  configId: string,
): LoadedDirector {
  const source = lexFile(file, fsIo, { configId });
  const options = { resolveCommand: (n: string) => findOnPath(n) };
  const r = keepalivedToAgentConfig(source, options);
  if (!r.ok) return { ok: false, problems: r.problems };
  const { cx } = convert(parse(source.tokens).statements, options);
  const where = (path: (string | number)[]) => {
    const o = cx.origin(path)?.origin;
    return o ? `${o.file}:${o.line}` : file;
  };
  return {
    ok: true,
    director: { name, file, ...(address ? { address } : {}), config: r.config, where },
    notes: r.notes,
  };
}
