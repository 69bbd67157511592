import { describe, expect, it } from 'vitest';
import { parseCgroupLayout } from './cgroups.js';

// As on these machines: v1 controllers, plus an empty v2 hierarchy at /sys/fs/cgroup/unified.
const hybridMountinfo = `22 27 0:21 / /proc rw,relatime - proc proc rw
30 27 0:26 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
31 30 0:27 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
32 30 0:28 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
33 30 0:29 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
34 30 0:30 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
35 30 0:31 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw`;
const hybridCgroup = `8:pids:/
4:memory:/process_api/abc
2:cpuacct:/
1:cpu:/
0::/`;

describe('parseCgroupLayout', () => {
  it('uses v1 when the memory controller is on a v1 hierarchy, nesting under our own cgroups', () => {
    expect(parseCgroupLayout(hybridMountinfo, hybridCgroup)).toEqual({
      version: 1,
      controllers: {
        memory: '/sys/fs/cgroup/memory/process_api/abc',
        cpu: '/sys/fs/cgroup/cpu',
        cpuacct: '/sys/fs/cgroup/cpuacct',
        pids: '/sys/fs/cgroup/pids',
      },
    });
  });

  it('handles cpu and cpuacct mounted together', () => {
    const mountinfo = `31 30 0:27 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct
33 30 0:29 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory
34 30 0:30 / /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids`;
    const layout = parseCgroupLayout(mountinfo, '3:cpu,cpuacct:/x\n2:memory:/x\n1:pids:/x');
    expect(layout).toMatchObject({
      version: 1,
      controllers: { cpu: '/sys/fs/cgroup/cpu,cpuacct/x', cpuacct: '/sys/fs/cgroup/cpu,cpuacct/x' },
    });
  });

  it('uses v2 on a unified host', () => {
    const mountinfo = '30 27 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate';
    expect(parseCgroupLayout(mountinfo, '0::/system.slice/hangar.service\n')).toEqual({
      version: 2,
      dir: '/sys/fs/cgroup/system.slice/hangar.service',
      mount: '/sys/fs/cgroup',
    });
  });

  it('maps our path through a mount whose root is not the hierarchy root (containers)', () => {
    const mountinfo = '30 27 0:26 /docker/abc /sys/fs/cgroup rw - cgroup2 cgroup2 rw';
    expect(parseCgroupLayout(mountinfo, '0::/docker/abc/inner')).toMatchObject({
      dir: '/sys/fs/cgroup/inner',
    });
  });

  it('gives undefined when a needed controller is missing', () => {
    const mountinfo = '33 30 0:29 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory';
    expect(parseCgroupLayout(mountinfo, '2:memory:/')).toBeUndefined();
    expect(parseCgroupLayout('22 27 0:21 / /proc rw - proc proc rw', '0::/')).toBeUndefined();
  });
});
