"""SMTP capture server for the API tests.

Accepts every message on 127.0.0.1:<port> (any sender, any recipient, AUTH PLAIN/LOGIN with any
credentials, no TLS) and stores each one as a JSON file in <dir>: envelope sender, recipients,
the AUTH login if any, and the raw message. Files are written atomically (a dot-prefixed temp
file, then rename), so a reader never sees half a message. Prints "READY <port>" on stdout once
it accepts connections; exits 0 on SIGTERM or SIGINT.

Usage: /usr/bin/python3 smtp_capture.py --port PORT --dir DIR [--host 127.0.0.1]
"""

import argparse
import itertools
import json
import os
import signal
import sys
import threading
import time

try:
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult
except ImportError as exc:  # pragma: no cover - reported to the harness
    sys.stderr.write(
        "smtp_capture: aiosmtpd is not available to /usr/bin/python3 (%s); "
        "install python3-aiosmtpd (scripts/deps.sh test)\n" % exc
    )
    sys.exit(3)

_counter = itertools.count(1)


class CaptureHandler:
    def __init__(self, directory):
        self.directory = directory

    async def handle_DATA(self, server, session, envelope):
        n = next(_counter)
        name = "msg-%020d-%06d.json" % (time.time_ns(), n)
        login = None
        password = None
        auth = getattr(session, "auth_data", None)
        if auth is not None and hasattr(auth, "login"):
            login = auth.login.decode("utf-8", "replace") if isinstance(auth.login, bytes) else auth.login
            pw = getattr(auth, "password", None)
            password = pw.decode("utf-8", "replace") if isinstance(pw, bytes) else pw
        content = envelope.original_content or envelope.content or b""
        if isinstance(content, str):
            content = content.encode("utf-8", "surrogateescape")
        record = {
            "seq": n,
            "receivedAt": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + "Z",
            "mailFrom": envelope.mail_from,
            "rcptTos": list(envelope.rcpt_tos),
            "authenticated": bool(getattr(session, "authenticated", False)),
            "authLogin": login,
            "authPassword": password,
            "smtpUtf8": bool(getattr(envelope, "smtp_utf8", False)),
            "data": content.decode("utf-8", "replace"),
        }
        tmp = os.path.join(self.directory, "." + name + ".tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(record, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, os.path.join(self.directory, name))
        return "250 Message accepted for delivery"


def accept_any(server, session, envelope, mechanism, auth_data):
    return AuthResult(success=True, auth_data=auth_data)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--dir", required=True)
    args = ap.parse_args()
    os.makedirs(args.dir, exist_ok=True)

    controller = Controller(
        CaptureHandler(args.dir),
        hostname=args.host,
        port=args.port,
        authenticator=accept_any,
        auth_require_tls=False,
        enable_SMTPUTF8=True,
        decode_data=False,
    )
    controller.start()
    stop = threading.Event()

    def on_signal(signum, frame):
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    sys.stdout.write("READY %d\n" % args.port)
    sys.stdout.flush()
    while not stop.wait(0.5):
        if os.getppid() == 1:  # the harness died without stopping us
            break
    controller.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
