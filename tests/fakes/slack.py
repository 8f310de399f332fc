"""A loopback fake of the Slack Web API (and of response_url) on FakeServer.

    def test_x(fake_slack):                       # the pytest fixture below
        client = WebClient(token="xoxb-test", base_url=fake_slack.api_url)
        client.chat_postMessage(channel="C1", text="hi")
        fake_slack.messages[0]["text"]            # "hi"
        fake_slack.fail("chat.postMessage", status=429, retry_after=1)   # next call only
        fake_slack.error("chat.postMessage", "channel_not_found")        # ok: false

Every API call is recorded in ``calls`` as ``(method, args)``; posts to ``response_url()``
land in ``responses``. conversations.history shows top-level messages (and broadcast replies),
conversations.replies one thread, as Slack does.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from tests.fakes.http import Canned, FakeServer, Recorded, canned

BOT_USER = "UBOT"
TEAM = "T0001"


class FakeSlack:
    def __init__(self) -> None:
        self.server = FakeServer()
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.messages: list[dict[str, Any]] = []
        self.ephemerals: list[dict[str, Any]] = []
        self.files: list[dict[str, Any]] = []
        self.responses: list[dict[str, Any]] = []
        self.unfurls: list[dict[str, Any]] = []
        self._forced: dict[str, list[Canned]] = {}
        self._uploads: dict[str, dict[str, Any]] = {}
        self._ts = itertools.count(1)
        self._lock = threading.Lock()

    # --- configuring ---
    @property
    def url(self) -> str:
        return self.server.url

    @property
    def api_url(self) -> str:
        """Base URL for WebClient / SLACK_API_URL."""
        return self.server.url + "/api/"

    def response_url(self, name: str = "cmd") -> str:
        return f"{self.server.url}/response/{name}"

    def fail(self, method: str, *, status: int = 429, retry_after: int | None = None, times: int = 1) -> None:
        """The next ``times`` calls of ``method`` answer ``status`` (429 with Retry-After, 5xx)."""
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        body = {"ok": False, "error": "ratelimited" if status == 429 else "internal_error"}
        with self._lock:
            self._forced.setdefault(method, []).extend(
                [canned(status=status, json=body, headers=headers)] * times
            )

    def error(self, method: str, error: str, *, times: int = 1) -> None:
        """The next ``times`` calls of ``method`` answer 200 ``{"ok": false, "error": error}``."""
        with self._lock:
            self._forced.setdefault(method, []).extend([canned(json={"ok": False, "error": error})] * times)

    def calls_to(self, method: str) -> list[dict[str, Any]]:
        return [args for name, args in self.calls if name == method]

    # --- serving ---
    def start(self) -> FakeSlack:
        self.server.start()
        for method in METHODS:
            self.server.route_fn("POST", f"/api/{method}", self._api)
            self.server.route_fn("GET", f"/api/{method}", self._api)
        for name in ("cmd", "action", "other"):
            self.server.route_fn("POST", f"/response/{name}", self._response)
        return self

    def stop(self) -> None:
        self.server.stop()

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _next_ts(self) -> str:
        return f"1700000000.{next(self._ts):06d}"

    def _api(self, rec: Recorded) -> Canned:
        method = rec.path.removeprefix("/api/")
        args = _args(rec)
        with self._lock:
            self.calls.append((method, args))
            forced = self._forced.get(method)
            if forced:
                return forced.pop(0)
        handler = getattr(self, "_" + method.replace(".", "_"))
        return canned(json={"ok": True, **handler(args)})

    # --- the methods ---
    def _auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"url": "https://fake.slack.com/", "team": "Fake", "user": "attention-bot", "team_id": TEAM,
                "user_id": BOT_USER, "bot_id": "BBOT"}

    def _chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any]:
        message = {**args, "ts": self._next_ts(), "type": "message", "user": BOT_USER}
        with self._lock:
            self.messages.append(message)
        return {"channel": args.get("channel"), "ts": message["ts"], "message": message}

    def _chat_postEphemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            self.ephemerals.append(args)
        return {"message_ts": self._next_ts()}

    def _chat_unfurl(self, args: dict[str, Any]) -> dict[str, Any]:
        unfurls = args.get("unfurls")
        with self._lock:
            self.unfurls.append({**args, "unfurls": json.loads(unfurls) if isinstance(unfurls, str) else unfurls})
        return {}

    def _conversations_history(self, args: dict[str, Any]) -> dict[str, Any]:
        with_meta = str(args.get("include_all_metadata", "")).lower() in ("1", "true")
        limit = int(args.get("limit") or 100)
        found = []
        for m in reversed(self.messages):  # newest first, like Slack
            if m.get("channel") != args.get("channel") or (m.get("thread_ts") and not m.get("reply_broadcast")):
                continue
            found.append(_shown(m, with_meta))
        return {"messages": found[:limit], "has_more": len(found) > limit}

    def _conversations_replies(self, args: dict[str, Any]) -> dict[str, Any]:
        """A thread, parent first then replies oldest first, paged by ``cursor``; like Slack,
        metadata only with include_all_metadata."""
        with_meta = str(args.get("include_all_metadata", "")).lower() in ("1", "true")
        limit = int(args.get("limit") or 100)
        channel, ts = args.get("channel"), args.get("ts")
        with self._lock:
            thread = [m for m in self.messages if m.get("channel") == channel and ts in (m["ts"], m.get("thread_ts"))]
        if not thread or thread[0]["ts"] != ts:
            return {"ok": False, "error": "thread_not_found"}
        start = int(str(args.get("cursor") or "0").removeprefix("off:"))
        page = [_shown(m, with_meta) for m in thread[start:start + limit]]
        more = start + limit < len(thread)
        return {"messages": page, "has_more": more,
                "response_metadata": {"next_cursor": f"off:{start + limit}" if more else ""}}

    def _files_getUploadURLExternal(self, args: dict[str, Any]) -> dict[str, Any]:
        file_id = f"F{len(self._uploads) + 1:04d}"
        self._uploads[file_id] = {"id": file_id, "filename": args.get("filename"), "length": int(args.get("length") or 0)}
        self.server.route_fn("POST", f"/upload/{file_id}", lambda rec: self._upload(file_id, rec))
        return {"upload_url": f"{self.server.url}/upload/{file_id}", "file_id": file_id}

    def _upload(self, file_id: str, rec: Recorded) -> Canned:
        self._uploads[file_id]["content"] = rec.body
        return canned(body="OK - " + str(len(rec.body)))

    def _files_completeUploadExternal(self, args: dict[str, Any]) -> dict[str, Any]:
        done = []
        for f in json.loads(args.get("files") or "[]"):
            info = {**self._uploads[f["id"]], "title": f.get("title"), "channel": args.get("channel_id"),
                    "thread_ts": args.get("thread_ts")}
            with self._lock:
                self.files.append(info)
            done.append({"id": f["id"], "title": f.get("title")})
        return {"files": done}

    def _response(self, rec: Recorded) -> Canned:
        with self._lock:
            self.responses.append({"path": rec.path, **rec.json()})
        return canned(body="ok")


METHODS = (
    "auth.test",
    "chat.postMessage",
    "chat.postEphemeral",
    "chat.unfurl",
    "conversations.history",
    "conversations.replies",
    "files.getUploadURLExternal",
    "files.completeUploadExternal",
)


def _shown(message: dict[str, Any], with_meta: bool) -> dict[str, Any]:
    return {k: v for k, v in message.items() if k != "channel" and (k != "metadata" or with_meta)}


def _args(rec: Recorded) -> dict[str, Any]:
    """Arguments from the query string, a form body or a JSON body, as slack_sdk sends them."""
    args: dict[str, Any] = {k: v[-1] for k, v in rec.query.items()}
    kind = rec.headers.get("content-type", "")
    if rec.body and "json" in kind:
        args.update(rec.json())
    elif rec.body:
        args.update({k: v[-1] for k, v in rec.form().items()})
    for key in ("blocks", "metadata"):  # form-encoded calls send these as JSON strings
        if isinstance(args.get(key), str) and args[key].startswith(("[", "{")):
            args[key] = json.loads(args[key])
    return args


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    """A running fake Slack API with response_url endpoints /response/{cmd,action,other}."""
    fake = FakeSlack().start()
    try:
        yield fake
    finally:
        fake.stop()
