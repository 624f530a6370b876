#!/usr/bin/env bash
# The main job: set up .venv/ and run the end-to-end BINAS demo on Fashion-MNIST (arguments go to binas_demo).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
exec .venv/bin/binas_demo "$@"
