"""Verifies one Standard Webhooks delivery with the specification's own library
(standardwebhooks, from PyPI): reads {secret, id, timestamp, signature, body} as
JSON on stdin and prints `verified` or `refused`.

The library also refuses a timestamp more than five minutes from its own clock; the
tests run yiwang on an injected clock (a day in 2026), so that one check is replaced
by reading the timestamp alone. The signature is checked by the library's code.
"""

import json
import sys
from datetime import datetime, timezone

from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError


def timestamp_as_sent(self, header):
    return datetime.fromtimestamp(float(header), tz=timezone.utc)


Webhook._Webhook__verify_timestamp = timestamp_as_sent

d = json.load(sys.stdin)
headers = {"webhook-id": d["id"], "webhook-timestamp": d["timestamp"], "webhook-signature": d["signature"]}
try:
    Webhook(d["secret"]).verify(d["body"].encode(), headers)
    print("verified")
except WebhookVerificationError:
    print("refused")
