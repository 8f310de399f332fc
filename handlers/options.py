"""What the handlers may be told by the operator: one line per setting, with its default.

``bot.settings`` reads these from the environment (``ATTENTION_<NAME>``) together with the
bot's own and each source's settings; handlers receive this frozen object as ``ctx.options``
and read ``ctx.options.alert_max_mentions``, never a default of their own. Nothing here is a
secret: tokens and keys stay with the bot and the sources.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict

from core.config import (
    Intervals,
    NumberMap,
    PublicUrl,
    StrList,
    TimeOfDay,
    TimeZone,
    Weekday,
    setting,
)
from core.errors import InputError
from sources.urlrules import parse_rules


def _url_rules(value: str) -> str:
    try:
        parse_rules(value)
    except InputError as exc:
        raise ValueError(str(exc)) from None
    return value


UrlRules = Annotated[str, AfterValidator(_url_rules)]


class Options(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    # --- privacy and access ---
    admins: StrList = setting((), "Slack user ids who may watch, unwatch, import, forget and change settings (with ATTENTION_ADMIN_CHANNELS empty too: everyone).")
    admin_channels: StrList = setting((), "Channel ids in which anyone may run the changing commands.")
    store_authors: bool = setting(False, "Keep the author's handle or name with each mention (off: never written).")
    retention_days: int = setting(730, "Days a mention is kept; older ones are purged daily, their monthly counts kept.", ge=1)
    audit_days: int = setting(90, "Days the audit log of changing commands is kept.", ge=1)

    # --- asking sources ---
    lookup_timeout: float = setting(10.0, "Seconds a whole `lookup` may take.", gt=0, le=120)
    poll_intervals: Intervals = setting({}, "Minutes between polls per source (at least 1), e.g. `wikipedia=360,crossref=1440`.")
    set_sync_hours: float = setting(24.0, "Hours between listings of each watched set (`watch prefix`, `orcid` or `ror`): new works join it.", gt=0)

    # --- alerts and summaries ---
    alert_on_first_poll: bool = setting(False, "Alert about mentions found by an item's first poll.")
    alert_max_mentions: int = setting(5, "Mentions listed in one alert before 'and N more'.", ge=1, le=20)
    alert_broadcast_jump: float = setting(20.0, "A score jump this large is also sent to the channel, not only the thread.", ge=0)
    alert_group_seconds: int = setting(120, "Seconds an item's first new alert waits for more (from other sources, a burst of posts) to send them as one message.", ge=0, le=3600)
    score_weights: NumberMap = setting({}, "Score weight per kind of source, e.g. `news=8,social=0.5`.")
    summary_day: Weekday = setting("mon", "Weekday of the weekly summary (mon..sun).")
    summary_time: TimeOfDay = setting("09:00", "Time of day of the weekly summary (HH:MM).")
    summary_tz: TimeZone = setting("UTC", "Time zone of the summary schedule and week boundaries.")
    summary_post_empty: bool = setting(False, "Post a summary even for a week with no attention.")

    # --- collections and the link resolver ---
    allow_hosts: StrList = setting((), "Hosts (`host` or `host:port`) the link resolver may fetch even on private addresses.")
    url_rules: UrlRules = setting("", "URL-pattern rules for pages without tags, e.g. `/digital/collection/{alias}/id/{id}=contentdm:{alias}/{id}`; several separated by `;`.")
    resolver_max_bytes: int = setting(3_000_000, "Largest landing page the resolver reads.", gt=0)
    resolver_timeout: float = setting(5.0, "Seconds the resolver waits for one landing page.", gt=0)
    resolver_cache_hours: float = setting(24.0, "Hours a resolved landing page is kept before it is fetched again.", ge=0)

    # --- the web face: badges, details pages, link unfurls ---
    public_url: PublicUrl = setting(None, "Address people reach the bot's web pages at, e.g. `https://attention.library.example.edu`: Details links in Slack unfurls, the embed snippet.")
    public_pages: bool = setting(True, "Serve badges, details pages and embed.js (`false`: only /healthz, /metrics and Slack's /slack/events).")
