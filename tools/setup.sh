#!/usr/bin/env bash
# Create .venv/ and install binas with everything it needs on a Debian/Ubuntu x86-64 machine.
#   bash tools/setup.sh          # what the main job needs (binas and its requirements; Debian's Fashion-MNIST package)
#   bash tools/setup.sh --test   # also the test tools (headless Chromium for the docs check)
# Idempotent: a second run installs nothing new.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
pkgs=()
[ -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ] || pkgs+=(dataset-fashion-mnist)
if [ "${1:-}" = "--test" ]; then
  command -v chromium >/dev/null || pkgs+=(chromium)
  command -v chromedriver >/dev/null || pkgs+=(chromium-driver)
fi
if [ ${#pkgs[@]} -gt 0 ]; then
  echo "installing Debian packages: ${pkgs[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
fi

PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
# torch is pinned here, per machine, never in settings.ini (which declares ranges)
.venv/bin/python -m pip install -q --disable-pip-version-check torch==2.14.1 torchvision==0.29.1
# the main job needs the package alone; the test tools (nbdev, pytest, nbconvert, selenium ...) only with --test (saves ~20 s)
extra=""; [ "${1:-}" = "--test" ] && extra="[dev]"
.venv/bin/python -m pip install -q --disable-pip-version-check -e ".${extra}"
echo "environment ready: .venv ($(.venv/bin/python -c 'import torch, timm, binas; print("torch", torch.__version__, "timm", timm.__version__, "binas", binas.__version__)'))"
