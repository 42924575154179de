// The agent's version (pure constant): what `lvs-agent status` reports, the bundle is named by, and a
// Director installs unless told otherwise. The bundle build reads it from this file's text.
export const AGENT_VERSION = "0.1.0";
