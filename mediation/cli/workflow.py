"""``mediation workflow …``: the lifecycle definitions."""

from __future__ import annotations

from pathlib import Path

import click


@click.group("workflow", help="流程定义")
def workflow() -> None:
    pass


@workflow.command("diagram", help="导出流程图（mermaid）")
@click.option("--version", "version", default=None, help="流程定义版本，默认当前版本")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=None)
def workflow_diagram(version: str | None, output: Path | None) -> None:
    from workflows.definitions import CURRENT_VERSION, get_definition
    from workflows.diagram import mermaid

    try:
        text = mermaid(get_definition(version or CURRENT_VERSION))
    except KeyError as exc:
        raise click.ClickException(str(exc)) from exc
    if output:
        output.write_text(text, encoding="utf-8")
        click.echo(f"已写入 {output}")
    else:
        click.echo(text)
