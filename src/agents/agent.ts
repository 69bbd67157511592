import type { NewEvent } from '../sessions/events.js';
import type { AgentPackage, InstalledAgent } from './install.js';

/**
 * A coding agent Hangar runs in sessions. Everything the server knows of one agent
 * lives behind this interface, in `src/agents/<name>/`; the runner, the gateway and
 * teleport ask it rather than naming the agent. Every member is pure or does only
 * what its doc says (only `install` touches the host), so a session's steps stay in
 * `src/sessions/`.
 */
export interface Agent extends AgentInfo {
  /** The pinned npm release it runs: version and integrity of every package installed. */
  readonly package: AgentPackage;
  /**
   * Installs the pinned release under `agentsDir` if it is not there yet (no package
   * scripts, integrity checked) and answers where it is. Its directory is bound
   * read-only into every sandbox at the mount the runner names in `TurnSpec.mount`.
   */
  install(agentsDir: string): Promise<InstalledAgent>;
  /**
   * The model providers it calls, each served by the gateway at `/model/<provider>/`
   * with a key that stays on the host.
   */
  readonly models: readonly ModelNeed[];
  /**
   * Whether this server can run it, from the host's environment (where the model
   * keys are): with a reason a person can act on when it cannot.
   */
  availability(env: Readonly<Record<string, string | undefined>>): AgentAvailability;
  /** The command, environment and stdin of one turn; a resumed turn has `resumeId`. */
  turn(spec: TurnSpec): AgentTurn;
  /** Maps one line of the agent's output to canonical session events. */
  parseLine(line: string): ParsedLine;
  /**
   * Why `text` cannot be a message of a session (a command that would leave the
   * session's conversation, say), in words a person can act on; undefined when it can.
   */
  refuseMessage(text: string): string | undefined;
  /**
   * A reader of one turn's lines, for an agent whose turn result adds up what earlier
   * lines reported (opencode's usage per model call); absent: `parseLine` each line.
   */
  turnReader?(): (line: string) => ParsedLine;
  /** Where its conversation lives in the sandbox, so it can be saved and restored. */
  readonly conversation: ConversationStore;
  /** How a person continues the conversation on their own machine (teleport). */
  readonly local: LocalAgent;
}

/**
 * What anyone may know of an agent without loading it: plain data, safe to import
 * from the CLI and the web app.
 */
export interface AgentInfo {
  /** The name sessions store and the API takes (`agent`), in kebab-case. */
  readonly name: string;
  /** Its product name, shown to people. */
  readonly label: string;
}

/** A model provider an agent calls through the gateway, and the host key it needs. */
export interface ModelNeed {
  /** The gateway route `/model/<provider>/…`. */
  readonly provider: string;
  /** The server's environment variable that holds the provider's key. */
  readonly keyVar: string;
}

/** Whether an agent can run on this server; `reason` says what to set when it cannot. */
export type AgentAvailability = { usable: true } | { usable: false; reason: string };

/** What a turn is run with. */
export interface TurnSpec {
  /** Where the agent's install directory is mounted in the sandbox. */
  mount: string;
  /** The user's message. */
  input: string;
  /** Hangar's instructions for the session, added to the agent's own system prompt. */
  systemPrompt: string;
  /** The conversation to continue (already checked to be the agent's id shape); null: a new one. */
  resumeId: string | null;
  /** The model the user chose; null: the agent's default. */
  model: string | null;
  /** A file in the sandbox that the agent's hooks may write variables to, for later commands. */
  envFile: string;
  /** MCP servers Hangar gives the agent (beside the repo's own `.mcp.json`). */
  mcpServers?: readonly McpServerSpec[];
}

/** A stdio MCP server the agent starts inside the sandbox. */
export interface McpServerSpec {
  name: string;
  command: string;
  args: readonly string[];
  env: Readonly<Record<string, string>>;
}

/** One turn's process: argv, the variables it adds, and what it is given on stdin. */
export interface AgentTurn {
  argv: string[];
  env: Record<string, string>;
  stdin: string;
}

/** One line of an agent's output, mapped. */
export interface ParsedLine {
  /** The line as JSON (or its text, when it was not JSON), kept beside the events. */
  raw: unknown;
  events: NewEvent[];
  /** The agent's conversation id, for resuming, when the line names it (see `isAgentSessionId`). */
  agentSessionId?: string;
  /** True for the line that ends a turn. */
  endsTurn: boolean;
}

/**
 * An agent's conversation in the sandbox. The argv are run with `HOME` set to the
 * sandbox user's home; `id` has been checked to be an agent session id; `mount` is
 * where the agent's install directory is.
 */
export interface ConversationStore {
  /** Exits 0 when conversation `id` is on the sandbox's disk. */
  existsCommand(id: string, mount: string): string[];
  /** Prints conversation `id` to stdout. */
  readCommand(id: string, mount: string): string[];
  /** Where conversation `id` of a repo checked out at `repoDir` is written back to (absolute). */
  path(home: string, repoDir: string, id: string): string;
  /**
   * For an agent that keeps conversations in a database: the command that loads the
   * copy written back to `file` into it. Absent: the file is where the agent reads it.
   */
  importCommand?(file: string, mount: string): string[];
}

/** Continuing a teleported conversation locally: pure, importable by the CLI. */
export interface LocalAgent extends AgentInfo {
  /** Where the agent on a person's machine looks for conversation `id` of the repo at `repoRoot`. */
  conversationPath(home: string, repoRoot: string, id: string): string;
  /** For an agent that keeps conversations in a database: the command that loads `file` into it. */
  importCommand?(file: string): string[];
  /** The command that continues conversation `id`, run in the repo. */
  continueCommand(id: string): string[];
}
