#!/usr/bin/env python3
"""Mock notification receivers for the outbox integration test.

HTTP mode (the default) accepts webhook POSTs on 127.0.0.1 and appends one
JSON line per request to the log: path, headers, body and the status it
returned. With --fail-first N it returns 503 to the first N requests that
carry each idempotency key, so a test can watch retries end in exactly one
success per key.

SMTP mode (--smtp) runs an aiosmtpd server and appends one JSON line per
message: envelope sender, recipients and the message text.

Either way the bound port is written to --port-file once the server
listens, and the process runs until it is killed.
"""
import argparse
import collections
import http.server
import json
import os
import socket
import sys
import threading
import time


def append_record(path, record):
    line = json.dumps(record, sort_keys=True) + "\n"
    with open(path, "a", encoding="utf-8") as log:
        log.write(line)


def write_port(path, port):
    # Written to a temporary name and renamed, so a reader never sees half.
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as out:
        out.write("%d\n" % port)
    os.rename(tmp, path)


def make_handler(log_path, fail_first):
    attempts = collections.Counter()
    lock = threading.Lock()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length).decode("utf-8", "replace")
            key = self.headers.get("Idempotency-Key") or body
            with lock:
                attempts[key] += 1
                status = 503 if attempts[key] <= fail_first else 200
                append_record(log_path, {
                    "path": self.path,
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                    "body": body,
                    "status": status,
                    "time": time.time(),
                })
            reply = b"ok\n" if status == 200 else b"try again later\n"
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, fmt, *args):
            pass

    return Handler


def run_http(args):
    server = http.server.HTTPServer(("127.0.0.1", args.port),
                                    make_handler(args.log, args.fail_first))
    write_port(args.port_file, server.server_address[1])
    server.serve_forever()


def run_smtp(args):
    from aiosmtpd.controller import Controller

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            append_record(args.log, {
                "mail_from": envelope.mail_from,
                "rcpt_tos": list(envelope.rcpt_tos),
                "data": envelope.content.decode("utf-8", "replace"),
            })
            return "250 Message accepted for delivery"

    port = args.port
    if port == 0:
        # The controller needs a number up front: take a free one.
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    write_port(args.port_file, port)
    # The controller serves from its own thread; SIGTERM ends the process.
    while True:
        time.sleep(3600)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0,
                        help="port on 127.0.0.1 (default: any free one)")
    parser.add_argument("--port-file", required=True,
                        help="file that receives the bound port")
    parser.add_argument("--log", required=True,
                        help="JSON-lines file of the requests or messages")
    parser.add_argument("--fail-first", type=int, default=0,
                        help="reply 503 to the first N requests per idempotency key")
    parser.add_argument("--smtp", action="store_true",
                        help="run an SMTP server (needs aiosmtpd)")
    args = parser.parse_args()
    if args.smtp:
        run_smtp(args)
    else:
        run_http(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
