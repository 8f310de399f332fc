"""Slack's side of the command_latency benchmark, run in its own process so its work does not
share the bot's interpreter: sends signed `/attention` slash commands and prints
``[[status, seconds], ...]`` as JSON (status 0 when the request failed outright).

    python -m bench.slash_client URL SECRET RESPONSE_URL N            one after another
    python -m bench.slash_client URL SECRET RESPONSE_URL N --burst    all N at once

Each command has its own trigger_id, as Slack's do, so no two are the same bytes (the bot
refuses a replayed timestamp and signature).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import sys
import time
from urllib.parse import urlencode

import httpx
from slack_sdk.signature import SignatureVerifier

TEXTS = ("list", "help")
_TRIGGERS = itertools.count(1)


def form(text: str, response_url: str, *, channel: str = "C0BENCH") -> str:
    return urlencode({
        "token": "legacy", "team_id": "T0001", "team_domain": "fake", "channel_id": channel,
        "channel_name": "bench", "user_id": "U0BENCH", "user_name": "bench", "command": "/attention",
        "text": text, "api_app_id": "A0APP", "response_url": response_url,
        "trigger_id": f"{time.time_ns()}.{next(_TRIGGERS)}",
    })


def signed(secret: str, body: str) -> dict[str, str]:
    ts = str(int(time.time()))
    return {
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": str(SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)),
        "Content-Type": "application/x-www-form-urlencoded",
    }


def main(url: str, secret: str, response_url: str, n: int) -> list[tuple[int, float]]:
    out: list[tuple[int, float]] = []
    with httpx.Client(timeout=10) as client:
        for i in range(n):
            body = form(TEXTS[i % len(TEXTS)], response_url)
            headers = signed(secret, body)
            start = time.perf_counter()
            try:
                status = client.post(url, content=body.encode(), headers=headers).status_code
            except httpx.HTTPError:
                status = 0
            out.append((status, time.perf_counter() - start))
    return out


async def _raw_post(host: str, port: int, path: str, body: bytes, headers: dict[str, str]) -> int:
    """One HTTP/1.1 POST on its own connection, by hand: a general client's own work would be
    counted as the bot's when 200 run in one process."""
    reader, writer = await asyncio.open_connection(host, port)
    try:
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        writer.write(f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: {len(body)}\r\n"
                     f"Connection: close\r\n{head}\r\n".encode() + body)
        await writer.drain()
        status_line = await reader.readline()
        await reader.read()  # the rest, until the server closes
        return int(status_line.split()[1])
    finally:
        writer.close()


async def burst(url: str, secret: str, response_url: str, n: int) -> list[tuple[int, float]]:
    """``n`` commands sent at once, each on its own connection, as Slack's servers would."""
    parts = httpx.URL(url)
    bodies = [form(TEXTS[i % len(TEXTS)], response_url) for i in range(n)]
    go = asyncio.Event()

    async def one(body: str) -> tuple[int, float]:
        headers = signed(secret, body)
        await go.wait()
        start = time.perf_counter()
        try:
            status = await asyncio.wait_for(
                _raw_post(parts.host, parts.port or 80, parts.raw_path.decode(), body.encode(), headers), 10)
        except (OSError, TimeoutError, ValueError, IndexError):
            status = 0
        return status, time.perf_counter() - start

    tasks = [asyncio.create_task(one(b)) for b in bodies]
    await asyncio.sleep(0.05)
    go.set()
    return list(await asyncio.gather(*tasks))


if __name__ == "__main__":
    url, secret, response_url, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    if "--burst" in sys.argv[5:]:
        print(json.dumps(asyncio.run(burst(url, secret, response_url, n))))
    else:
        print(json.dumps(main(url, secret, response_url, n)))
