#!/usr/bin/env bash
# Install the Python tool chain and every package the project needs into ./.venv (idempotent).
set -euo pipefail
REPO_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export PATH="$HOME/.local/bin:$PATH"
# Use the machine's Python; never let uv download a Python build.
export UV_PYTHON_DOWNLOADS=never
if ! command -v uv >/dev/null 2>&1; then
  echo "[bootstrap] installing uv" >&2
  python3 -m pip install --quiet --user uv 2>/dev/null || python3 -m pip install --quiet uv
fi
cd "$REPO_DIR"
# The web form's browser test drives Debian's Chromium (never a downloaded browser build).
if ! command -v /usr/bin/chromium >/dev/null 2>&1; then
  echo "[bootstrap] chromium missing: installing it with apt" >&2
  apt-get update -q </dev/null >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium </dev/null >&2
fi
uv sync --frozen --python "$(command -v python3)" --quiet
echo "[bootstrap] .venv ready ($(.venv/bin/python --version))" >&2
