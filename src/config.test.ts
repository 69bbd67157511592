import { describe, expect, it } from 'vitest';
import { DEFAULT_OUTPUT_LIMITS, DEFAULT_USER_LIMITS, serverConfigFrom } from './config.js';

const MB = 1024 * 1024;

describe('output limits from the environment', () => {
  it('has defaults and reads each HANGAR_MAX_*_MB in megabytes', () => {
    expect(serverConfigFrom({}).outputLimits).toEqual(DEFAULT_OUTPUT_LIMITS);
    const config = serverConfigFrom({
      HANGAR_MAX_OUTPUT_LINE_MB: '2',
      HANGAR_MAX_TURN_OUTPUT_MB: '3',
      HANGAR_MAX_SETUP_OUTPUT_MB: '4',
      HANGAR_MAX_CONVERSATION_MB: '5',
      HANGAR_MAX_DIFF_MB: '6',
      HANGAR_MAX_REPO_MB: '7',
    });
    expect(config.outputLimits).toEqual({
      lineBytes: 2 * MB,
      turnBytes: 3 * MB,
      setupBytes: 4 * MB,
      conversationBytes: 5 * MB,
      diffBytes: 6 * MB,
      repoBytes: 7 * MB,
    });
  });

  it('names the variable that is wrong', () => {
    expect(() => serverConfigFrom({ HANGAR_MAX_REPO_MB: '1.5' })).toThrow(
      'HANGAR_MAX_REPO_MB: must be a whole number of megabytes',
    );
    expect(() => serverConfigFrom({ HANGAR_MAX_DIFF_MB: '0' })).toThrow(
      'HANGAR_MAX_DIFF_MB: must be from 1 to 1048576',
    );
  });
});

describe('serverConfigFrom: per-user limits', () => {
  it('has defaults, and reads each limit from its variable', () => {
    expect(serverConfigFrom({}).limits).toEqual(DEFAULT_USER_LIMITS);
    const limits = serverConfigFrom({
      HANGAR_MAX_SESSIONS_PER_USER: '2',
      HANGAR_MAX_SESSIONS_PER_USER_PER_HOUR: '6',
      HANGAR_MAX_BUNDLE_MB_PER_USER: '3',
      HANGAR_MAX_STREAMS_PER_USER: '4',
      HANGAR_MAX_SCHEDULES_PER_USER: '5',
    }).limits;
    expect(limits).toEqual({
      sessionsPerUser: 2,
      sessionsPerHour: 6,
      bundleBytesPerUser: 3 * 1024 * 1024,
      streamsPerUser: 4,
      schedulesPerUser: 5,
    });
  });

  it('refuses a limit that is not a whole number from 1, naming the variable', () => {
    expect(() => serverConfigFrom({ HANGAR_MAX_SESSIONS_PER_USER: '0' })).toThrow(
      'HANGAR_MAX_SESSIONS_PER_USER: must be from 1 to 1000000',
    );
    expect(() => serverConfigFrom({ HANGAR_MAX_STREAMS_PER_USER: 'many' })).toThrow(
      'HANGAR_MAX_STREAMS_PER_USER: must be a whole number of streams',
    );
  });
});
