#!/usr/bin/env python3
"""A real SMTP server for the notify tests: aiosmtpd on a free loopback port.

Usage: smtp_receiver.py OUT_DIR [MODE]

Prints `PORT <n>` on its first line of stdout. Each message received is written whole (the MIME
text as sent) to OUT_DIR/<n>.eml, with the envelope in OUT_DIR/<n>.json. MODE `reject` answers
every RCPT with 550 (permanent), `defer` with 451 (temporary), `hangup` closes the connection
in the middle of the message (after DATA, before answering it); default accepts.
"""

import asyncio
import json
import os
import socket
import sys

from aiosmtpd.controller import Controller

OUT_DIR = sys.argv[1]
MODE = sys.argv[2] if len(sys.argv) > 2 else "accept"


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
        with open(os.path.join(OUT_DIR, f"{n}.json"), "w", encoding="utf-8") as out:
            json.dump({"from": envelope.mail_from, "to": envelope.rcpt_tos}, out)
        return f"250 OK queued as m{n}"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main():
    port = free_port()
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
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
