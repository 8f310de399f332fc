"""Sources' configuration for tests, written the way the settings name things.

``sources_config(urls={"crossref": url}, wikipedia_langs=("en",), altmetric_api_key="k")``:
``urls`` gives a source's base URL by source name, other keywords are either shared fields of
:class:`SourcesConfig` (``timeout``, ``rates`` ...) or a source's own setting under its flat
settings name, exactly as ``bot.settings`` reads it from the environment.
"""

from __future__ import annotations

from typing import Any

import sources
from sources.config import SourcesConfig, flat_name


def sources_config(*, urls: dict[str, str] | None = None, **given: Any) -> SourcesConfig:
    own: dict[str, dict[str, Any]] = {}
    declared = {cls.name: cls.Settings.model_fields for cls in sources.REGISTRY}
    for name, url in (urls or {}).items():
        if "url" in declared.get(name, {"url": None}):  # feeds and Mastodon have no base URL
            own.setdefault(name, {})["url"] = url
    for cls in (*sources.REGISTRY, *sources.STREAMS):
        for field, info in cls.Settings.model_fields.items():
            flat = flat_name(cls.name, field, info)
            if flat in given:
                own.setdefault(cls.name, {})[field] = given.pop(flat)
    unknown = set(given) - set(SourcesConfig.model_fields)
    assert not unknown, f"no source or shared setting is called {sorted(unknown)}"
    return SourcesConfig(settings=own, **given)
