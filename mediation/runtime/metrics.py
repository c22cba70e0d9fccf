"""The engine's Prometheus metrics (served at ``/metrics`` by the web app).

Counters and histograms live in the process that counts (a gunicorn worker, a queue worker). Under gunicorn,
``PROMETHEUS_MULTIPROC_DIR`` (set by ``deploy/gunicorn.conf.py`` before anything imports prometheus_client)
makes every process write its values to files that ``/metrics`` adds up; queue workers on the same node
write there too. Figures that belong to the whole installation — queue depth and lag, documents waiting or
failed — are read from the database at scrape time (:class:`DatabaseCollector`), the same on every node.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import Counter, Histogram

HTTP_REQUESTS = Counter("mediation_http_requests_total", "HTTP requests by route, method and status",
                        ["route", "method", "status"])
HTTP_LATENCY = Histogram("mediation_http_request_duration_seconds", "HTTP request latency by route",
                         ["route", "method"],
                         buckets=(0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0))
TRANSITIONS = Counter("mediation_transitions_total", "Case transitions committed, by event", ["event"])
DOCUMENT_RENDERS = Counter("mediation_document_renders_total", "Documents rendered by the queue, by kind and outcome",
                           ["kind", "outcome"])
DOCUMENT_RENDER_SECONDS = Histogram("mediation_document_render_seconds", "Time to render and store one document",
                                    buckets=(0.05, 0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 6.4, 12.8))


class DatabaseCollector:
    """Installation-wide gauges read at scrape time: ``figures()`` → ``{(name, help): [(labels, value)…]}``."""

    def __init__(self, figures: Callable[[], dict[tuple[str, str], list[tuple[dict[str, str], float]]]]) -> None:
        self.figures = figures

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import GaugeMetricFamily

        try:
            figures = self.figures()
        except Exception:  # the database is down: /metrics still answers with the process metrics
            figures = {("mediation_database_up", "The database answered the scrape's query"): [({}, 0.0)]}
        for (name, help_), samples in figures.items():
            labels = sorted({k for lbls, _ in samples for k in lbls})
            family = GaugeMetricFamily(name, help_, labels=labels)
            for lbls, value in samples:
                family.add_metric([lbls.get(k, "") for k in labels], value)
            yield family
