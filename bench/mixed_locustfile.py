"""The users of the mixed-load bench (``bench/mixed_load.py``), for locust.

Mediators (three in four) look at their workbench and case list, open case pages, record a mediation session
on one of their own cases (REST, with the version they last saw) and download PDFs; supervisors open the
dashboard, the hotspot API, the "today" list and the alerts inbox. Each simulated user signs in once through
the login form (as a browser does) and keeps its session; API calls carry the mediator's token. The accounts,
case ids and document ids come from the JSON file named by ``MIXED_CONFIG``.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import random
import re

from locust import HttpUser, between, task

CONFIG = json.loads(open(os.environ["MIXED_CONFIG"], encoding="utf-8").read())
CHINA = dt.timezone(dt.timedelta(hours=8))
_mediators = itertools.count()
_supervisors = itertools.count()
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def sign_in(user: HttpUser, username: str) -> None:
    page = user.client.get("/login", name="login")
    token = _CSRF.search(page.text)
    assert token, "the login form has no CSRF token"
    resp = user.client.post("/login", name="login", allow_redirects=False,
                            data={"csrf_token": token.group(1), "username": username,
                                  "password": CONFIG["password"]})
    if resp.status_code not in (302, 303):
        raise RuntimeError(f"login of {username} answered {resp.status_code}")


class Mediator(HttpUser):
    weight = 3
    wait_time = between(0.2, 0.8)

    def on_start(self) -> None:
        me = CONFIG["mediators"][next(_mediators) % len(CONFIG["mediators"])]
        self.cases: list[int] = me["cases"]
        self.documents: list[list[int]] = me["documents"]
        self.auth = {"Authorization": f"Bearer {me['token']}"}
        self.versions: dict[int, int] = {}
        sign_in(self, me["username"])

    @task(1)
    def workbench(self) -> None:
        self.client.get("/ui/", name="workbench")

    @task(3)
    def case_list(self) -> None:
        self.client.get("/ui/cases?view=mine", name="case list")

    @task(5)
    def case_page(self) -> None:
        self.client.get(f"/ui/cases/{random.choice(self.cases)}", name="case page")

    @task(2)
    def record_session(self) -> None:
        case_id = random.choice(self.cases[: max(1, len(self.cases) // 2)])
        version = self.versions.get(case_id)
        if version is None:
            got = self.client.get(f"/api/v1/cases/{case_id}", headers=self.auth, name="case (API)")
            version = int(re.sub(r"\D", "", got.headers.get("ETag", "0")) or 0)
        started = (dt.datetime.now(CHINA) - dt.timedelta(hours=1)).replace(microsecond=0)
        body = {"event": "record_session", "version": version,
                "payload": {"started_at": started.isoformat(), "place": "调解室", "attendees": ["申请人", "被申请人"],
                            "record": "双方陈述意见，约定下次调解时间。"}}
        with self.client.post(f"/api/v1/cases/{case_id}/transitions", json=body, headers=self.auth,
                              name="transition", catch_response=True) as resp:
            etag = resp.headers.get("ETag")
            if resp.status_code == 200 and etag:
                self.versions[case_id] = int(re.sub(r"\D", "", etag))
                resp.success()
            else:
                self.versions.pop(case_id, None)
                resp.failure(f"{resp.status_code}: {resp.text[:200]}")

    @task(1)
    def download_pdf(self) -> None:
        if not self.documents:
            return
        case_id, doc_id = random.choice(self.documents)
        self.client.get(f"/api/v1/cases/{case_id}/documents/{doc_id}/pdf", headers=self.auth, name="PDF download")


class Supervisor(HttpUser):
    weight = 1
    wait_time = between(0.5, 1.5)

    def on_start(self) -> None:
        sign_in(self, CONFIG["supervisors"][next(_supervisors) % len(CONFIG["supervisors"])])

    @task(2)
    def dashboard(self) -> None:
        self.client.get("/ui/dashboard", name="dashboard")

    @task(2)
    def hotspots(self) -> None:
        self.client.get("/api/v1/hotspots?by=county", name="hotspot API")

    @task(1)
    def today(self) -> None:
        self.client.get("/ui/today", name="today list")

    @task(1)
    def alerts(self) -> None:
        self.client.get("/ui/alerts", name="alerts inbox")
