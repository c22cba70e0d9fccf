"""gunicorn settings for a node: ``gunicorn -c deploy/gunicorn.conf.py "api.app:create_app()"``.

Prometheus in multiprocess mode: every gunicorn worker (and every queue worker of the node that shares the
directory) writes its counters to ``PROMETHEUS_MULTIPROC_DIR``; ``/metrics`` adds them up. The directory is
emptied when the master starts and a dead worker's gauges are dropped (``child_exit``).
"""

import os
import shutil
import tempfile

bind = os.environ.get("MEDIATION_BIND", "127.0.0.1:5000")
workers = int(os.environ.get("WEB_CONCURRENCY", os.cpu_count() or 2))
accesslog = os.environ.get("MEDIATION_ACCESS_LOG", None)
# a request's own id in gunicorn's access line too (the app echoes it as X-Request-ID)
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms rid=%({x-request-id}o)s'
timeout = 60
graceful_timeout = 30

os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", os.path.join(tempfile.gettempdir(), f"mediation-prom-{os.getpid()}"))


def on_starting(server):  # noqa: ANN001, ANN201
    path = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path, exist_ok=True)


def child_exit(server, worker):  # noqa: ANN001, ANN201
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
