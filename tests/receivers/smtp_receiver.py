#!/usr/bin/env python3
"""A real SMTP server for the notify tests: aiosmtpd on a free loopback port.

Usage: smtp_receiver.py OUT_DIR [MODE] [tls=starttls|implicit cert=PEM key=PEM]
       [auth=USER:PASS [mechanisms=PLAIN,LOGIN]]

Prints `PORT <n>` on its first line of stdout. Each message received is written whole (the MIME
text as sent) to OUT_DIR/<n>.eml, with the envelope in OUT_DIR/<n>.json. MODE `reject` answers
every RCPT with 550 (permanent), `defer` with 451 (temporary), `hangup` closes the connection
in the middle of the message (after DATA, before answering it); default accepts.

With `tls=starttls` the server offers STARTTLS with the certificate `cert` and key `key` and
refuses mail before it; with `tls=implicit` it speaks TLS from the first byte (SMTPS). With
`auth=USER:PASS` it offers AUTH PLAIN and LOGIN (only over TLS when TLS is on) and refuses mail
before a successful login; `mechanisms` limits what it offers. The envelope JSON records `tls`
(the session was encrypted), `login` (the user that authenticated, or null) and `mechanism`.
"""

import asyncio
import json
import logging
import os
import socket
import ssl
import sys
import warnings

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

OUT_DIR = sys.argv[1]
MODE = sys.argv[2] if len(sys.argv) > 2 else "accept"
OPTIONS = dict(arg.split("=", 1) for arg in sys.argv[3:])

# implicit TLS with AUTH makes aiosmtpd warn that AUTH does not require STARTTLS: it is encrypted
warnings.simplefilter("ignore")
logging.getLogger("mail.log").setLevel(logging.ERROR)


def authenticator(server, session, envelope, mechanism, auth_data):
    user, _, password = OPTIONS["auth"].partition(":")
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login.decode() == user
        and auth_data.password.decode() == password
    )
    seen = {"login": user, "mechanism": mechanism} if ok else None
    return AuthResult(success=ok, handled=False, auth_data=seen)


class Handler:
    def __init__(self):
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if MODE == "reject":
            return "550 5.1.1 no such mailbox"
        if MODE == "defer":
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if MODE == "hangup":
            server.transport.close()
            return None
        self.count += 1
        n = self.count
        with open(os.path.join(OUT_DIR, f"{n}.eml"), "wb") as out:
            out.write(envelope.original_content or envelope.content)
        seen = session.auth_data if session.authenticated else {}
        with open(os.path.join(OUT_DIR, f"{n}.json"), "w", encoding="utf-8") as out:
            json.dump(
                {
                    "from": envelope.mail_from,
                    "to": envelope.rcpt_tos,
                    "tls": session.ssl is not None
                    or server.transport.get_extra_info("ssl_object") is not None,
                    "login": seen.get("login"),
                    "mechanism": seen.get("mechanism"),
                },
                out,
            )
        return f"250 OK queued as m{n}"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main():
    port = free_port()
    kwargs = {}
    tls = OPTIONS.get("tls")
    if tls:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(OPTIONS["cert"], OPTIONS["key"])
        if tls == "implicit":
            kwargs["ssl_context"] = context
        else:
            kwargs["tls_context"] = context
            kwargs["require_starttls"] = True
    if "auth" in OPTIONS:
        kwargs["authenticator"] = authenticator
        kwargs["auth_required"] = True
        if "mechanisms" in OPTIONS:
            offered = OPTIONS["mechanisms"].split(",")
            kwargs["auth_exclude_mechanism"] = [
                m for m in ("PLAIN", "LOGIN") if m not in offered
            ]
        # implicit TLS is encrypted from the first byte; aiosmtpd's check only knows STARTTLS
        kwargs["auth_require_tls"] = tls == "starttls"
    controller = Controller(Handler(), hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    print(f"PORT {port}", flush=True)
    try:
        asyncio.get_event_loop().run_forever()
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
