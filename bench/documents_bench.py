"""Benchmark: official documents (issue 4).

Run:  python bench/documents_bench.py [--renders 30] [--parallel 60] [--memory 500]

Builds a realistic mediation agreement (two pages, Chinese, amounts in capitals) from a case on a
temporary SQLite database, then measures in the same run:

- the median ms per agreement through this project's renderer (PDF/A-3b, the case snapshot attached,
  metadata, the cached font configuration and print CSS), beside a plain WeasyPrint render of the very same
  HTML and CSS (``HTML(string=...).write_pdf()``, nothing cached, plain PDF);
- the median ms of the whole ``generate`` use case (number allocation, render, SHA-256, store, history);
- PDFs per second with 2 worker processes (each renders its share of ``--parallel`` agreements);
- resident memory of a process after 50 renders and after ``--memory`` renders.

Goals: <= 100 ms median per agreement, >= 20 PDFs/s on 2 cores, memory flat (<= +20%).
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing as mp
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

TODAY = dt.date(2025, 10, 20)


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def build_case(tmp: Path) -> tuple[str, dict[str, Any], Any, Any]:
    """A realistic agreed case; returns the agreement HTML, the render kwargs, the engine and case id."""
    from sqlalchemy.orm import Session

    from documents.builders.common import BuildInput
    from documents.catalogue import CATALOGUE
    from documents.renderer import render_html
    from mediation.cases import service as svc
    from mediation.db import migrate, registry  # noqa: F401
    from mediation.db.engine import make_engine
    from mediation.runtime.env import cached_calendar
    from tests.factories import agreement_payload, application, build_world, drive

    engine = make_engine(f"sqlite:///{tmp / 'bench.sqlite3'}")
    migrate.upgrade(engine)
    with Session(engine, expire_on_commit=False) as s:
        world = build_world(s)
        data = application(world)
        case = svc.create_case(s, actor=world.actor(world.clerk), data=data, env=world.env, today=TODAY)
        case = drive(s, world, case, TODAY, "accept", "record_session")
        payload = agreement_payload(TODAY)
        payload["terms"] = "经本会主持调解，双方当事人在查明事实、分清是非的基础上自愿达成如下协议。"
        payload["obligations"] = [
            {"description": f"第{i}期支付拖欠工资及经济补偿", "claim_type": "wages", "amount": f"{10005.5 + i:.2f}",
             "due_on": (TODAY + dt.timedelta(days=30 * i)).isoformat()} for i in range(1, 2)]
        case = svc.fire_event(s, case_id=case.id, event="sign_agreement", actor=world.actor(world.mediator),
                              payload=payload, env=world.env, today=TODAY)
        kind = CATALOGUE["mediation_agreement"]
        b = BuildInput(session=s, case=case, params={}, today=TODAY, calendar=cached_calendar(s),
                       actor_name="调解员", subject="")
        context = {**kind.builder(b), "number": "（2025）东栅劳调协字第1号"}
        html = render_html(kind.template, context)
        kwargs = {"title": "劳动争议调解协议书", "organisation": context["org"]["name"], "case_number": case.number,
                  "snapshot": context}
        return html, kwargs, engine, (case.id, world.actor(world.mediator))


def plain_weasyprint(html: str) -> bytes:
    from weasyprint import CSS, HTML

    from documents.renderer import TEMPLATES

    css = CSS(string=(TEMPLATES / "print.css").read_text(encoding="utf-8"))
    return HTML(string=html, base_url=str(TEMPLATES) + "/").write_pdf(stylesheets=[css])  # type: ignore[no-any-return]


def ours(html: str, kwargs: dict[str, Any]) -> bytes:
    from documents.renderer import render_pdf

    return render_pdf(html, **kwargs).pdf


def median_ms(fn: Any, n: int) -> float:
    fn()  # warm-up (font configuration, CSS parse)
    times = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def _warm(html: str, kwargs: dict[str, Any]) -> None:
    """Pool initializer: each worker loads its fonts and CSS before the timing starts."""
    ours(html, kwargs)


def _worker(args: tuple[str, dict[str, Any], int]) -> int:
    html, kwargs, count = args
    for _ in range(count):
        ours(html, kwargs)
    return count


def _memory_probe(args: tuple[str, dict[str, Any], int, Any]) -> None:
    html, kwargs, total, conn = args
    for _ in range(50):
        ours(html, kwargs)
    at50 = rss_mb()
    for _ in range(total - 50):
        ours(html, kwargs)
    conn.send((at50, rss_mb()))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--renders", type=int, default=30)
    ap.add_argument("--parallel", type=int, default=60)
    ap.add_argument("--memory", type=int, default=500)
    args = ap.parse_args()

    from documents.renderer import check_fonts

    for w in check_fonts():
        print("WARNING:", w)
    with tempfile.TemporaryDirectory() as tmp:
        html, kwargs, engine, (case_id, actor) = build_case(Path(tmp))
        import io

        from pypdf import PdfReader

        pages = len(PdfReader(io.BytesIO(ours(html, kwargs))).pages)
        print(f"agreement: {pages} pages, {len(ours(html, kwargs)) / 1024:.0f} KiB")

        plain = median_ms(lambda: plain_weasyprint(html), args.renders)
        mine = median_ms(lambda: ours(html, kwargs), args.renders)
        print(f"plain WeasyPrint (same HTML, nothing cached)  median {plain:7.1f} ms")
        print(f"project renderer (PDF/A-3b + snapshot)       median {mine:7.1f} ms   ratio {mine / plain:.2f}")

        from sqlalchemy.orm import Session

        from documents import service

        def full() -> None:
            with Session(engine, expire_on_commit=False) as s:
                service.generate_on_demand(s, actor=actor, case_id=case_id, kind="mediation_agreement", today=TODAY)

        print(f"generate use case (number, render, hash, store) median {median_ms(full, args.renders):7.1f} ms")
        engine.dispose()

    ctx = mp.get_context("fork")
    chunks = max(args.parallel // 5, 2)
    with ctx.Pool(2, initializer=_warm, initargs=(html, kwargs)) as pool:
        pool.map(_worker, [(html, kwargs, 0)] * 4, chunksize=1)  # both workers started and warm
        t = time.perf_counter()
        done = sum(pool.map(_worker, [(html, kwargs, 5)] * chunks, chunksize=1))
        elapsed = time.perf_counter() - t
    print(f"2 processes: {done} agreements in {elapsed:.1f} s = {done / elapsed:.1f} PDFs/s")

    parent, child = ctx.Pipe()
    p = ctx.Process(target=_memory_probe, args=((html, kwargs, args.memory, child),))
    p.start()
    at50, at_end = parent.recv()
    p.join()
    print(f"memory: RSS {at50:.0f} MB after 50 renders, {at_end:.0f} MB after {args.memory} "
          f"({(at_end / at50 - 1) * 100:+.1f}%)")


if __name__ == "__main__":
    main()
