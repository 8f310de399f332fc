"""GET /metrics: Prometheus text from what the database and this process know.

Polls, failures, outbox depth and alerts sent are read from the database at each scrape, so
they are right whichever process polled (`run`, or `poll --once` from cron beside `serve`).
Requests and 429s per source count what this process sent; a stream's lag is what the stream
code set in ``ctx.gauges`` (absent until a stream runs in this process).
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from handlers.context import Context
from sources.factory import HttpFactory
from storage import outbox, polls

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class AttentionCollector(Collector):
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def _factories(self) -> list[HttpFactory]:
        found: dict[int, HttpFactory] = {}
        for source in self.ctx.sources:
            http = getattr(source, "http", None)
            if isinstance(http, HttpFactory):
                found[id(http)] = http
        return list(found.values())

    def collect(self) -> Iterator[Metric]:
        db = self.ctx.store.db
        done = CounterMetricFamily("attention_polls", "Polls finished, per source.", labels=["source"])
        failed = CounterMetricFamily("attention_poll_failures", "Polls that failed, per source.", labels=["source"])
        for source, (n, errors) in sorted(polls.poll_totals(db).items()):
            done.add_metric([source], n)
            failed.add_metric([source], errors)
        yield done
        yield failed

        sent = CounterMetricFamily("attention_source_requests", "HTTP requests sent to each source by this process.",
                                   labels=["source"])
        limited = CounterMetricFamily("attention_source_rate_limited",
                                      "HTTP 429 answers from each source to this process.", labels=["source"])
        totals: dict[str, tuple[int, int]] = {}
        for factory in self._factories():
            totals.update(factory.tallies())
        for source, (requests, too_many) in sorted(totals.items()):
            sent.add_metric([source], requests)
            limited.add_metric([source], too_many)
        yield sent
        yield limited

        depth = GaugeMetricFamily("attention_outbox_depth", "Messages not delivered yet (or given up), by status.",
                                  labels=["status"])
        backlog = outbox.backlog(db)
        for status in ("pending", "sending", "held", "failed"):
            depth.add_metric([status], backlog.get(status, 0))
        yield depth

        delivered = CounterMetricFamily("attention_alerts_sent", "Alerts and digests delivered.", labels=["kind"])
        by_kind = outbox.sent_by_kind(db)
        for kind in ("alert", "digest"):
            delivered.add_metric([kind], by_kind.get(kind, 0))
        yield delivered

        lag = GaugeMetricFamily("attention_stream_lag_seconds", "How far each stream is behind its newest event.",
                                labels=["stream"])
        for stream, seconds in sorted(self.ctx.gauges.stream_lags().items()):
            lag.add_metric([stream], seconds)
        yield lag


def metrics_registry(ctx: Context) -> CollectorRegistry:
    """A registry of its own (not the process-wide default), so two apps in one process (tests)
    never register twice."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(AttentionCollector(ctx))
    return registry


def render(registry: CollectorRegistry) -> bytes:
    return generate_latest(registry)
