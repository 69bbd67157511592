/**
 * Hangar's GitHub tools for the agent: an MCP server run inside the sandbox over
 * stdio, bundled into one file (dist/mcp/hangar-github.cjs) that the sandbox's own
 * `node` runs. It holds no credential: every call goes to the gateway's `/github/`
 * route (HANGAR_GATEWAY_URL), which adds the token on the host and allows only the
 * session's repo (HANGAR_GITHUB_REPO, `owner/repo`) and a listed set of calls.
 */
import { request } from 'node:http';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { z } from 'zod';

/** The most of an answer a tool hands the model (a job log's tail, a long thread). */
const MAX_TEXT = 60_000;

interface Answer {
  status: number;
  text: string;
}

/** One call on the gateway's GitHub route; the gateway's refusals come back as text. */
function gateway(base: URL, method: string, path: string, body?: unknown): Promise<Answer> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: base.hostname,
        port: base.port,
        method,
        path: `/github${path}`,
        headers: {
          accept: 'application/vnd.github+json',
          ...(payload === undefined
            ? {}
            : {
                'content-type': 'application/json',
                'content-length': Buffer.byteLength(payload),
              }),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

type ToolResult = { content: { type: 'text'; text: string }[]; isError?: boolean };

const text = (value: string, isError = false): ToolResult => ({
  content: [{ type: 'text', text: value.length > MAX_TEXT ? `…${value.slice(-MAX_TEXT)}` : value }],
  ...(isError ? { isError: true } : {}),
});

/** GitHub's JSON, kept to the fields an agent reads. */
function pick(value: unknown, keys: readonly string[]): Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return {};
  const record = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    const v = record[key];
    if (v === undefined) continue;
    out[key] =
      key === 'user' && typeof v === 'object' && v !== null ? (v as { login?: unknown }).login : v;
  }
  return out;
}

const ISSUE = ['number', 'title', 'state', 'user', 'body', 'comments', 'html_url', 'pull_request'];
const PULL = ['number', 'title', 'state', 'draft', 'user', 'body', 'html_url', 'mergeable'];
const COMMENT = ['id', 'user', 'body', 'created_at', 'html_url'];
const REVIEW_COMMENT = ['id', 'in_reply_to_id', 'user', 'path', 'line', 'diff_hunk', 'body'];
const REVIEW = ['id', 'user', 'state', 'body', 'submitted_at'];
const CHECK = ['id', 'name', 'status', 'conclusion', 'html_url'];

