#!/usr/bin/env python3
"""A stand-in for a company's tool behind the proxy in Gatehouse's tests: it
answers every GET with a JSON object of the path it was asked for and the
headers it received (names lower-cased), so a test sees exactly what the
proxy forwarded. Listens on 127.0.0.1 at the port given (0: any free port)
and prints that port on its first line of output."""

import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Echo(BaseHTTPRequestHandler):
    # Keeps connections open, as the proxy's upstream keepalive expects,
    # and sends each answer at once: with Nagle's algorithm on, the body
    # waited for the headers' delayed acknowledgement (40 ms a request).
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def do_GET(self):
        body = json.dumps(
            {
                "path": self.path,
                "headers": {k.lower(): v for k, v in self.headers.items()},
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    server = ThreadingHTTPServer(("127.0.0.1", port), Echo)
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
