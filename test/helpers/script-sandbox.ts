// A throwaway place for scripts that run as nobody: base/bin (0755, scripts only root may change, as
// the runners require) and base/out (0777, the one place a nobody script may write).
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";

export interface ScriptSandbox {
  base: string;
  bin: string;
  out: string;
  /** write bin/<name> as an sh script with `body` and return its path */
  script(name: string, body: string, mode?: number): Promise<string>;
  remove(): Promise<void>;
}

export async function scriptSandbox(prefix: string): Promise<ScriptSandbox> {
  const base = await mkdtemp(prefix);
  const bin = join(base, "bin");
  const out = join(base, "out");
  await mkdir(bin);
  await mkdir(out);
  await chmod(base, 0o755);
  await chmod(bin, 0o755);
  await chmod(out, 0o777);
  return {
    base,
    bin,
    out,
    async script(name, body, mode = 0o755) {
      const path = join(bin, name);
      await writeFile(path, `#!/bin/sh\n${body}\n`);
      await chmod(path, mode);
      return path;
    },
    remove: () => rm(base, { recursive: true, force: true }),
  };
}