/** Builds the server for `owner/repo` behind the gateway at `base`. */
export function githubToolsServer(base: URL, fullName: string): McpServer {
  const repo = `/repos/${fullName}`;
  const server = new McpServer({ name: 'hangar-github', version: '1.0.0' });

  /** Calls the gateway and shapes the answer; a refusal or GitHub error is the tool's error. */
  const run = async (
    method: string,
    path: string,
    shape: (data: unknown) => unknown,
    body?: unknown,
  ): Promise<ToolResult> => {
    let answer: Answer;
    try {
      answer = await gateway(base, method, `${repo}${path}`, body);
    } catch (error) {
      return text(`Could not reach Hangar's gateway: ${String(error)}`, true);
    }
    if (answer.status >= 400) return text(`HTTP ${answer.status}: ${answer.text.trim()}`, true);
    let data: unknown = answer.text;
    try {
      data = JSON.parse(answer.text) as unknown;
    } catch {
      // A job log is plain text.
    }
    const shaped = shape(data);
    return text(typeof shaped === 'string' ? shaped : JSON.stringify(shaped, null, 1));
  };
  const list = (keys: readonly string[]) => (data: unknown) =>
    Array.isArray(data) ? data.map((d) => pick(d, keys)) : data;
  const number = z.number().int().positive();

  server.registerTool(
    'list_issues',
    {
      description: `List issues (and pull requests) of ${fullName}, newest first.`,
      inputSchema: {
        state: z.enum(['open', 'closed', 'all']).optional().describe('default open'),
        page: z.number().int().positive().optional(),
      },
    },
    ({ state, page }) =>
      run(
        'GET',
        `/issues?state=${state ?? 'open'}&per_page=30&page=${page ?? 1}`,
        list(['number', 'title', 'state', 'user', 'comments', 'pull_request']),
      ),
  );

  server.registerTool(
    'read_issue',
    {
      description: `Read an issue of ${fullName} and its comments.`,
      inputSchema: { number },
    },
    async ({ number: n }) => {
      const issue = await run('GET', `/issues/${n}`, (d) => pick(d, ISSUE));
      if (issue.isError) return issue;
      const comments = await run('GET', `/issues/${n}/comments?per_page=100`, list(COMMENT));
      return text(`${issue.content[0]?.text}\n\nComments:\n${comments.content[0]?.text}`);
    },
  );

  server.registerTool(
    'read_pull_request',
    {
      description: `Read a pull request of ${fullName}: its description, conversation comments, reviews and review comments (with file, line and diff hunk).`,
      inputSchema: { number },
    },
    async ({ number: n }) => {
      const parts = await Promise.all([
        run('GET', `/pulls/${n}`, (d) => ({
          ...pick(d, PULL),
          head: (d as { head?: { ref?: string; sha?: string } }).head,
          base: (d as { base?: { ref?: string } }).base?.ref,
        })),
        run('GET', `/issues/${n}/comments?per_page=100`, list(COMMENT)),
        run('GET', `/pulls/${n}/reviews?per_page=100`, list(REVIEW)),
        run('GET', `/pulls/${n}/comments?per_page=100`, list(REVIEW_COMMENT)),
      ]);
      const failed = parts.find((p) => p.isError);
      if (failed) return failed;
      const [pull, comments, reviews, review] = parts.map((p) => p.content[0]?.text ?? '');
      return text(
        `${pull}\n\nConversation comments:\n${comments}\n\nReviews:\n${reviews}\n\nReview comments:\n${review}`,
      );
    },
  );

  server.registerTool(
    'comment',
    {
      description: `Comment on an issue or pull request of ${fullName} (its conversation). The comment is marked as written by the agent via Hangar.`,
      inputSchema: { number, body: z.string().min(1).max(60_000) },
    },
    ({ number: n, body }) =>
      run('POST', `/issues/${n}/comments`, (d) => pick(d, ['id', 'html_url']), { body }),
  );

  server.registerTool(
    'reply_to_review_comment',
    {
      description: `Reply in the thread of a review comment on a pull request of ${fullName}. The reply is marked as written by the agent via Hangar.`,
      inputSchema: {
        pull_number: number,
        comment_id: number.describe('the id of a review comment in the thread'),
        body: z.string().min(1).max(60_000),
      },
    },
    ({ pull_number, comment_id, body }) =>
      run(
        'POST',
        `/pulls/${pull_number}/comments/${comment_id}/replies`,
        (d) => pick(d, ['id', 'html_url']),
        { body },
      ),
  );

  server.registerTool(
    'read_checks',
    {
      description: `Read the CI results (check runs and commit statuses) of a pull request's head commit in ${fullName}.`,
      inputSchema: { pull_number: number },
    },
    async ({ pull_number }) => {
      const pull = await gateway(base, 'GET', `${repo}/pulls/${pull_number}`);
      if (pull.status >= 400) return text(`HTTP ${pull.status}: ${pull.text.trim()}`, true);
      const sha = (JSON.parse(pull.text) as { head?: { sha?: string } }).head?.sha ?? '';
      const [runs, statuses] = await Promise.all([
        run('GET', `/commits/${sha}/check-runs?per_page=100`, (d) => ({
          check_runs: ((d as { check_runs?: unknown[] }).check_runs ?? []).map((c) => ({
            ...pick(c, CHECK),
            output: pick((c as { output?: unknown }).output, ['title', 'summary']),
          })),
        })),
        run('GET', `/commits/${sha}/status`, (d) => ({
          state: (d as { state?: string }).state,
          statuses: ((d as { statuses?: unknown[] }).statuses ?? []).map((s) =>
            pick(s, ['context', 'state', 'description', 'target_url']),
          ),
        })),
      ]);
      return text(
        `Head ${sha}\n\nCheck runs (a GitHub Actions check run's id is its job id):\n${runs.content[0]?.text}\n\nStatuses:\n${statuses.content[0]?.text}`,
        runs.isError === true,
      );
    },
  );

  server.registerTool(
    'read_job_log',
    {
      description: `Read the log of a GitHub Actions job in ${fullName} (its end, where failures are).`,
      inputSchema: { job_id: number },
    },
    ({ job_id }) => run('GET', `/actions/jobs/${job_id}/logs`, (d) => String(d)),
  );

  return server;
}

/** Started as a program: serves on stdin/stdout until the agent closes them. */
async function main(): Promise<void> {
  const base = process.env.HANGAR_GATEWAY_URL;
  const fullName = process.env.HANGAR_GITHUB_REPO ?? process.argv[2];
  if (!base || !URL.canParse(base) || !fullName || !/^[\w.-]+\/[\w.-]+$/.test(fullName)) {
    process.stderr.write(
      'hangar-github: needs HANGAR_GATEWAY_URL and the repository (owner/repo) as its argument\n',
    );
    process.exit(2);
  }
  await githubToolsServer(new URL(base), fullName).connect(new StdioServerTransport());
}

if (process.env.HANGAR_MCP_MAIN === '1' || process.argv[1]?.endsWith('hangar-github.cjs')) {
  main().catch((error: unknown) => {
    process.stderr.write(`hangar-github: ${String(error)}\n`);
    process.exit(1);
  });
}
