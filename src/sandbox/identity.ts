/**
 * The accounts a sandbox has: the base's system accounts (uid < 1000, and nobody), and
 * `user`, home /home/user, whose uid/gid is the sandbox's own host uid (uid-range.ts).
 * Host people (other uids ≥ 1000) are dropped so their names do not leak in, and every
 * password is locked.
 */
export const SANDBOX_USER = { name: 'user', home: '/home/user' } as const;

/** The host uid and gid of a sandbox's `user`. */
export interface UserIds {
  uid: number;
  gid: number;
}

const NOBODY = 65534;

function keepSystem(text: string, idField: 2 | 3): string[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('#'))
    .filter((line) => {
      const fields = line.split(':');
      const id = Number(fields[idField]);
      return (
        fields[0] !== SANDBOX_USER.name && Number.isInteger(id) && (id < 1000 || id === NOBODY)
      );
    });
}

/** `/etc/passwd` for a sandbox, from the base's. */
export function sandboxPasswd(basePasswd: string, { uid, gid }: UserIds): string {
  const { name, home } = SANDBOX_USER;
  return [...keepSystem(basePasswd, 2), `${name}:x:${uid}:${gid}::${home}:/bin/bash`, ''].join(
    '\n',
  );
}

/** `/etc/group` for a sandbox, from the base's; `user` is in its own group only. */
export function sandboxGroup(baseGroup: string, { gid }: UserIds): string {
  const { name } = SANDBOX_USER;
  const groups = keepSystem(baseGroup, 2).map((line) => {
    // Drop host people from member lists, e.g. `docker:x:999:alice`.
    const fields = line.split(':');
    return [...fields.slice(0, 3), ''].join(':');
  });
  return [...groups, `${name}:x:${gid}:`, ''].join('\n');
}

/** `/etc/shadow` (or gshadow, with `group: true`): every account locked. */
export function lockedShadow(names: string[], group = false): string {
  return names.map((n) => (group ? `${n}:*::` : `${n}:*:19000:0:99999:7:::`)).join('\n') + '\n';
}

/** The first field of every line of a passwd- or group-format file. */
export function names(text: string): string[] {
  return text
    .split('\n')
    .filter((line) => line.includes(':'))
    .map((line) => line.split(':')[0] ?? '');
}

/** The small files that say who and where a sandbox is; only `user`'s ids differ. */
export function identityFiles(
  basePasswd: string,
  baseGroup: string,
  ids: UserIds,
): Record<string, string> {
  const passwd = sandboxPasswd(basePasswd, ids);
  const group = sandboxGroup(baseGroup, ids);
  return {
    'etc/passwd': passwd,
    'etc/group': group,
    'etc/shadow': lockedShadow(names(passwd)),
    'etc/gshadow': lockedShadow(names(group), true),
    'etc/hostname': 'sandbox\n',
    'etc/hosts':
      '127.0.0.1\tlocalhost\n127.0.1.1\tsandbox\n::1\tlocalhost ip6-localhost ip6-loopback\n',
    // No resolver: a sandbox has no DNS; its one way out is the gateway at HANGAR_GATEWAY.
    'etc/resolv.conf': '# No DNS in a Hangar sandbox: use the gateway at $HANGAR_GATEWAY.\n',
    'etc/nsswitch.conf': [
      'passwd: files',
      'group: files',
      'shadow: files',
      'gshadow: files',
      'hosts: files',
      'networks: files',
      'protocols: files',
      'services: files',
      'ethers: files',
      'rpc: files',
      '',
    ].join('\n'),
  };
}
