#!/usr/bin/env python3
"""Mock Slack Web API and Mattermost REST API for the chat integration tests.

Listens on 127.0.0.1 and appends one JSON line per request to the log:
path, headers (names in lower case) and body. It replies to the calls the
chat bridge makes:

  POST /api/views.open, /api/chat.postMessage   200 {"ok": true}
  POST /api/v4/actions/dialogs/open             200 {}
  POST /api/v4/posts/ephemeral                  201 {"id": "..."}

Any other path gets 404 with {"ok": false}. The bound port is written to
--port-file once the server listens, and the process runs until it is
killed.
"""
import argparse
import http.server
import json
import os
import sys
import threading

# The log and port file helpers of the outbox test's mock receiver. No
# bytecode cache is written into the source tree.
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mock_receiver import append_record, write_port  # noqa: E402


def reply_for(path):
    """Returns the status and JSON reply for a request path."""
    if path.startswith("/api/v4/actions/dialogs/open"):
        return 200, {}
    if path.startswith("/api/v4/posts/ephemeral"):
        return 201, {"id": "mockpost"}
    if path.startswith("/api/"):
        method = path[len("/api/"):].split("?", 1)[0]
        if method in ("views.open", "chat.postMessage"):
            return 200, {"ok": True}
    return 404, {"ok": False, "error": "unknown_method"}


def make_handler(log_path):
    lock = threading.Lock()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length).decode("utf-8", "replace")
            status, reply = reply_for(self.path)
            with lock:
                append_record(log_path, {
                    "path": self.path,
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                    "body": body,
                })
            data = json.dumps(reply).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, fmt, *args):
            pass

    return Handler


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     allow_abbrev=False)
    parser.add_argument("--port", type=int, default=0,
                        help="port on 127.0.0.1 (default: any free one)")
    parser.add_argument("--port-file", required=True,
                        help="file that receives the bound port")
    parser.add_argument("--log", required=True,
                        help="JSON-lines file of the requests")
    args = parser.parse_args()

    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port),
                                             make_handler(args.log))
    write_port(args.port_file, server.server_address[1])
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
