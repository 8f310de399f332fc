"""Slack's side of the command_latency benchmark, run in its own process so its work does not
share the bot's interpreter: sends signed `/attention` slash commands one after another and
prints ``[[status, seconds], ...]`` as JSON (status 0 when the request failed outright).

    python -m bench.slash_client URL SECRET RESPONSE_URL N
"""

from __future__ import annotations

import json
import sys
import time
from urllib.parse import urlencode

import httpx
from slack_sdk.signature import SignatureVerifier

TEXTS = ("list", "help")


def form(text: str, response_url: str) -> str:
    return urlencode({
        "token": "legacy", "team_id": "T0001", "team_domain": "fake", "channel_id": "C0BENCH",
        "channel_name": "bench", "user_id": "U0BENCH", "user_name": "bench", "command": "/attention",
        "text": text, "api_app_id": "A0APP", "response_url": response_url, "trigger_id": "1.2.3",
    })


def main(url: str, secret: str, response_url: str, n: int) -> list[tuple[int, float]]:
    signer = SignatureVerifier(secret)
    out: list[tuple[int, float]] = []
    with httpx.Client(timeout=10) as client:
        for i in range(n):
            body = form(TEXTS[i % len(TEXTS)], response_url)
            ts = str(int(time.time()))
            headers = {
                "X-Slack-Request-Timestamp": ts,
                "X-Slack-Signature": str(signer.generate_signature(timestamp=ts, body=body)),
                "Content-Type": "application/x-www-form-urlencoded",
            }
            start = time.perf_counter()
            try:
                status = client.post(url, content=body.encode(), headers=headers).status_code
            except httpx.HTTPError:
                status = 0
            out.append((status, time.perf_counter() - start))
    return out


if __name__ == "__main__":
    url, secret, response_url, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    print(json.dumps(main(url, secret, response_url, n)))
