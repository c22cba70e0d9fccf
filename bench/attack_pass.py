"""An outsider's attack pass over a running server (not part of CI): run it against a server on a seeded demo
database (``mediation seed-demo``), e.g. ``gunicorn -c deploy/gunicorn.conf.py "api.app:create_app()"``.

    python bench/attack_pass.py --base http://127.0.0.1:5000 --foreign-admin admin_suzhou:PASSWORD

The demo has two provinces side by side; the pass acts as users of the first (Jiaxing) against the objects of
the second (Suzhou), whose administrator (``--foreign-admin``, created beforehand with ``mediation create-user
--role admin --organisation-id <Suzhou's federation>``) lists its users. It checks:

- another organisation's case, document, party, user, token, alert, signal and session ids on every REST route
  of the served OpenAPI document (with every role) and on the UI pages and forms: never a 2xx, never a 5xx,
  nothing of theirs in the answer, nothing changed;
- forged and tampered session cookies, cookies replayed after logout and after a password change;
- form and API posts without a CSRF token (with a forged one, from another origin);
- hostile input: huge bodies, deep JSON, odd encodings, huge numbers, NUL, surrogates, path tricks, open
  redirects in ``next=``;
- the security headers and ``Cache-Control`` of every kind of answer: pages, error pages, API answers and
  problems, static files, PDFs, exports, redirects.

It prints each finding and, at the end, the number of requests per part and of findings; the exit status is 1
when something was found. It changes the demo data (a document is generated, a password changed and back).
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
import zlib
from collections import Counter
from collections.abc import Callable
from typing import Any

import requests
from flask.json.tag import TaggedJSONSerializer
from itsdangerous import URLSafeTimedSerializer

PASSWORD = "demo-password-2026"
ATTACKERS = {"clerk": "clerk_dongshan", "mediator": "med_dongshan1", "supervisor": "sup_jiaxing", "admin": "admin"}
VICTIMS = {"clerk": "clerk_changqiao", "mediator": "med_changqiao1", "supervisor": "sup_suzhou"}
SECURITY_HEADERS = {"Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy",
                    "Permissions-Policy"}


class Pass:
    def __init__(self, base: str, foreign_admin: tuple[str, str]) -> None:
        self.base = base.rstrip("/")
        self.foreign_admin = foreign_admin
        self.findings: list[tuple[str, str]] = []
        self.requests: Counter[str] = Counter()
        self.part = ""

    # --- plumbing ----------------------------------------------------------------------------------------

    def found(self, kind: str, detail: object) -> None:
        self.findings.append((kind, str(detail)))
        print(f"FINDING [{kind}] {detail}", flush=True)

    def call(self, method: str, path: str, *, via: Any = None, **kw: Any) -> requests.Response:
        self.requests[self.part] += 1
        kw.setdefault("allow_redirects", False)
        kw.setdefault("timeout", 120)
        return (via or requests).request(method, self.base + path, **kw)

    def token(self, username: str, password: str = PASSWORD) -> tuple[dict[str, str], int]:
        r = self.call("POST", "/api/v1/auth/tokens", json={"username": username, "password": password,
                                                           "name": "attack-pass"})
        if r.status_code != 201:
            raise SystemExit(f"cannot log in as {username}: {r.status_code} {r.text[:200]}")
        return {"Authorization": f"Bearer {r.json()['token']}"}, int(r.json()["id"])

    def browser(self, username: str, password: str = PASSWORD) -> requests.Session:
        s = requests.Session()
        token = self.form_token(s, "/login")
        r = self.call("POST", "/login", via=s, data={"username": username, "password": password, "csrf_token": token})
        if r.status_code != 302:
            raise SystemExit(f"cannot log in as {username} through the form: {r.status_code}")
        return s

    def form_token(self, s: requests.Session, path: str) -> str:
        page = self.call("GET", path, via=s).text
        m = re.search(r'name="csrf_token" value="([^"]+)"', page) or re.search(r'name="csrf-token" content="([^"]+)"',
                                                                                 page)
        if m is None:
            raise SystemExit(f"no CSRF token on {path}")
        return m.group(1)

    def me(self, **kw: Any) -> int:
        return self.call("GET", "/api/v1/me", **kw).status_code

    # --- the victims' objects ------------------------------------------------------------------------------

    def victim_ids(self) -> tuple[dict[str, int], list[str]]:
        med, _ = self.token(VICTIMS["mediator"])
        sup, _ = self.token(VICTIMS["supervisor"])
        admin, _ = self.token(*self.foreign_admin)
        _, token_id = self.token(VICTIMS["clerk"])
        cases = self.call("GET", "/api/v1/cases/", headers=med, params={"per_page": 20}).json()["items"]
        case = self.call("GET", f"/api/v1/cases/{cases[0]['id']}", headers=med).json()
        doc = self.call("POST", f"/api/v1/cases/{case['id']}/documents", headers=med, json={"kind": "application"})
        docs = self.call("GET", f"/api/v1/cases/{case['id']}/documents", headers=med).json()
        users = self.call("GET", "/api/v1/users", headers=admin).json()
        alerts = _items(self.call("GET", "/api/v1/risk/alerts", headers=sup).json())
        signals = _items(self.call("GET", "/api/v1/risk/signals", headers=sup).json())
        browser = self.browser(VICTIMS["mediator"])
        sessions = self.call("GET", "/api/v1/me/sessions", via=browser).json()
        ids = {"case_id": case["id"], "party_id": case["parties"][0]["id"], "token_id": token_id,
               "user_id": next(u["id"] for u in users if u["username"] != self.foreign_admin[0]),
               "session_id": sessions[0]["id"]}
        if docs:
            ids["document_id"] = docs[0]["id"]
        else:
            self.found("setup", f"no document for the victim's case ({doc.status_code})")
        if alerts:
            ids["alert_id"] = alerts[0]["id"]
        if signals:
            ids["signal_id"] = signals[0]["id"]
        # words only the victim's case has (not echoed from a query the pass sends itself)
        secrets = [case["title"], *(p["name"] for p in case["parties"] if p.get("role") == "worker")]
        return ids, [s for s in secrets if s]

    # --- parts ---------------------------------------------------------------------------------------------

    def cross_organisation(self) -> None:
        self.part = "cross-organisation"
        ids, secrets = self.victim_ids()
        spec = self.call("GET", "/api/v1/openapi.json").json()
        for role, user in ATTACKERS.items():
            headers, _ = self.token(user)
            for path, item in spec["paths"].items():
                names = re.findall(r"{(\w+)}", path)
                if not names or any(n not in ids for n in names):
                    continue
                url = path
                for n in names:
                    url = url.replace("{" + n + "}", str(ids[n]))
                for method in item:
                    if method not in ("get", "post", "patch", "delete", "put"):
                        continue
                    body: Any = {"event": "withdraw", "payload": {"reason": "x"}} if url.endswith("/transitions") \
                        else {"sha256": "0" * 64} if url.endswith("/verify") else {} if method != "get" else None
                    r = self.call(method.upper(), url, headers={**headers, "If-Match": '"1"'}, json=body)
                    leaked = [s for s in secrets if s in r.text]
                    if r.status_code < 400 or r.status_code >= 500 or leaked:
                        self.found("cross-organisation", f"{role} {method.upper()} {url} → {r.status_code} {leaked}")
            s = self.browser(user)
            token = self.form_token(s, "/ui/")
            pages = [("GET", f"/ui/cases/{ids['case_id']}")] + [
                ("POST", f"/ui/cases/{ids['case_id']}/{p}") for p in ("act/withdraw", "assign", "documents", "parties")]
            if "alert_id" in ids:
                pages += [("POST", f"/ui/alerts/{ids['alert_id']}/{p}") for p in ("acknowledge", "report")]
            if "signal_id" in ids:
                pages.append(("POST", f"/ui/signals/{ids['signal_id']}/convert"))
            for method, url in pages:
                data = {"csrf_token": token, "version": "1", "reason": "x", "kind": "application", "actions": "x",
                        "note": "x"} if method == "POST" else None
                r = self.call(method, url, via=s, data=data)
                leaked = [w for w in secrets if w in r.text]
                if r.status_code >= 500 or leaked or (method == "GET" and r.status_code < 400):
                    self.found("cross-organisation-ui", f"{role} {method} {url} → {r.status_code} {leaked}")
            for q in secrets:
                r = self.call("GET", "/ui/cases", via=s, params={"q": q})
                if f'href="/ui/cases/{ids["case_id"]}"' in r.text:
                    self.found("cross-organisation-search", f"{role} finds the victim's case by {q!r}")
        # nothing changed: the victim's case and alert as they were
        med, _ = self.token(VICTIMS["mediator"])
        case = self.call("GET", f"/api/v1/cases/{ids['case_id']}", headers=med)
        if case.status_code != 200 or case.json()["status"] == "withdrawn":
            self.found("cross-organisation-write", f"victim's case now {case.status_code} {case.text[:100]}")
        if "alert_id" in ids:
            sup, _ = self.token(VICTIMS["supervisor"])
            alert = self.call("GET", f"/api/v1/risk/alerts/{ids['alert_id']}", headers=sup).json()
            if alert.get("acknowledged_by_id") or alert.get("acknowledged_by"):
                by = alert.get("acknowledged_by_id") or alert.get("acknowledged_by")
                if by not in (None, {}):
                    print(f"note: alert {ids['alert_id']} acknowledged by {by} (check it was not the pass)")

    def cookies(self) -> None:
        self.part = "cookies"
        s = self.browser(ATTACKERS["mediator"])
        cookie = s.cookies.get("session") or ""
        for c in s.cookies:
            if not c.has_nonstandard_attr("HttpOnly") or (c.get_nonstandard_attr("SameSite") or "").lower() != "lax":
                self.found("cookie-flags", c.name)
        for i in (5, len(cookie) // 2, len(cookie) - 3):
            tampered = cookie[:i] + ("A" if cookie[i] != "A" else "B") + cookie[i + 1:]
            if self.me(cookies={"session": tampered}) != 401:
                self.found("tampered-cookie", i)
        for key in ("dev-only-secret-change-me", "test", "secret", "changeme"):
            ser = URLSafeTimedSerializer(key, salt="cookie-session", serializer=TaggedJSONSerializer(),
                                         signer_kwargs={"key_derivation": "hmac", "digest_method": hashlib.sha1})
            for user_id in ("6", "6.0000000000000000.x", "1"):
                if self.me(cookies={"session": ser.dumps({"_user_id": user_id, "_fresh": True})}) != 401:
                    self.found("forged-cookie", (key, user_id))
        for junk in ("x" * 4000, "\x00", "..", "eyJ" + "A" * 100, "%00", "{}"):
            for path in ("/api/v1/me", "/ui/"):
                r = self.call("GET", path, headers={"Cookie": "session=" + junk})
                if r.status_code >= 500 or r.status_code == 200:
                    self.found("junk-cookie", (path, junk[:10], r.status_code))
        # replayed after logout
        s = self.browser("med_dongshan2")
        old = s.cookies.get("session")
        self.call("POST", "/logout", via=s, data={"csrf_token": self.form_token(s, "/ui/")})
        if self.me(cookies={"session": old}) != 401:
            self.found("replay-after-logout", "api")
        if self.call("GET", "/ui/cases", cookies={"session": old}).status_code != 302:
            self.found("replay-after-logout", "ui")
        # replayed after a password change (and the password set back)
        s, other = self.browser("clerk_xinjia"), self.browser("clerk_xinjia")
        old = s.cookies.get("session")
        temporary = "Attack-pass-temporary-2027"
        r = self.call("POST", "/api/v1/me/password", via=s, json={"current_password": PASSWORD,
                                                                   "new_password": temporary},
                      headers={"X-CSRFToken": self.form_token(s, "/ui/")})
        if r.status_code != 204:
            self.found("password-change", r.status_code)
            return
        if self.me(cookies={"session": old}) != 401 or self.me(via=other) != 401:
            self.found("replay-after-password-change", "an old session still works")
        if self.me(via=s) != 200:
            self.found("password-change", "the browser that changed it lost its session")
        r = self.call("POST", "/api/v1/me/password", via=s, json={"current_password": temporary,
                                                                   "new_password": PASSWORD},
                      headers={"X-CSRFToken": self.form_token(s, "/ui/")})
        if r.status_code != 204:  # the demo password is a common one: say so, the rest of the pass needs it
            print(f"note: clerk_xinjia keeps {temporary!r} ({r.status_code})")

    def csrf(self) -> None:
        self.part = "csrf"
        s = self.browser(ATTACKERS["mediator"])
        case = self.call("GET", "/api/v1/cases/", via=s, params={"per_page": 1}).json()["items"][0]
        forms = [f"/ui/cases/{case['id']}/{p}" for p in ("act/withdraw", "assign", "documents", "parties")] + [
            "/ui/intake", "/ui/intake/roster", "/ui/signals", "/ui/calculator", "/ui/alerts/1/acknowledge",
            "/ui/alerts/1/report", "/ui/signals/1/convert", "/logout"]
        data = {"version": case["version"], "reason": "撤回", "kind": "application", "note": "x", "actions": "x"}
        for url in forms:
            for headers in ({}, {"X-CSRFToken": "forged"}, {"Origin": "https://evil.example",
                                                             "Referer": "https://evil.example/"}):
                r = self.call("POST", url, via=s, data=data, headers=headers)
                if r.status_code != 400:
                    self.found("csrf-form", (url, headers, r.status_code))
        for method, url in (("POST", "/api/v1/cases/"), ("POST", f"/api/v1/cases/{case['id']}/transitions"),
                            ("POST", "/api/v1/me/password"), ("DELETE", "/api/v1/me/sessions"),
                            ("POST", "/api/v1/enterprises"), ("POST", "/api/v1/auth/logout"),
                            ("POST", "/api/v1/risk/signals")):
            for content_type in ("application/json", "text/plain", "application/x-www-form-urlencoded"):
                r = self.call(method, url, via=s, data='{"event": "withdraw"}', headers={"Content-Type": content_type})
                if r.status_code not in (400, 401, 403):
                    self.found("csrf-api", (method, url, content_type, r.status_code))
            r = self.call(method, url, via=s, json={}, headers={"Authorization": "Bearer lm_made-up"})
            if r.status_code != (204 if url == "/api/v1/auth/logout" else 401):  # an anonymous logout: a no-op
                self.found("csrf-bogus-bearer", (method, url, r.status_code))
        if self.me(via=s) != 200:
            self.found("csrf", "the session ended during the CSRF part")

    def hostile_input(self) -> None:
        self.part = "hostile input"
        headers, _ = self.token(ATTACKERS["clerk"])
        as_json = {**headers, "Content-Type": "application/json"}

        def expect(label: str, r: requests.Response, ok: Callable[[int], bool] = lambda s: 400 <= s < 500) -> None:
            if not ok(r.status_code):
                self.found("hostile-input", (label, r.status_code, r.text[:120]))
            elif r.status_code >= 400 and "/api/" in r.url and r.status_code not in (414, 431) \
                    and "problem+json" not in r.headers.get("Content-Type", ""):
                self.found("hostile-input-not-a-problem", (label, r.status_code))

        bodies: dict[str, bytes] = {
            "huge body": b'{"title":"' + b"a" * (30 << 20) + b'"}',
            "deep arrays": b"[" * 100000 + b"]" * 100000,
            "deep objects": b'{"a":' * 50000 + b"1" + b"}" * 50000,
            "latin-1": b'{"title":"\xe9\xff\xfe"}',
            "byte-order mark": b'\xef\xbb\xbf{"title":"x"}',
            "lone surrogate": b'{"title":"\\ud800"}',
            "NUL": b'{"title":"a\\u0000b"}',
            "NaN": b'{"workers_count": NaN}',
            "huge integer": b'{"workers_count": 1' + b"0" * 5000 + b"}",
            "huge float": b'{"workers_count": 1e999999}',
        }
        for label, body in bodies.items():
            expect(label, self.call("POST", "/api/v1/cases/", headers=as_json, data=body))
        expect("UTF-16", self.call("POST", "/api/v1/cases/", data='{"title":"测试"}'.encode("utf-16"),
                                   headers={**headers, "Content-Type": "application/json; charset=utf-16"}))
        expect("XML entity", self.call("POST", "/api/v1/cases/", headers={**headers, "Content-Type": "application/xml"},
                                       data=b"<!DOCTYPE x [<!ENTITY a SYSTEM 'file:///etc/passwd'>]><x>&a;</x>"))
        expect("gzip", self.call("POST", "/api/v1/cases/", data=zlib.compress(b"[" * 1000000),
                                 headers={**as_json, "Content-Encoding": "gzip"}))
        expect("multipart", self.call("POST", "/api/v1/cases/", data=b"--x\r\n" * 100000,
                                      headers={**headers, "Content-Type": "multipart/form-data; boundary=x"}))
        expect("chunked", self.call("POST", "/api/v1/cases/", data=iter([b'{"title":', b'"x"}']),
                                    headers={**as_json, "Transfer-Encoding": "chunked"}))
        for query in ("/api/v1/cases/?q=%ff%fe%00", "/api/v1/cases/?per_page=1&per_page=2&page=a",
                      "/api/v1/cases/" + "9" * 400, "/api/v1/cases/-1", "/api/v1/hotspots?by=__class__&from=0000-00-00",
                      "/api/v1/hotspots/export.xlsx?by=region&group=%00"):
            expect(query[:40], self.call("GET", query, headers=headers))
        expect("login with lists", self.call("POST", "/api/v1/auth/login", json={"username": ["a"], "password": {}}))
        expect("form login, repeated fields", self.call("POST", "/login", data=[("username", "a"), ("username", "b"),
                                                                               ("password", "c")]))
        for path in ("/static/../api/app.py", "/static/..%2f..%2fapi%2fapp.py", "/static/%2e%2e/%2e%2e/etc/passwd",
                     "/static//etc/passwd", "/ui/dashboard/geo/..%2f..%2fapp.json", "/ui/dashboard/geo/%00.json",
                     "/ui/dashboard/export.exe", "/api/v1/workflows/%00", "/api/v1/cases/1%00", "/%2e%2e/etc/passwd",
                     "/api/v1/workflows/" + "a" * 5000, "/static/"):
            r = self.call("GET", path, headers=headers)
            if r.status_code >= 500 or (r.status_code == 200 and ("import " in r.text or "root:" in r.text)):
                self.found("path", (path, r.status_code))
        anonymous = requests.Session()
        for target in ("//evil.example/", "https://evil.example/", "/\\evil.example", "javascript:alert(1)",
                       "/%2F%2Fevil.example", "/ui//evil.example"):
            token = self.form_token(anonymous, "/login?next=" + requests.utils.quote(target, safe=""))
            r = self.call("POST", "/login?next=" + requests.utils.quote(target, safe=""), via=anonymous,
                          data={"username": "med_xinjia1", "password": PASSWORD, "csrf_token": token})
            location = r.headers.get("Location", "")
            if "evil" in location or location.startswith(("//", "javascript")):
                self.found("open-redirect", (target, location))
        for path in ("//evil.example", "/\\evil.example", "/%5Cevil.example", "/%2F%2Fevil.example"):
            location = self.call("GET", path).headers.get("Location", "")
            if "evil" in location and "next=" not in location:
                self.found("open-redirect", (path, location))

    def headers(self) -> None:
        self.part = "headers"
        supervisor, medi = self.browser(ATTACKERS["supervisor"]), self.browser(ATTACKERS["mediator"])
        bearer, _ = self.token(ATTACKERS["mediator"])
        sup_bearer, _ = self.token(ATTACKERS["supervisor"])
        case = self.call("GET", "/api/v1/cases/", headers=bearer, params={"per_page": 1}).json()["items"][0]
        self.call("POST", f"/api/v1/cases/{case['id']}/documents", headers=bearer, json={"kind": "application"})
        docs = self.call("GET", f"/api/v1/cases/{case['id']}/documents", headers=bearer).json()
        answers: list[tuple[str, requests.Response, bool]] = [
            ("page", self.call("GET", "/ui/", via=medi), True),
            ("case page", self.call("GET", f"/ui/cases/{case['id']}", via=medi), True),
            ("login page", self.call("GET", "/login"), True),
            ("redirect", self.call("GET", "/ui/"), True),
            ("page 404", self.call("GET", "/ui/cases/99999999", via=medi), True),
            ("page 405", self.call("PUT", "/login"), True),
            ("CSRF page", self.call("POST", "/ui/intake", via=medi, data={}), True),
            ("API answer", self.call("GET", "/api/v1/cases/", headers=bearer), True),
            ("API 404", self.call("GET", "/api/v1/cases/99999999", headers=bearer), True),
            ("API 401", self.call("GET", "/api/v1/cases/"), True),
            ("API 413", self.call("POST", "/api/v1/cases/", data=b"[" + b"1," * 9_000_000 + b"1]",
                                  headers={**bearer, "Content-Type": "application/json"}), True),
            ("static file", self.call("GET", "/static/ui/app.css"), False),
            ("static 404", self.call("GET", "/static/ui/nope.js"), True),
            ("site icon", self.call("GET", "/favicon.ico"), False),
            ("health", self.call("GET", "/healthz"), True),
            ("OpenAPI", self.call("GET", "/api/v1/openapi.json"), True),
            ("API docs", self.call("GET", "/api/v1/docs"), True),
            ("export xlsx (API)", self.call("GET", "/api/v1/hotspots/export.xlsx", headers=sup_bearer), True),
            ("export csv (API)", self.call("GET", "/api/v1/hotspots/export.csv", headers=sup_bearer), True),
            ("export csv (page)", self.call("GET", "/ui/dashboard/export.csv", via=supervisor), True),
            ("export xlsx (page)", self.call("GET", "/ui/dashboard/export.xlsx", via=supervisor), True),
            ("export, odd window", self.call("GET", "/ui/dashboard/export.csv?from=2026-01%0d%0aX-A:%201",
                                             via=supervisor), True),
        ]
        if docs:
            answers.append(("PDF", self.call("GET", f"/api/v1/cases/{case['id']}/documents/{docs[-1]['id']}/pdf",
                                             headers=bearer), True))
        for label, r, no_store in answers:
            missing = SECURITY_HEADERS - set(r.headers)
            if missing:
                self.found("headers", (label, r.status_code, sorted(missing)))
            if r.status_code >= 500:
                self.found("headers-5xx", (label, r.status_code))
            if no_store and "no-store" not in r.headers.get("Cache-Control", ""):
                self.found("cache", (label, r.status_code, r.headers.get("Cache-Control")))
            disposition = r.headers.get("Content-Disposition", "")
            if "\r" in disposition or "\n" in disposition or "X-A" in r.headers:
                self.found("download-name", (label, disposition))


def _items(data: Any) -> list[dict[str, Any]]:
    return list(data["items"] if isinstance(data, dict) else data)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", required=True, help="the server, e.g. http://127.0.0.1:5000")
    parser.add_argument("--foreign-admin", required=True, help="USERNAME:PASSWORD of an administrator in Suzhou")
    args = parser.parse_args()
    username, _, password = args.foreign_admin.partition(":")
    p = Pass(args.base, (username, password))
    for part in (p.cross_organisation, p.cookies, p.csrf, p.hostile_input, p.headers):
        part()
    for name, n in p.requests.items():
        print(f"{name}: {n} requests")
    print(f"total: {sum(p.requests.values())} requests, {len(p.findings)} findings")
    sys.exit(1 if p.findings else 0)


if __name__ == "__main__":
    main()
