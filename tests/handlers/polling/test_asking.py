"""Asking sources: health is recorded, repeated failures rest the source, results are filed."""

from __future__ import annotations

from typing import ClassVar

import pytest

from core.models import Count, Identifier, Mention, SourceResult
from handlers.context import Context
from handlers.polling.asking import BackingOff, ask, store_result
from sources.base import Source
from sources.config import SourcesConfig
from sources.errors import BadResponse, SourceUnavailable
from sources.factory import HttpFactory
from storage import counts, items, mentions, state

DOI = Identifier(scheme="doi", value="10.1371/journal.pone.0000030")


class Scripted(Source):
    """Answers with whatever the test queues: a SourceResult or an exception."""

    name = "scripted"
    label = "Scripted"
    schemes: ClassVar[frozenset[str]] = frozenset({"doi"})

    def __init__(self, answers: list[SourceResult | Exception]) -> None:
        config = SourcesConfig()
        super().__init__(config, HttpFactory(config))
        self.answers = answers

    def lookup(self, identifier: Identifier) -> SourceResult:
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def test_success_is_recorded(ctx: Context) -> None:
    src = Scripted([SourceResult(source="scripted")])
    ask(ctx, src, identifier=DOI)
    assert state.get_state(ctx.store.db, "scripted").last_success


def test_three_failures_rest_the_source(ctx: Context) -> None:
    src = Scripted([SourceUnavailable("is unavailable (HTTP 503)", source="scripted")] * 3)
    for _ in range(3):
        with pytest.raises(SourceUnavailable):
            ask(ctx, src, identifier=DOI)
    st = state.get_state(ctx.store.db, "scripted")
    assert st.consecutive_failures == 3 and st.backoff_until
    assert st.last_error == "is unavailable (HTTP 503)"
    with pytest.raises(BackingOff, match="resting after 3 failures"):
        ask(ctx, src, identifier=DOI)


def test_parser_crash_becomes_bad_response(ctx: Context) -> None:
    src = Scripted([KeyError("message")])
    with pytest.raises(BadResponse, match="could not read"):
        ask(ctx, src, identifier=DOI)
    # People read a plain sentence; the exception's name and text are for the log.
    assert state.get_state(ctx.store.db, "scripted").last_error == "gave an answer the bot could not read"


def test_store_result_files_mentions_and_changed_counts(ctx: Context) -> None:
    other = Identifier(scheme="url", value="https://repo.example.edu/item/7")
    with ctx.store.transaction() as db:
        item_id, _ = items.ensure_item(db, [DOI])
        other_id, _ = items.ensure_item(db, [other])
        result = SourceResult(
            source="scripted",
            mentions=(
                Mention(source="scripted", external_id="a", url="https://x.example/a"),
                Mention(source="scripted", external_id="b", identifier=other),
            ),
            counts=(Count(source="scripted", metric="citations", value=4),),
        )
        first = store_result(db, item_id, result)
        again = store_result(db, item_id, result)
    assert [m.external_id for m in first.new_mentions] == ["a", "b"]
    assert again.new_mentions == [] and again.changed_counts == []
    assert [m.external_id for m in mentions.mentions_of(ctx.store.db, other_id)] == ["b"]
    assert counts.latest(ctx.store.db, item_id, "scripted", "citations") == 4
