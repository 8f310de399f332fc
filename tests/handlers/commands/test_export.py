"""The CSV export (command and CLI), and Datasette's canned queries run against a real store."""

from __future__ import annotations

import csv
import io
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import time_machine
import yaml

from handlers.commands.summaries import EXPORT_COLUMNS, csv_cell, export_csv
from handlers.context import Context
from handlers.router import dispatch
from storage import Store, polls
from storage.mentions import add_mentions
from storage.watches import watch_item
from tests import paths
from tests.bot.test_cli import run_cli
from tests.fakes.summary_data import GLACIER, WORMS, mention, seed_week

ROOT = paths.ROOT
DATA = paths.DATA / "summary"


def _rows(content: bytes) -> list[dict[str, str]]:
    assert content.startswith(b"\xef\xbb\xbf"), "a BOM lets spreadsheets read UTF-8"
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


def test_export_has_the_columns_and_only_this_channels_mentions(ctx: Context) -> None:
    seed_week(ctx.store)
    content, count = export_csv(ctx, "C1")
    rows = _rows(content)
    assert count == len(rows) == 7
    assert tuple(rows[0]) == EXPORT_COLUMNS
    news = next(r for r in rows if r["title"] == "Worms in the news")
    assert news == {
        "identifiers": "doi:10.1234/worms", "item_title": "Deep-sea worms", "source": "feeds", "site": "",
        "kind": "news", "title": "Worms in the news", "url": "https://example.org/news-1",
        "occurred_at": "", "first_seen_at": "2026-10-18T22:00:00+00:00", "score_weight": "8",
        "collections": "",
    }
    assert all(r["identifiers"] != "doi:10.9999/other" for r in rows)
    week, n = export_csv(ctx, "C1", start="2026-10-18T22:00:00+00:00", end="2026-10-25T23:00:00+00:00")
    assert n == 4


def test_export_defuses_spreadsheet_formulas(ctx: Context) -> None:
    titles = (DATA / "injection-titles.txt").read_text().splitlines()
    with ctx.store.transaction() as db:
        item_id, _ = watch_item(db, "C1", [WORMS], title="=cmd|' /C calc'!A0")
        add_mentions(db, item_id, [mention("feeds", f"x{n}", "news", t) for n, t in enumerate(titles)])
    rows = _rows(export_csv(ctx, "C1")[0])
    assert [r["title"] for r in rows] == ["'" + t for t in titles]
    assert {r["item_title"] for r in rows} == {"'=cmd|' /C calc'!A0"}
    assert csv_cell("10.1/x") == "10.1/x" and csv_cell(None) == ""


def test_export_command_attaches_the_csv(ctx: Context) -> None:
    seed_week(ctx.store)
    with time_machine.travel(datetime(2026, 10, 26, 8, tzinfo=UTC), tick=False):
        reply = dispatch(ctx, "export 7d", channel="C1")
        nothing = dispatch(ctx, "export", channel="C7")
    assert reply.ok and reply.text == "Exported 4 mentions (the last 7 days)."
    [attachment] = reply.files
    assert attachment.filename == "attention-C1-2026-10-26.csv"
    assert len(_rows(attachment.content)) == 4
    assert nothing.ok and not nothing.files and "nothing to export" in nothing.text
    bad = dispatch(ctx, "export forever", channel="C1")
    assert not bad.ok and "use 7d, 30d or 12w" in bad.text


def _recent_store(path: Path) -> None:
    """Data relative to the real clock, for processes and SQL that use 'now'."""
    from storage import open_store

    store = open_store(path)
    recent = (datetime.now(UTC) - timedelta(days=1)).isoformat(timespec="seconds")
    with store.transaction() as db:
        worms, _ = watch_item(db, "C1", [WORMS], title="Deep-sea worms")
        watch_item(db, "C1", [GLACIER], title="Glacier data")
        add_mentions(db, worms, [mention("wikipedia", "w1", "wikipedia"), mention("feeds", "n1", "news")], seen_at=recent)
        add_mentions(db, worms, [mention("feeds", "old", "blog")], seen_at="2020-01-01T00:00:00+00:00")
    store.close()


