"""What every command needs: the database engine and the service environment from the settings (assembled by
:mod:`mediation.wiring`, as the application factory does), and date options."""

from __future__ import annotations

import datetime as dt

import click
from sqlalchemy import Engine

from mediation.runtime.env import EnvFactory
from mediation.runtime.settings import Settings, engine_from_settings
from mediation.wiring import env_factory as build_env_factory


def engine() -> Engine:
    """The engine of ``DATABASE_URL`` (settings read at call time)."""
    return engine_from_settings(Settings.from_env())


def env_factory() -> EnvFactory:
    """The services' environment factory (observers, document producer, clock; settings read at call time)."""
    return build_env_factory(Settings.from_env())


def parse_date(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"日期格式应为 YYYY-MM-DD：{value}") from None
