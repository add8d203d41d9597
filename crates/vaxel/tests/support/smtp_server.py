#!/usr/bin/python3
"""A real SMTP relay for the switch's mail tests, on Debian's python3-aiosmtpd.

It listens on 127.0.0.1:PORT, offers STARTTLS with the given certificate and requires it
before AUTH (PLAIN or LOGIN, one user and password); with --implicit-tls it speaks TLS from the
first byte instead. Every accepted message is written to
SPOOL/<n>.eml (the raw DATA) with SPOOL/<n>.json beside it (envelope sender, recipients, the
AUTH login, whether TLS was on, the decoded Subject, To, From and text, and each attachment's
name, type and encoding; the decoded attachment itself is SPOOL/<n>.att<i>), each written to a temporary name first and renamed, so the
test never reads half a file. Recipients given with --reject get a permanent 550 and a line
in SPOOL/rejected.log.

Prints "READY" on stdout once it accepts connections; stops on SIGTERM.
"""

import argparse
import email
import email.policy
import json
import os
import signal
import ssl
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Spool:
    def __init__(self, directory, reject):
        self.directory = directory
        self.reject = set(reject)
        self.count = 0
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.reject:
            # One line per refusal, so a test can count how often the switch tried.
            with self.lock, open(os.path.join(self.directory, "rejected.log"), "a") as f:
                f.write(address + "\n")
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    def write(self, name, data):
        tmp = os.path.join(self.directory, "." + name + ".tmp")
        with open(tmp, "wb") as f:
            f.write(data)
        os.rename(tmp, os.path.join(self.directory, name))

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.count += 1
            n = self.count
        login = session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword) else None
        meta = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "auth_login": login,
            # session.ssl is only set by STARTTLS; the transport knows about implicit TLS too.
            "tls": session.ssl is not None or server.transport.get_extra_info("ssl_object") is not None,
        }
        raw = envelope.original_content or envelope.content
        # Python's own MIME parser decodes what the switch's mail library encoded, so the test
        # compares decoded text and attachment bytes, not a hand-rolled parse.
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        body = msg.get_body(preferencelist=("plain",))
        meta["subject"] = str(msg["Subject"])
        meta["to"] = str(msg["To"])
        meta["from"] = str(msg["From"])
        meta["text"] = body.get_content() if body is not None else None
        meta["attachments"] = []
        for i, part in enumerate(msg.iter_attachments()):
            name = f"{n}.att{i}"
            self.write(name, part.get_payload(decode=True))
            meta["attachments"].append(
                {
                    "filename": part.get_filename(),
                    "content_type": part.get_content_type(),
                    "transfer_encoding": str(part["Content-Transfer-Encoding"]),
                    "file": name,
                }
            )
        # The .json goes last: its presence means the message is complete.
        self.write(f"{n}.eml", raw)
        self.write(f"{n}.json", json.dumps(meta).encode())
        return "250 2.0.0 Message accepted"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--cert", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--user", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--spool", required=True)
    p.add_argument("--reject", action="append", default=[])
    p.add_argument("--implicit-tls", action="store_true", help="TLS from the first byte (port 465 style)")
    args = p.parse_args()

    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(args.cert, args.key)

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == args.user.encode()
            and auth_data.password == args.password.encode()
        )
        if ok:
            return AuthResult(success=True, auth_data=auth_data)
        # Not handled here: aiosmtpd answers 535.
        return AuthResult(success=False, handled=False)

    if args.implicit_tls:
        # aiosmtpd's auth_require_tls only knows STARTTLS and would hide AUTH on a connection
        # that is TLS from the first byte.
        encryption = {"ssl_context": tls, "auth_require_tls": False}
    else:
        encryption = {"tls_context": tls, "require_starttls": True, "auth_require_tls": True}
    controller = Controller(
        Spool(args.spool, args.reject),
        hostname="127.0.0.1",
        port=args.port,
        authenticator=authenticator,
        auth_required=True,
        **encryption,
    )
    controller.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print("READY", flush=True)
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()