def test_datasette_canned_queries_run_on_a_fresh_store(fresh_store: Store) -> None:
    _recent_store(Path(fresh_store.path))
    # An old Wikipedia link found by the first poll of worms, two days ago: not "gained".
    earlier = datetime.now(UTC) - timedelta(days=2)
    with time_machine.travel(earlier, tick=False), fresh_store.transaction() as db:
        add_mentions(db, 1, [mention("wikipedia", "w0", "wikipedia")])
        polls.set_baseline(db, 1, "wikipedia")
    meta = yaml.safe_load((ROOT / "datasette.yml").read_text())
    queries = meta["databases"]["attention"]["queries"]
    assert set(queries) == {"top_items_this_week", "mentions_by_source", "items_never_mentioned"}
    conn = sqlite3.connect(fresh_store.path)
    conn.row_factory = sqlite3.Row
    results = {name: [dict(r) for r in conn.execute(q["sql"]).fetchall()] for name, q in queries.items()}
    assert all(q.get("title") for q in queries.values())
    [top] = results["top_items_this_week"]
    assert (top["item"], top["new_mentions"], top["score_gained"]) == ("Deep-sea worms", 2, 11)
    by_source = {r["source"]: (r["mentions"], r["last_7_days"]) for r in results["mentions_by_source"]}
    assert by_source == {"feeds": (2, 1), "wikipedia": (2, 2)}
    [never] = results["items_never_mentioned"]
    assert (never["title"], never["identifiers"], never["channels"]) == ("Glacier data", "doi:10.5555/glacier", "C1")
    conn.close()


def test_cli_summary_prints_and_posts_and_export_writes(tmp_path: Path) -> None:
    _recent_store(tmp_path / "attention.db")
    shown = run_cli(tmp_path, "summary", "--channel", "C1", "--period", "7d")
    assert shown.returncode == 0, shown.stderr
    assert "Attention summary for C1" in shown.stdout
    assert "2 new mentions, 1 item with attention" in shown.stdout
    assert "Newly watched (2):" in shown.stdout
    bad = run_cli(tmp_path, "summary", "--channel", "C1", "--period", "week")
    assert bad.returncode == 1 and "use 7d, 30d or 12w" in bad.stderr
    posted = run_cli(tmp_path, "summary", "--channel", "C1", "--period", "7d", "--post")
    assert posted.returncode == 0, posted.stderr
    assert "[#C1] Attention summary for C1" in posted.stdout  # the console is the chat
    (chart,) = (tmp_path / "attention-files").glob("attention-*.png")  # ATTENTION_FILES_DIR
    assert f"saved to {chart}" in posted.stdout
    weekly = [run_cli(tmp_path, "summary", "--channel", "C1", "--post", ATTENTION_SUMMARY_POST_EMPTY="true")
              for _ in range(2)]
    assert "Posted the summary of" in weekly[0].stdout, weekly[0].stderr
    assert "for C1 was already posted: not posted again" in weekly[1].stdout
    out = tmp_path / "mentions.csv"
    exported = run_cli(tmp_path, "export", "--channel", "C1", "--out", str(out))
    assert exported.returncode == 0, exported.stderr
    assert f"Wrote 3 mentions of C1 to {out}." in exported.stdout
    assert len(_rows(out.read_bytes())) == 3


def test_export_titles_are_the_posts_own_with_where_they_appeared_beside(ctx: Context) -> None:
    from core.models import Identifier, Mention
    from storage.mentions import add_mentions
    from storage.watches import watch_item

    with ctx.store.transaction() as db:
        item, _ = watch_item(db, "C1", [Identifier(scheme="doi", value="10.1/x")])
        add_mentions(db, item, [Mention(source="wikipedia", external_id="en:7", title="Salt marsh",
                                        site="en.wikipedia", kind="wikipedia")])
    (row,) = _rows(export_csv(ctx, "C1")[0])
    assert (row["source"], row["site"], row["title"]) == ("wikipedia", "en.wikipedia", "Salt marsh")
