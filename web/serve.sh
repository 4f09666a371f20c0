#!/usr/bin/env bash
# Serve the built page on http://127.0.0.1:8765/ (run web/build.sh first).
exec python3 "$(dirname "$0")/serve.py" "$@"
