import { describe, expect, it } from 'vitest';
import { identityFiles, sandboxGroup, sandboxPasswd } from './identity.js';

const hostPasswd = `root:x:0:0:root:/root:/bin/bash
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
postgres:x:105:111:PostgreSQL administrator:/var/lib/postgresql:/bin/bash
alice:x:1000:1000:Alice,,,:/home/alice:/bin/bash
bob:x:1001:1001::/home/bob:/bin/zsh
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
`;
const hostGroup = `root:x:0:
sudo:x:27:alice
docker:x:999:alice,bob
alice:x:1000:
nogroup:x:65534:
`;

describe('sandbox accounts', () => {
  const ids = { uid: 2_000_000_123, gid: 2_000_000_123 };

  it('keeps system accounts, drops host people, adds user with the sandbox’s ids', () => {
    const passwd = sandboxPasswd(hostPasswd, ids);
    expect(passwd).toContain('root:x:0:0:root:/root:/bin/bash');
    expect(passwd).toContain('postgres:x:105:');
    expect(passwd).toContain('nobody:x:65534:');
    expect(passwd).not.toMatch(/alice|bob/);
    expect(passwd.trimEnd().split('\n').at(-1)).toBe(
      'user:x:2000000123:2000000123::/home/user:/bin/bash',
    );
  });

  it('empties group member lists so host names do not leak', () => {
    const group = sandboxGroup(hostGroup, ids);
    expect(group).toContain('sudo:x:27:\n');
    expect(group).toContain('docker:x:999:\n');
    expect(group).not.toMatch(/alice|bob/);
    expect(group).toContain('user:x:2000000123:\n');
  });

  it('locks every password and gives no resolver', () => {
    const files = identityFiles(hostPasswd, hostGroup, ids);
    expect(files['etc/shadow']).toContain('root:*:');
    expect(files['etc/shadow']).toContain('user:*:');
    expect(files['etc/resolv.conf']).not.toMatch(/nameserver/);
    expect(files['etc/hostname']).toBe('sandbox\n');
  });
});
