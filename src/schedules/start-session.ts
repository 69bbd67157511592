import { requireUsableAgent, type AgentStatus } from '../agents/readiness.js';
import { createSession, type CreateSessionDeps } from '../sessions/create.js';
import type { Schedule } from '../store/schedules.js';
import { getUser } from '../store/users.js';

/**
 * How a schedule's run becomes a session: a normal one of the schedule's owner, on its
 * repo and branch, pinned to its environment and agent, with the id the run chose.
 */
export function scheduledSessionStarter(
  deps: CreateSessionDeps & { agents: readonly AgentStatus[] },
): (schedule: Schedule, sessionId: string) => Promise<void> {
  return async (schedule, sessionId) => {
    const user = await getUser(deps.db, schedule.userId);
    if (!user) throw new Error(`the schedule's user ${schedule.userId} is gone`);
    requireUsableAgent(deps.agents, schedule.agent);
    await createSession(deps, user, {
      id: sessionId,
      prompt: schedule.prompt,
      title: schedule.title,
      source: { type: 'git', url: schedule.repoUrl, branch: schedule.branch ?? undefined },
      environmentId: schedule.environmentId,
      agent: schedule.agent,
      model: schedule.model ?? undefined,
    });
  };
}
