#!/usr/bin/env bash
# The whole test suite: export check, notebooks (nbdev_test), pytest, README and docs build + browser check.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh --test
export PATH="$PWD/.venv/bin:$PATH"
start=$(date +%s)
step() { echo; echo "== $* ($(( $(date +%s) - start )) s)"; }

step "nbdev_export leaves binas/ unchanged"
nbdev_export
if [ -n "$(git status --porcelain -- binas)" ]; then
  git status --porcelain -- binas
  echo "FAIL: binas/ differs from what the notebooks export; run nbdev_export and commit the result"; exit 1
fi

step "notebooks (nbdev_test; slow and gpu cells skipped)"
# one torch thread per notebook kernel: two kernels with two threads each on two cores run 2-12x slower (bench/oversubscription.py)
OMP_NUM_THREADS=1 nbdev_test --n_workers 2

step "pytest"
python -m pytest -q tests --ignore=tests/test_docs.py

step "README.md matches nbs/index.ipynb"
python tools/docs.py readme
git diff --exit-code README.md || { echo "FAIL: README.md is stale; run: python tools/docs.py readme"; exit 1; }

step "docs site builds without Quarto; every page, image and local link opens in headless Chromium"
python -m pytest -q tests/test_docs.py

step "all tests passed"
