"""What the risk and hotspot resources share: a blueprint that answers 401 before reading any input,
the raw query string (the services validate it with the documented schema) and China's today."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import request
from flask_smorest import Blueprint

from api.auth import current_actor
from api.db import service_env


def signed_in_blueprint(name: str, description: str) -> Blueprint:
    """A blueprint under ``/api/v1`` whose every operation needs a signed-in user: 401 comes before the
    input is looked at."""
    blp = Blueprint(name, name, url_prefix="/api/v1", description=description)

    @blp.before_request
    def _authenticated() -> None:
        current_actor()

    return blp


def raw_query() -> dict[str, Any]:
    """The query string as given: the service validates it with the same schema as the documentation."""
    return request.args.to_dict()


def today_in_china() -> dt.date:
    return service_env().today()
