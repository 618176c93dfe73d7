#!/usr/bin/env python3
"""A real SMTP server for the notification tests (aiosmtpd, Debian's python3-aiosmtpd).

Usage: smtp_sink.py PORT OUTFILE

Listens on 127.0.0.1:PORT and appends each message it receives to OUTFILE as one
JSON line: envelope sender, recipients, decoded subject and decoded text body.
Prints "ready" once it listens; runs until killed.
"""
import email
import email.policy
import json
import sys
import time

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, path):
        self.path = path

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        body = msg.get_body(preferencelist=("plain",))
        line = {
            "from": envelope.mail_from,
            "to": envelope.rcpt_tos,
            "subject": str(msg["subject"]),
            "text": body.get_content() if body is not None else "",
        }
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(json.dumps(line, ensure_ascii=False) + "\n")
        return "250 OK"


def main():
    port, path = int(sys.argv[1]), sys.argv[2]
    controller = Controller(Sink(path), hostname="127.0.0.1", port=port)
    controller.start()
    print("ready", flush=True)
    try:
        while True:
            time.sleep(3600)
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
