import { expect } from 'vitest';

/**
 * A shell script that prints, from inside a sandbox, every place a process there could
 * read a GitHub credential from: the environment, the process list (read while one of
 * git's HTTP helpers runs: fetches loop in the background until the list has been read
 * with one in it), git's config and trace output, the git proxy's answer, and the files
 * holding a GitHub token's prefix. The needles are built at run time, so the script's
 * own command line (or a copy of it on disk) matches none of them.
 */
export function credentialScanScript(repoDir: string): string {
  return `cd ${repoDir}
rm -f /tmp/scanned
(while [ ! -e /tmp/scanned ]; do git fetch -q origin; done) &
needle="remote-"; needle="git-\${needle}http origin"
i=0
while [ $i -lt 5000 ]; do
  snap=$(for p in /proc/[0-9]*; do tr '\\0' ' ' < $p/cmdline 2>/dev/null; echo; tr '\\0' '\\n' < $p/environ 2>/dev/null; done)
  case "$snap" in *"$needle"*) break;; esac
  i=$((i+1))
done
touch /tmp/scanned
echo "== env"; env
echo "== processes"; echo "$snap"
echo "== git config"; git config --list --show-origin
echo "== git trace"; GIT_TRACE=1 GIT_TRACE_CURL=1 git ls-remote origin 2>&1
echo "== proxy answer"; curl -sS -D - "$(git remote get-url origin)/info/refs?service=git-upload-pack"
echo "== files holding a GitHub token's prefix"
gh="gh"; grep -rIl -e "\${gh}p_" -e "\${gh}s_" /home /tmp /etc /root /var /run 2>/dev/null
echo "== end"
wait`;
}

/**
 * What `credentialScanScript` printed shows it looked (git's helper in the process
 * list, git's traffic, the proxy's 200) and found none of `secrets`, nor the Basic
 * header git would send with one.
 */
export function expectNoCredential(visible: string, secrets: string[]): void {
  expect(visible).toMatch(/== processes[\s\S]*git-remote-http origin[\s\S]*== git config/);
  expect(visible).toMatch(/== git trace[\s\S]*refs\/heads\/main/);
  expect(visible).toMatch(/== proxy answer\s+HTTP\/1\.1 200/);
  expect(visible).toMatch(/== files holding a GitHub token's prefix\n== end/);
  for (const secret of secrets) {
    expect(secret.length).toBeGreaterThan(10);
    expect(visible).not.toContain(secret);
    expect(visible).not.toContain(Buffer.from(`x-access-token:${secret}`).toString('base64'));
  }
}
