#!/usr/bin/env bash
# docs/web_page.png: the built page (web/build.sh) in headless Chromium after it has trained a
# small seed000 for about HOLD seconds (default 150) on the built-in shapes.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd); PORT=${WEB_SHOT_PORT:-8767}; HOLD=${HOLD:-150}
work=$(mktemp -d); srv=
trap '[ -n "$srv" ] && kill $srv 2>/dev/null; rm -rf "$work"' EXIT
python3 "$here/serve.py" --port "$PORT" >"$work/server.log" 2>&1 & srv=$!
sleep 1
chromium --headless=new --no-sandbox --enable-unsafe-webgpu --user-data-dir="$work/profile" \
  --window-size=1200,720 --screenshot="$here/../docs/web_page.png" \
  "http://127.0.0.1:$PORT/?hold=$HOLD&net=seed000&size=16&channels=8,16,32&batch=8&steps=2000&every=50&autostart=1" \
  >"$work/chromium.log" 2>&1
echo "wrote docs/web_page.png"
