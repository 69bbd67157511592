import { describe, expect, it } from 'vitest';
import { reviewMessage, splitDiff } from './diff';

const DIFF = `diff --git a/src/app.ts b/src/app.ts
index 1111111..2222222 100644
--- a/src/app.ts
+++ b/src/app.ts
@@ -1,3 +1,3 @@
 const a = 1;
-const b = 2;
+const b = 3;
+--- not a header
 export { a, b };
diff --git a/old.txt b/old.txt
deleted file mode 100644
index 3333333..0000000
--- a/old.txt
+++ /dev/null
@@ -1 +0,0 @@
-gone
diff --git a/logo.png b/logo.png
new file mode 100644
index 0000000..4444444
Binary files /dev/null and b/logo.png differ
diff --git a/a.md b/docs/a.md
similarity 90%
rename from a.md
rename to docs/a.md
`;

describe('splitDiff', () => {
  it('splits files and counts their lines, whatever the lines contain', () => {
    const files = splitDiff(DIFF);
    expect(
      files.map(({ path, change, binary, additions, deletions }) => ({
        path,
        change,
        binary,
        additions,
        deletions,
      })),
    ).toEqual([
      { path: 'src/app.ts', change: 'modified', binary: false, additions: 2, deletions: 1 },
      { path: 'old.txt', change: 'deleted', binary: false, additions: 0, deletions: 1 },
      { path: 'logo.png', change: 'added', binary: true, additions: 0, deletions: 0 },
      { path: 'docs/a.md', change: 'renamed', binary: false, additions: 0, deletions: 0 },
    ]);
    expect(files[3]?.oldPath).toBe('a.md');
    expect(files[0]?.text).toMatch(/^diff --git a\/src\/app.ts[\s\S]*export \{ a, b \};\n$/);
  });

  it('finds nothing in an empty diff', () => {
    expect(splitDiff('')).toEqual([]);
  });
});

describe('reviewMessage', () => {
  it('quotes each file:line with its comment, in file and line order', () => {
    const message = reviewMessage([
      { id: '2', path: 'src/b.ts', side: 'new', line: 9, text: 'rename this' },
      { id: '1', path: 'src/a.ts', side: 'old', line: 4, text: 'why remove it?\nit was used' },
    ]);
    expect(message).toBe(
      'Please address these review comments on your changes:\n\n' +
        'src/a.ts:4 (removed line)\n> why remove it?\n> it was used\n\n' +
        'src/b.ts:9\n> rename this',
    );
  });
});
