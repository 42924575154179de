// The I/O shell around the keepalived.conf converter: reads the file and its includes (regular files
// only, each within INCLUDE_LIMITS.fileBytes), resolves commands on PATH as keepalived does, logs the
// notes, and answers as the agent's own loaders do: a load never throws, whatever the file holds.
import { accessSync, constants, readdirSync, statSync } from "node:fs";
import { readRegularFile } from "../config/regular-file.ts";
import { hostname } from "node:os";
import { join } from "node:path";
import type { LoadResult } from "../config/load.ts";
import { log, type Logger } from "../log.ts";
import { INCLUDE_LIMITS, lexFile, type IncludeIo } from "./lexer.ts";
import { keepalivedToAgentConfig } from "./convert.ts";

/** The file system as the lexer reads it, with the limits; `lvsctl import` reads through it too. */
export const fsIo: IncludeIo = {
  read: (path) => readRegularFile(path, INCLUDE_LIMITS.fileBytes),
  list: (dir) => {
    try {
      return readdirSync(dir);
    } catch {
      return [];
    }
  },
};

const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** The first executable regular file named `name` on PATH. */
export function findOnPath(name: string, pathVar = process.env.PATH || DEFAULT_PATH): string | undefined {
  if (name.includes("/")) return undefined;
  for (const dir of pathVar.split(":").filter((d) => d.startsWith("/"))) {
    const p = join(dir, name);
    try {
      accessSync(p, constants.X_OK);
      if (statSync(p).isFile()) return p;
    } catch {
      /* not here */
    }
  }
  return undefined;
}

/** keepalived's -i: the config id that `@id` lines are matched against; keepalived defaults it to the node name. */
export function defaultConfigId(): string {
  return hostname();
}

/**
 * keepalived.conf (with its includes) as a validated AgentConfig; its notes (warnings with file:line) go
 * to the log as warnings and come back with the result, so `validate` prints them too.
 */
export async function loadKeepalivedConf(
  path: string,
  logger: Logger = log,
  options: { configId?: string } = {},
): Promise<LoadResult> {
  let source, r;
  try {
    source = lexFile(path, fsIo, { configId: options.configId ?? defaultConfigId() });
    r = keepalivedToAgentConfig(source, { resolveCommand: (name) => findOnPath(name) });
  } catch (err) {
    // A fault of ours, not of the file: the reload that asked is rejected, the agent runs on.
    return { ok: false, problems: [`${path}: cannot be loaded: ${(err as Error).message}`] };
  }
  for (const note of r.notes) logger.warn(note, { event: "config.keepalived.note" });
  return r.ok
    ? { ok: true, config: r.config, sources: source.files, notes: r.notes }
    : { ok: false, problems: r.problems, notes: r.notes };
}
