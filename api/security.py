"""HTTP hardening: the secret key check at start-up, the trusted reverse proxies, and the security headers
of every response (a strict Content-Security-Policy: scripts and styles from this origin only, no inline
script, no inline style attribute, no framing; nothing dynamic stored by caches)."""

from __future__ import annotations

import logging

from flask import Flask, Response, request
from werkzeug.middleware.proxy_fix import ProxyFix

from mediation.runtime.settings import DEV_SECRET_KEY, InsecureConfiguration, Settings, secret_key_problem

log = logging.getLogger("mediation.security")

#: Everything from this origin only. No 'unsafe-inline' and no 'unsafe-eval' anywhere: the pages' scripts are
#: static files (api/static/ui/*.js), data reach them as JSON data blocks or data-* attributes, colours as
#: classes. ``data:`` images: Swagger UI's icons and ECharts' exported pictures.
CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))
PERMISSIONS_POLICY = ("accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), "
                      "payment=(), usb=()")
HSTS = "max-age=31536000; includeSubDomains"


def check_secret_key(app: Flask, settings: Settings) -> None:
    """Outside development the app does not start without a strong ``SECRET_KEY`` (a cookie signed with the
    public development key would be accepted as anyone, an administrator included)."""
    key = app.config.get("SECRET_KEY") or ""
    problem = secret_key_problem(settings.environment, key)
    if problem is not None:
        log.critical("拒绝启动：%s", problem)
        raise InsecureConfiguration(f"拒绝启动：{problem}")
    if key == DEV_SECRET_KEY:
        log.warning("SECRET_KEY 未设置：使用公开的开发密钥（仅限开发环境；MEDIATION_ENV=production 时会拒绝启动）")


def install_proxy_fix(app: Flask, trusted_proxies: int) -> None:
    """Behind ``trusted_proxies`` reverse proxies the client address and scheme come from the last
    ``X-Forwarded-For``/``X-Forwarded-Proto`` entries those proxies appended; with 0 the headers are ignored
    (a client could otherwise pick any address and slip past the login throttle)."""
    if trusted_proxies > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=trusted_proxies, x_proto=trusted_proxies,  # type: ignore[method-assign]
                                x_host=0, x_port=0, x_prefix=0)


def _headers(resp: Response) -> Response:
    h = resp.headers
    h.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    h.setdefault("X-Frame-Options", "DENY")
    h.setdefault("X-Content-Type-Options", "nosniff")
    h.setdefault("Referrer-Policy", "same-origin")  # same-origin: the CSRF check over HTTPS reads the Referer
    h.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
    h.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    h.setdefault("Cross-Origin-Resource-Policy", "same-origin")
    if request.is_secure:
        h.setdefault("Strict-Transport-Security", HSTS)
    _no_store(resp)
    return resp


def _no_store(resp: Response) -> None:
    """Nothing the application itself answers is kept by a browser or proxy cache: pages, API answers, exports
    and PDFs hold personal data, and a cached copy outlives the session (the back button after logout, a shared
    computer's disk cache). A view that chose to be cached (``max-age``: the map outlines, the site icon) and
    the static files keep their own policy."""
    if request.endpoint == "static" and resp.status_code < 400:
        return
    current = resp.headers.get("Cache-Control", "")
    if "max-age" in current or "no-store" in current:
        return
    resp.headers["Cache-Control"] = "private, no-store"


def init_app(app: Flask, settings: Settings) -> None:
    check_secret_key(app, settings)
    install_proxy_fix(app, int(app.config.get("TRUSTED_PROXIES", settings.trusted_proxies)))
    app.after_request(_headers)
