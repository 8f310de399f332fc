"""A source added the way README's "Extending" says: this one module, and one line in
``sources.REGISTRY`` (the test adds the line). Nothing else in the bot names it."""

from __future__ import annotations

from typing import ClassVar

from pydantic import SecretStr

from core.config import setting
from core.models import Count, Identifier, SourceResult
from sources.base import Source, json_object
from sources.config import SourceSettings


class ExampleArchive(Source):
    name = "exarchive"
    label = "Example Archive"
    schemes: ClassVar[frozenset[str]] = frozenset({"doi"})
    kind = "other"
    rate_per_second = 5.0
    concurrency = 1

    class Settings(SourceSettings):
        url: str = setting("https://archive.example.org/api", "Example Archive's API.")
        api_key: SecretStr | None = setting(None, "Example Archive key; without it the source is off.")

    needs = ("api_key",)
    setup_note = "(ask the archive for one)"

    def lookup(self, identifier: Identifier) -> SourceResult:
        url = f"{self.base_url()}/records/{identifier.value}"
        data = json_object(
            self.http.client(self).get_json(url, params={"key": self.secret("api_key")}), source=self.name
        )
        views = Count(source=self.name, metric="views", value=float(data["views"]), api_url=url)
        return SourceResult(source=self.name, counts=(views,))
