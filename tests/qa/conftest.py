"""Fixtures for the QA-defect tests: the API fixtures, the standard world, and a browser-session login."""

from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient

from mediation.db.models import User
from tests.api.conftest import api, app, client, world  # noqa: F401


def ui_get(flask_client: FlaskClient, user: User, url: str) -> Any:
    """Log ``user`` in (a browser session) and GET a page."""
    with flask_client.session_transaction() as sess:
        sess["_user_id"] = str(user.id)
        sess["_fresh"] = True
    r = flask_client.get(url)
    assert r.status_code == 200, r.status_code
    return r


def csrf_token(page: Any) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
    assert m is not None
    return m.group(1)
