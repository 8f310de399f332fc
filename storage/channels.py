"""Per-channel alert settings, and who should hear about an item."""

from __future__ import annotations

from dataclasses import dataclass

from sqlite_utils import Database

from core.times import utcnow

MODES = ("realtime", "digest")


@dataclass(frozen=True)
class ChannelSettings:
    channel: str
    min_score_rise: float = 0.0
    #: Source names that alert; None means every source.
    sources: tuple[str, ...] | None = None
    mode: str = "realtime"
    active: bool = True
    inactive_reason: str | None = None


@dataclass(frozen=True)
class Recipient:
    """A channel actively watching an item, with its settings and the item's mute."""

    settings: ChannelSettings
    muted_until: str | None

    @property
    def channel(self) -> str:
        return self.settings.channel


def _settings(row: tuple[object, ...] | None, channel: str) -> ChannelSettings:
    if row is None or row[0] is None:
        return ChannelSettings(channel=channel)
    min_rise, sources, mode, active, reason = row
    names = tuple(s for s in str(sources).split(",") if s) if sources is not None else None
    return ChannelSettings(
        channel, float(min_rise), names, str(mode), bool(active), reason  # type: ignore[arg-type]
    )


def get_settings(db: Database, channel: str) -> ChannelSettings:
    row = db.execute(
        "SELECT min_score_rise, sources, mode, active, inactive_reason FROM channel_settings "
        "WHERE channel = ?",
        [channel],
    ).fetchone()
    return _settings(row, channel)


def _upsert(db: Database, channel: str, column: str, value: object) -> None:
    db.execute(
        f"INSERT INTO channel_settings (channel, {column}, updated_at) VALUES (?, ?, ?) "
        f"ON CONFLICT(channel) DO UPDATE SET {column} = excluded.{column}, "
        "updated_at = excluded.updated_at",
        [channel, value, utcnow()],
    )


def set_min_score_rise(db: Database, channel: str, value: float) -> None:
    _upsert(db, channel, "min_score_rise", float(value))


def set_sources(db: Database, channel: str, sources: tuple[str, ...] | None) -> None:
    """Only these sources alert in the channel; None: all of them."""
    _upsert(db, channel, "sources", ",".join(sources) if sources is not None else None)


def set_mode(db: Database, channel: str, mode: str) -> None:
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}")
    _upsert(db, channel, "mode", mode)


def recipients(db: Database, item_id: int) -> list[Recipient]:
    """Channels whose watch of the item is active, with their settings (defaults if unset)."""
    rows = db.execute(
        "SELECT w.channel, w.muted_until, s.min_score_rise, s.sources, s.mode, s.active, "
        "s.inactive_reason FROM watches w LEFT JOIN channel_settings s ON s.channel = w.channel "
        "WHERE w.item_id = ? AND w.active = 1 ORDER BY w.channel",
        [item_id],
    ).fetchall()
    return [Recipient(_settings(tuple(r[2:]), r[0]), r[1]) for r in rows]
