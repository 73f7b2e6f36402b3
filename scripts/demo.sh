#!/usr/bin/env bash
# demo.sh: the main job. Installs dependencies, builds, and runs the example program.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh"
"$root/scripts/build.sh" release >/dev/null
"$root/build/release/examples/demo"
