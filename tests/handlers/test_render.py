"""Block Kit rendering: outside text cannot ping or forge links; Slack's limits hold."""

from __future__ import annotations

import json

import pytest

from handlers.render import (
    MAX_BLOCKS,
    SECTION_CHARS,
    actions_for_alert,
    context,
    escape_mrkdwn,
    fields,
    header,
    link,
    reply_blocks,
    section,
    truncate_blocks,
)
from handlers.replies import Reply


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("<!channel> read this", "&lt;!channel&gt; read this"),
        ("<!here|here>", "&lt;!here|here&gt;"),
        ("<@U123> you", "&lt;@U123&gt; you"),
        ("<http://evil.example|click>", "&lt;http://evil.example|click&gt;"),
        ("Fish & Chips &amp; more", "Fish &amp; Chips &amp;amp; more"),
    ],
)
def test_outside_text_cannot_ping_or_link(text: str, shown: str) -> None:
    assert escape_mrkdwn(text) == shown
    rendered = json.dumps(reply_blocks(Reply(text=f"Title: {text}")))
    assert "<!" not in rendered and "<http" not in rendered and "<@" not in rendered


def test_a_title_cannot_break_out_of_its_link() -> None:
    text = link("https://example.org/post", "x> <!channel> <http://evil|click")
    assert text.startswith("<https://example.org/post|") and text.count("<") == 1 and text.count(">") == 1


@pytest.mark.parametrize(
    ("doi", "url"),
    [
        ("10.1002/(SICI)1097-4636(199706)35:4<417::AID-JBM1>3.0.CO;2-#",
         "https://doi.org/10.1002/(SICI)1097-4636(199706)35:4%3C417::AID-JBM1%3E3.0.CO%3B2-%23"),
        ("doi:10.1234/a|b", "https://doi.org/10.1234/a%7Cb"),
        ("https://doi.org/10.1234/x;y#z", "https://doi.org/10.1234/x%3By%23z"),
        ("https://doi.org/10.1234/already%3Cencoded%3E", "https://doi.org/10.1234/already%3Cencoded%3E"),
    ],
)
def test_doi_links_resolve_whatever_the_doi_holds(doi: str, url: str) -> None:
    assert link(doi, "the paper") == f"<{url}|the paper>"


def test_other_links_keep_their_fragment_and_escape_ampersands() -> None:
    assert link("https://example.org/a?b=1&c=2#top", "page") == "<https://example.org/a?b=1&amp;c=2#top|page>"


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,x", "", None, "not a url"])
def test_links_that_are_not_web_links_show_only_the_label(url: str | None) -> None:
    assert link(url, "<b>label</b>") == "&lt;b&gt;label&lt;/b&gt;"


def test_long_replies_stay_inside_slacks_limits() -> None:
    lines = [f"  10.1234/item-{i} - a watched paper with a long title " + "x" * 80 for i in range(3000)]
    blocks = reply_blocks(Reply(text="\n".join(["Watched here:", *lines])))
    assert len(blocks) == MAX_BLOCKS
    assert all(len(b["text"]["text"]) <= SECTION_CHARS for b in blocks if b["type"] == "section")
    more = blocks[-1]["elements"][0]["text"]
    assert more.startswith("and ") and more.endswith(" more - use export")
    shown = sum(b["text"]["text"].count("10.1234/item-") for b in blocks if b["type"] == "section")
    assert int(more.split()[1]) == 3000 - shown


def test_short_reply_is_one_section_and_rich_replies_pass_through() -> None:
    assert reply_blocks(Reply(text="Now watching 1 item")) == [section("Now watching 1 item")]
    rich = [header("Weekly summary"), section("*bold*")]
    assert reply_blocks(Reply(text="fallback", blocks=rich)) == rich


def test_truncate_blocks_counts_what_it_cut() -> None:
    blocks = truncate_blocks([section(f"s{i}") for i in range(60)])
    assert len(blocks) == 50 and blocks[-1] == context("and 11 more - use export")


def test_a_long_section_is_clipped_without_cutting_a_link() -> None:
    text = "a" * 2990 + " " + link("https://example.org/x", "label")
    clipped = section(text)["text"]["text"]
    assert len(clipped) <= SECTION_CHARS and "<https" not in clipped and clipped.endswith("…")


def test_fields_and_header_limits() -> None:
    block = fields([("Title <x>", "value"), ("Score", "12")])
    assert block["fields"][0]["text"] == "*Title &lt;x&gt;*\nvalue"
    with pytest.raises(ValueError, match="10 fields"):
        fields([(str(i), "v") for i in range(11)])
    assert len(header("h" * 400)["text"]["text"]) <= 150


def test_alert_buttons_carry_only_the_identifier() -> None:
    block = actions_for_alert("doi:10.1/x")
    assert block is not None
    values = {b["action_id"]: b["value"] for b in block["elements"]}
    assert values == {"attention_details": "doi:10.1/x", "attention_mute": "doi:10.1/x", "attention_unwatch": "doi:10.1/x"}
    # an alert payload works too, and odd characters are quoted for the router
    from_payload = actions_for_alert({"identifier": "10.1/it's"})
    assert from_payload is not None and from_payload["elements"][2]["value"] == "'10.1/it'\"'\"'s'"
    assert actions_for_alert({"identifier": "10.1/" + "x" * 2000}) is None


HOSTILE = "<!channel> Fish & <http://evil.example|click here>"


def test_every_rich_reply_escapes_hostile_titles(ctx) -> None:  # type: ignore[no-untyped-def]
    """An item and a post titled like a ping or a link reach Slack inert, in list, summary and top."""
    from bot.slack import message_payload
    from core.models import Identifier, Mention
    from handlers.router import dispatch
    from storage.mentions import add_mentions
    from storage.watches import watch_item

    with ctx.store.transaction() as db:
        item_id, _ = watch_item(db, "C1", [Identifier(scheme="doi", value="10.1234/x<y>")], title=HOSTILE)
        add_mentions(db, item_id, [Mention(source="feeds", external_id="p1", kind="blog", title=HOSTILE,
                                           url="https://blog.example/p?a=1&b=<2>")])
    for command in ("list", "summary 7d", "top"):
        reply = dispatch(ctx, command, channel="C1", user="U1")
        assert reply.ok, reply.text
        payload = json.dumps(message_payload(reply))
        assert "&lt;!channel&gt;" in payload or "10.1234/x&lt;y&gt;" in payload, command  # shown, escaped
        assert "<!channel>" not in payload and "<http://evil" not in payload, command
        assert "Fish & " not in payload and "x<y>" not in payload, command


def test_every_builder_gives_blocks_slack_sdk_accepts() -> None:
    """The handlers build plain dicts (they never import Slack's libraries); Slack's own models
    must read each one back unchanged, long inputs included."""
    from slack_sdk.models.blocks import Block as SlackBlock

    from handlers.render import actions, button, context, fields, header, section

    long = "x" * 5000
    built = [
        section(long, block_id="b1"), section("short"), fields([("a", long), ("b", "c")], text_mrkdwn=long),
        context(long), header(long),
        actions("acts", [button("Go " + long, action_id="attention_go", value="lookup x", style="danger",
                                confirm=("Sure? " + long, long, "Yes " + long, "No " + long))]),
    ]
    alert = actions_for_alert("doi:10.1/x")
    assert alert is not None
    for block in [*built, alert]:
        parsed = SlackBlock.parse(block)
        assert parsed is not None
        parsed.validate_json()  # raises on any limit Slack enforces
        assert parsed.to_dict() == block
