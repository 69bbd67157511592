/**
 * `check-tools`, installed in every sandbox at /usr/local/bin/check-tools: lists the
 * language runtimes, build tools and databases the base provides, with versions, as the
 * product page's "Installed tools" table does. POSIX sh, so it runs on any base.
 */
export const CHECK_TOOLS_SCRIPT = `#!/bin/sh
# check-tools: what this Hangar sandbox has installed, with versions.
# Usage: check-tools [--all]   (--all also lists what is missing)
all=0
[ "$1" = "--all" ] && all=1
printf '%-10s %-16s %s\\n' CATEGORY TOOL VERSION
# Debian keeps the PostgreSQL server out of PATH (it is run through pg_ctlcluster).
for dir in /usr/lib/postgresql/*/bin; do [ -x "$dir/postgres" ] && PATH="$PATH:$dir"; done
row() {
  category=$1; tool=$2; shift 2
  if command -v "$tool" >/dev/null 2>&1; then
    version=$("$@" 2>&1 </dev/null | grep -Eo '[0-9]+\\.[0-9]+(\\.[0-9]+)?' | head -n 1)
    printf '%-10s %-16s %s\\n' "$category" "$tool" "\${version:-present}"
  elif [ "$all" = 1 ]; then
    printf '%-10s %-16s %s\\n' "$category" "$tool" "-"
  fi
}
row Python python3 python3 --version
row Python pip3 pip3 --version
row Python poetry poetry --version
row Python uv uv --version
row Python pytest pytest --version
row Python ruff ruff --version
row Python black black --version
row Python mypy mypy --version
row Node.js node node --version
row Node.js npm npm --version
row Node.js yarn yarn --version
row Node.js yarnpkg yarnpkg --version
row Node.js pnpm pnpm --version
row Node.js bun bun --version
row Node.js deno deno --version
row Ruby ruby ruby --version
row Ruby gem gem --version
row Ruby bundler bundler --version
row PHP php php --version
row PHP composer composer --version
row Java java java -version
row Java javac javac -version
row Java mvn mvn --version
row Java gradle sh -c 'gradle --version 2>/dev/null | grep ^Gradle'
row Go go go version
row Rust rustc rustc --version
row Rust cargo cargo --version
row C/C++ gcc gcc --version
row C/C++ g++ g++ --version
row C/C++ clang clang --version
row C/C++ make make --version
row C/C++ cmake cmake --version
row C/C++ ninja ninja --version
row Perl perl perl -e 'print "$^V\\n"'
row Docker docker docker --version
row Databases psql psql --version
row Databases postgres postgres --version
row Databases redis-server redis-server --version
row Databases sqlite3 sqlite3 --version
row Databases mysql mysql --version
row Utilities git git --version
row Utilities bash bash --version
row Utilities curl curl --version
row Utilities jq jq --version
row Utilities yq yq --version
row Utilities rg rg --version
row Utilities tmux tmux -V
row Utilities vim vim --version
row Utilities nano nano --version
row Utilities dpkg dpkg --version
row Utilities apt apt --version
`;
