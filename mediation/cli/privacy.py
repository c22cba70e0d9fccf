"""``mediation privacy …``: retention policies, legal holds, the purge (``--dry-run`` first) and the export of
everything stored about one person for an access request. Every change and export is audited
(``privacy_audit``) with the operator named by ``--operator``. Never imports ``api``."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import click
from sqlalchemy.orm import Session

from mediation.cli.common import engine, parse_date


def _fail(exc: Exception) -> click.ClickException:
    return click.ClickException(getattr(exc, "detail", str(exc)))


_operator = click.option("--operator", required=True, help="执行人（记入隐私审计）")


@click.group("privacy", help="个人信息保护：保存期限、保全、到期匿名化、查询本人信息（均记入审计）")
def privacy() -> None:
    pass


@privacy.command("policy", help="显示保存期限规则")
def show_policy() -> None:
    from mediation.privacy.policy import policies

    with Session(engine()) as s:
        for p in policies(s):
            state = "生效" if p.active else "停用"
            click.echo(f"{p.subject}\t{p.action}\t归档后{p.years_after_archive}年\t{','.join(p.fields) or '-'}"
                       f"\t{state}\t{p.note}")


@privacy.command("policy-set", help="修改保存期限规则，如：policy-set parties --years 10")
@click.argument("subject", type=click.Choice(["parties", "documents"]))
@click.option("--years", type=int, default=None, help="归档后保存的年数")
@click.option("--fields", default=None, help="匿名化的字段，逗号分隔（parties）")
@click.option("--active/--inactive", default=None)
@_operator
def policy_set(subject: str, years: int | None, fields: str | None, active: bool | None, operator: str) -> None:
    from mediation.domain.errors import DomainError
    from mediation.privacy.policy import set_policy

    with Session(engine()) as s:
        try:
            p = set_policy(s, subject=subject, actor=operator, years=years, active=active,
                           fields=[f.strip() for f in fields.split(",") if f.strip()] if fields is not None else None)
        except DomainError as exc:
            raise _fail(exc) from exc
        click.echo(f"已更新：{p.subject} 归档后{p.years_after_archive}年，字段 {','.join(p.fields) or '-'}，"
                   f"{'生效' if p.active else '停用'}")


@privacy.command("hold", help="对案件设置保全（到期也不匿名化），CASE 为案件编号或案号")
@click.argument("case")
@click.option("--reason", required=True)
@_operator
def hold(case: str, reason: str, operator: str) -> None:
    from mediation.domain.errors import DomainError
    from mediation.privacy.policy import place_hold

    with Session(engine()) as s:
        try:
            h = place_hold(s, case_ref=case, reason=reason, actor=operator)
        except DomainError as exc:
            raise _fail(exc) from exc
        click.echo(f"已对案件{h.case_id}设置保全：{h.reason}")


@privacy.command("release", help="解除案件保全")
@click.argument("case")
@click.option("--reason", default="")
@_operator
def release(case: str, reason: str, operator: str) -> None:
    from mediation.domain.errors import DomainError
    from mediation.privacy.policy import release_hold

    with Session(engine()) as s:
        try:
            h = release_hold(s, case_ref=case, actor=operator, reason=reason)
        except DomainError as exc:
            raise _fail(exc) from exc
        click.echo(f"已解除案件{h.case_id}的保全")


@privacy.command("holds", help="列出生效的保全")
@click.option("--all", "include_released", is_flag=True, help="包括已解除的")
def list_holds(include_released: bool) -> None:
    from mediation.privacy.policy import holds

    with Session(engine()) as s:
        for h, number in holds(s, include_released=include_released):
            released = f"\t已解除 {h.released_at:%Y-%m-%d}（{h.released_by}）" if h.released_at else ""
            click.echo(f"{number}\t{h.placed_at:%Y-%m-%d}\t{h.placed_by}\t{h.reason}{released}")


@privacy.command("purge", help="按保存期限匿名化到期案件的当事人信息；先用 --dry-run 查看将修改的内容")
@click.option("--dry-run", is_flag=True, help="只报告，不修改")
@click.option("--today", default=None, help="按该日期计算（YYYY-MM-DD，默认今天）")
@click.option("--json", "as_json", is_flag=True, help="以JSON输出报告")
@click.option("--operator", default=None, help="执行人（正式执行时必填，记入隐私审计）")
def purge_command(dry_run: bool, today: str | None, as_json: bool, operator: str | None) -> None:
    from mediation.privacy.purge import purge

    if not dry_run and not operator:
        raise click.UsageError("正式执行须用 --operator 写明执行人（或先用 --dry-run 查看）")
    day = parse_date(today) or dt.date.today()
    with Session(engine()) as s:
        report = purge(s, today=day, actor=operator or "dry-run", dry_run=dry_run)
    if as_json:
        click.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
        return
    if report.policy is None:
        click.echo("当事人信息的保存期限规则未生效：不做任何修改")
        return
    verb = "将匿名化" if dry_run else "已匿名化"
    click.echo(f"{'【试运行，未做任何修改】' if dry_run else ''}归档日期不晚于{report.cutoff}的结案案件："
               f"{verb}{len(report.cases)}件案件的{report.parties}名当事人"
               f"（字段：{', '.join(f'{k} {v}' for k, v in sorted(report.fields.items())) or '无'}；"
               f"历史记录中的姓名{report.events}处）")
    for c in report.cases[:50]:
        click.echo(f"  {c['number']}\t结案{c['closed_on']}\t当事人{c['parties']}名\t{','.join(c['fields'])}")
    if len(report.cases) > 50:
        click.echo(f"  ……另有{len(report.cases) - 50}件")
    if report.held:
        click.echo(f"因保全未处理：{len(report.held)}件（{'、'.join(h['number'] for h in report.held[:20])}）")


@privacy.command("export", help="导出与某人（按身份证号码）有关的全部信息，供本人查询（记入审计）")
@click.option("--id-number", required=True)
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="写入文件（默认输出到屏幕）")
@_operator
def export(id_number: str, output: Path | None, operator: str) -> None:
    from mediation.domain.errors import DomainError
    from mediation.privacy.access_request import export_person

    with Session(engine()) as s:
        try:
            data = export_person(s, id_number=id_number, actor=operator)
        except DomainError as exc:
            raise _fail(exc) from exc
    text = json.dumps(data, ensure_ascii=False, indent=2)
    if output is None:
        click.echo(text)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"已导出{len(data['records'])}条当事人记录到 {output}")


@privacy.command("audit", help="显示隐私审计记录")
@click.option("--limit", type=int, default=50)
def show_audit(limit: int) -> None:
    from sqlalchemy import select

    from mediation.db.models_privacy import PrivacyAudit

    with Session(engine()) as s:
        rows = s.scalars(select(PrivacyAudit).order_by(PrivacyAudit.id.desc()).limit(limit)).all()
        for r in rows:
            detail = json.dumps(r.details, ensure_ascii=False)
            click.echo(f"{r.at:%Y-%m-%d %H:%M}\t{r.action}\t{r.actor}\t{r.case_id or ''}\t{detail[:200]}")
