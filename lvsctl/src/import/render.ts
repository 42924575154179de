// `lvsctl import`'s outputs (pure): the merged ClusterSpec as a cluster file (YAML, what `lvsctl up -f`
// takes: file-render.ts's form, credentials in the `ssh` section) or as a Pulumi TypeScript program
// with one `lvs.Cluster`. Without --ssh-key the SSH key is a marked placeholder the user must fill in.
import type { ClusterSpecInput } from "../../../provider/src/cluster/spec.ts";
import { renderClusterFile } from "../cluster/file-render.ts";

export const KEY_PLACEHOLDER = "FILL-IN-the-ssh-private-key-file";

export interface Access {
  /** --ssh-key: the key file for every connection */
  sshKey?: string;
  user: string;
  /** --host-key NAME=SHA256:...: each director's pin */
  hostKeys: Record<string, string>;
}

function headerLines(files: readonly string[], access: Access): string[] {
  const lines = [`Made by lvsctl import from ${files.join(", ")} (each director's keepalived.conf).`];
  if (!access.sshKey)
    lines.push(
      `FILL IN before deploying: the SSH private key (${KEY_PLACEHOLDER} below; lvsctl import --ssh-key FILE sets it)`,
    );
  const pinned = Object.keys(access.hostKeys);
  lines.push(
    pinned.length
      ? `Host keys pinned for: ${pinned.join(", ")}.`
      : "FILL IN: each host's key pin (ssh-keyscan HOST | ssh-keygen -lf -; lvsctl import --host-key NAME=SHA256:...)",
  );
  return lines;
}

/** Each director's connection with its pin, when one was given. */
function withPins(spec: ClusterSpecInput, access: Access): ClusterSpecInput {
  return {
    ...spec,
    directors: spec.directors.map((d) => ({
      ...d,
      connection: { ...d.connection, ...(access.hostKeys[d.name] ? { hostKey: access.hostKeys[d.name] } : {}) },
    })),
  };
}

export function renderYaml(spec: ClusterSpecInput, files: readonly string[], access: Access): string {
  const body = renderClusterFile(withPins(spec, access), {
    privateKeyFile: access.sshKey ?? KEY_PLACEHOLDER,
    user: access.user,
  });
  return `${headerLines(files, access)
    .map((l) => `# ${l}`)
    .join("\n")}\n${body}`;
}

export function renderTypeScript(
  spec: ClusterSpecInput,
  files: readonly string[],
  access: Access,
  sdk: string,
): string {
  const pinned = withPins(spec, access);
  const key = JSON.stringify(access.sshKey ?? KEY_PLACEHOLDER);
  const directors = pinned.directors.map((d) => ({
    ...d,
    connection: { ...d.connection, user: access.user, privateKey: "__KEY__" },
  }));
  const args = { ...pinned, directors };
  const body = JSON.stringify(args, null, 2).replaceAll('"__KEY__"', "privateKey");
  return `${headerLines(files, access)
    .map((l) => `// ${l}`)
    .join("\n")}
import { readFileSync } from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import * as lvs from ${JSON.stringify(sdk)};

const privateKey = pulumi.secret(readFileSync(${key}, "utf8"));

export const cluster = new lvs.Cluster("cluster", ${body});
`;
}
