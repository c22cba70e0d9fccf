"""Command line: ``mediation --help``. One module per command group; every command reads the settings
from the environment when it runs."""

from __future__ import annotations

import sys

import click

from mediation.cli import backup, blobs, calendar, db, deadlines, jobs, privacy, risk, seed, tokens, users, workflow


@click.group(help="劳动争议调解案件管理引擎 — labour-dispute mediation engine")
def main() -> None:
    pass


for command in (
    db.db, seed.seed_demo_command, users.create_user_command, users.users, tokens.tokens, workflow.workflow,
    deadlines.deadlines, calendar.calendar_group, jobs.daily, jobs.worker, risk.risk, blobs.blobs, privacy.privacy,
    backup.backup_command, backup.restore_command,
):
    main.add_command(command)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
