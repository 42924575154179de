// Where a cluster file's deployment lives (thin I/O shell): a workspace `.lvsctl/` beside the file
// (Pulumi.yaml and the stack's settings), the state in `.lvsctl/state` (a local file backend) unless
// --backend names another (s3://..., https://api.pulumi.com), and the passphrase that encrypts the
// state's secrets: PULUMI_CONFIG_PASSPHRASE(_FILE) when set, else `.lvsctl/passphrase`, made once.
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { basename, dirname, extname, join, resolve } from "node:path";

export interface Workspace {
  stack: string;
  workDir: string;
  backendUrl: string;
  envVars: Record<string, string>;
  /** what people should know, once (a passphrase made) */
  notes: string[];
}

/** Pulumi's rule for stack names. */
const STACK_NAME = /^[A-Za-z0-9_.-]{1,100}$/;

export function stackNameProblem(name: string): string | undefined {
  return STACK_NAME.test(name) ? undefined : `--stack ${JSON.stringify(name)}: use letters, digits, '-', '_' or '.'`;
}

/** The stack a cluster file deploys to by default: its name without the extension ("prod.yaml" -> "prod"). */
export function defaultStack(file: string): string {
  const stem = basename(file, extname(file)).replace(/[^A-Za-z0-9_.-]/g, "-");
  return stem || "cluster";
}

export function workspaceFor(file: string, o: { stack?: string; backend?: string }): Workspace {
  const workDir = join(dirname(resolve(file)), ".lvsctl");
  mkdirSync(workDir, { recursive: true, mode: 0o700 });
  const notes: string[] = [];
  let backendUrl = o.backend;
  if (!backendUrl) {
    mkdirSync(join(workDir, "state"), { recursive: true, mode: 0o700 });
    backendUrl = `file://${join(workDir, "state")}`;
  }
  const envVars: Record<string, string> = {};
  if (!process.env.PULUMI_CONFIG_PASSPHRASE && !process.env.PULUMI_CONFIG_PASSPHRASE_FILE) {
    const file = join(workDir, "passphrase");
    if (!existsSync(file)) {
      writeFileSync(file, randomBytes(24).toString("base64"), { mode: 0o600 });
      notes.push(
        `made ${file}: it encrypts the secrets in this cluster's state; keep it with the state (or set PULUMI_CONFIG_PASSPHRASE)`,
      );
    }
    envVars.PULUMI_CONFIG_PASSPHRASE_FILE = file;
  }
  return { stack: o.stack ?? defaultStack(file), workDir, backendUrl, envVars, notes };
}
