#!/usr/bin/env bash
# Bootstrap (idempotent), then run the chat demo recipe against the local backend.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/bootstrap.sh
exec "${LANGCHAIN_COMPAT_VENV:-$(pwd)/.venv}/bin/python" recipes/demo_chat.py "$@"
