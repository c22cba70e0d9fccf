"""The Chinese web UI (server-rendered; CSRF-protected forms)."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from flask import Blueprint, make_response, redirect, render_template, request, send_from_directory, url_for
from flask_login import login_required
from flask_wtf.csrf import generate_csrf
from marshmallow import Schema, ValidationError, fields, validate
from werkzeug.wrappers import Response

from api.auth import begin_session, end_session
from api.db import db_session
from api.messages import translate_message
from mediation.accounts import throttle
from mediation.accounts.users import authenticate

bp = Blueprint("web", __name__, template_folder="templates")

LABELS = {"username": "用户名", "password": "密码"}


class LoginForm(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(required=True, validate=validate.Length(min=1, max=256))


@bp.app_context_processor
def _inject() -> dict[str, Any]:
    return {"csrf_token": generate_csrf}


@bp.route("/healthz")
def healthz() -> tuple[dict[str, str], int]:
    """Liveness (no database): also the ceiling endpoint of bench/api_bench.py."""
    return {"status": "ok"}, 200


@bp.route("/favicon.ico")
def favicon() -> Response:
    """The site icon (browsers ask for /favicon.ico even when the pages name the SVG icon)."""
    resp = send_from_directory(Path(__file__).parents[1] / "static" / "ui", "favicon.svg", mimetype="image/svg+xml",
                               max_age=86400)
    return resp


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    error = None
    next_page = safe_next(request.args.get("next"))
    if request.method == "POST":
        from api.auth import csrf

        csrf.protect()
        try:
            form = LoginForm().load({k: request.form.get(k, "") for k in ("username", "password")})
        except ValidationError as exc:
            problems = "；".join(f"{LABELS[field]}：{translate_message(str(m[0]))}" for field, m in exc.messages.items()
                                if isinstance(m, list))
            return render_template("login.html", error=problems, next_page=next_page), 422
        username = form["username"].strip().lower()  # case-insensitive
        password = form["password"]
        session = db_session()
        ip = request.remote_addr or "-"
        try:
            throttle.check_allowed(session, username=username, ip=ip)
        except throttle.TooManyAttempts as exc:
            # the same answer whether or not the username exists: the throttle counts attempts, not accounts
            resp = make_response(render_template("login.html", error=exc.detail, next_page=next_page), 429)
            resp.headers["Retry-After"] = str(exc.extra["retry_after"])
            return resp
        user = authenticate(session, username, password)
        throttle.record(session, username=username, ip=ip, success=user is not None)
        if user is not None:
            begin_session(user)
            return redirect(next_page or url_for("web.index"))
        error = "用户名或密码错误"
    return render_template("login.html", error=error, next_page=next_page), (401 if error else 200)


def safe_next(value: str | None) -> str | None:
    """Where to go after login: a page of this site's UI (``/ui…``, as the login redirect names it), else None.
    Anything that could leave the site — another host (``//host``, ``/\\host``, a scheme), control characters,
    an encoded slash or backslash at the start — is ignored, never followed."""
    if not value or len(value) > 512 or any(ord(c) < 32 or ord(c) == 127 for c in value) or "\\" in value:
        return None
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or not (parts.path == "/ui" or parts.path.startswith("/ui/")):
        return None
    if not _plain(parts.path) or not _plain(unquote(parts.path)):
        return None
    return value


def _plain(path: str) -> bool:
    return "//" not in path and "\\" not in path and not any(ord(c) < 32 for c in path)


@bp.route("/logout", methods=["POST"])
def logout() -> Response:
    from api.auth import csrf

    csrf.protect()
    end_session()
    return redirect(url_for("web.login"))


@bp.route("/")
@login_required
def index() -> Response:
    return redirect(url_for("ui.workbench_page"))
