#!/usr/bin/env python3
"""Serve web/dist on 127.0.0.1. With --upload DIR, a POST to /upload/NAME writes the body to
DIR/NAME (web/test.sh collects the page's checkpoint this way); without it POSTs are refused.
GET /hold/N answers after N seconds (at most 600): web/screenshot.sh holds the page's load
event, and so headless Chromium's --screenshot, until the page has trained a while. With
--files DIR, GET /files/NAME serves DIR/NAME (web/test.sh's fixtures and files to drop)."""
import argparse, functools, http.server, os, time

ap = argparse.ArgumentParser()
ap.add_argument('--port', type=int, default=8765)
ap.add_argument('--dir', default=os.path.join(os.path.dirname(os.path.abspath(__file__)), 'dist'))
ap.add_argument('--upload')
ap.add_argument('--files')
args = ap.parse_args()

class Handler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map, '.wasm': 'application/wasm', '.js': 'text/javascript'}

    def do_GET(self):
        if self.path.startswith('/hold/'):
            time.sleep(min(float(self.path[6:] or 0), 600))
            self.send_response(204); self.end_headers()
            return
        if self.path.startswith('/files/'):
            path = os.path.join(args.files or '', os.path.basename(self.path))
            if not args.files or not os.path.isfile(path):
                self.send_error(404, 'no such file (serve.py --files DIR)')
                return
            with open(path, 'rb') as f:
                body = f.read()
            self.send_response(200)
            self.send_header('Content-Type', 'application/octet-stream')
            self.send_header('Content-Length', str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        super().do_GET()

    def do_POST(self):
        name = os.path.basename(self.path)
        if not args.upload or not self.path.startswith('/upload/') or not name:
            self.send_error(403, 'uploads are off (serve.py --upload DIR)')
            return
        body = self.rfile.read(int(self.headers.get('Content-Length', 0)))
        with open(os.path.join(args.upload, name), 'wb') as f:
            f.write(body)
        self.send_response(200); self.end_headers()

    def log_message(self, *a):
        pass

if not os.path.isdir(args.dir):
    raise SystemExit(f'{args.dir} does not exist: run web/build.sh first')
server = http.server.ThreadingHTTPServer(('127.0.0.1', args.port), functools.partial(Handler, directory=args.dir))
print(f'serving {args.dir} on http://127.0.0.1:{args.port}/', flush=True)
server.serve_forever()
