"""The `hoithi` command."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Annotated

import typer

from app.config import Settings, get_settings
from app.db import make_engine, session_scope

cli = typer.Typer(help="hoithi — hội thi trực tuyến", no_args_is_help=True, add_completion=False)
db_cli = typer.Typer(help="Database schema (Alembic migrations)", no_args_is_help=True)
cli.add_typer(db_cli, name="db")


def _settings() -> Settings:
    return get_settings()


@db_cli.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    from app.services import migrate

    engine = make_engine(_settings())
    migrate.upgrade(engine, revision)
    typer.echo(f"database at {revision}: {engine.url.render_as_string(hide_password=True)}")


@db_cli.command("downgrade")
def db_downgrade(revision: Annotated[str, typer.Argument(help="target revision, e.g. base")]) -> None:
    from app.services import migrate

    migrate.downgrade(make_engine(_settings()), revision)
    typer.echo(f"database at {revision}")


@cli.command("create-admin")
def create_admin(
    phone: Annotated[str, typer.Option(help="phone number (login name)")],
    name: Annotated[str, typer.Option(help="full name")],
    password: Annotated[str | None, typer.Option(help="password (asked for if omitted)")] = None,
    unit: Annotated[str | None, typer.Option(help="unit code; default: the first top-level unit")] = None,
    member_code: Annotated[str | None, typer.Option(help="member code; default ADMIN-<phone>")] = None,
) -> None:
    """Create an administrator over a unit subtree (creating a top-level unit if there is none)."""
    from app.errors import AppError
    from app.services import bootstrap

    if password is None:
        password = getpass.getpass("Mật khẩu: ")
    settings = _settings()
    try:
        with session_scope(make_engine(settings)) as session:
            member = bootstrap.create_admin(
                session=session,
                secret=settings.resolved_secret_key(),
                phone=phone,
                full_name=name,
                password=password,
                unit_code=unit,
                member_code=member_code,
            )
            typer.echo(f"admin {member.full_name} ({member.phone}) created")
    except AppError as exc:
        typer.echo(f"error: {exc.message.format(**exc.params)}", err=True)
        raise typer.Exit(2) from None


@cli.command("import-members")
def import_members(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    actor_phone: Annotated[str, typer.Option("--as", help="phone of the organiser/admin importing")],
    initial_password: Annotated[str | None, typer.Option(help="password for new rows without one")] = None,
) -> None:
    """Import members from an .xlsx or .csv file, all or nothing."""
    from app.errors import AppError, ImportFailed
    from app.services.org import member_import as importer
    from app.services.org.access import actor_for
    from app.services.org.auth import find_by_username

    settings = _settings()
    content = file.read_bytes()
    try:
        with session_scope(make_engine(settings)) as session:
            member = find_by_username(session=session, username=actor_phone)
            if member is None:
                typer.echo(f"error: no account {actor_phone}", err=True)
                raise typer.Exit(2)
            actor = actor_for(session=session, member=member, ip="cli")
            rows, _problems = importer.parse(content, file.name)
            with typer.progressbar(length=max(len(rows), 1), label="Đang nhập") as bar:

                def progress(done: int) -> None:
                    bar.update(done - bar.pos)

                result = importer.commit(
                    session=session,
                    actor=actor,
                    content=content,
                    filename=file.name,
                    secret=settings.resolved_secret_key(),
                    initial_password=initial_password,
                    progress=progress,
                )
        typer.echo(f"created {result.created}, updated {result.updated}")
    except ImportFailed as exc:
        for err in exc.errors:
            typer.echo(f"row {err['row']}: {err.get('field') or '-'}: {err['message']}", err=True)
        typer.echo("nothing was written", err=True)
        raise typer.Exit(1) from None
    except AppError as exc:
        typer.echo(f"error: {exc.message.format(**exc.params)}", err=True)
        raise typer.Exit(2) from None


@cli.command("demo")
def demo(if_empty: Annotated[bool, typer.Option("--if-empty", help="do nothing when units already exist")] = False) -> None:
    """Load the demo organisation (Đảng bộ TP. Thủ Dầu Một) and print its credentials."""
    from app.demo import data as demo_data

    settings = _settings()
    with session_scope(make_engine(settings)) as session:
        if if_empty and demo_data.has_data(session=session):
            typer.echo("demo: the database already has data; nothing loaded.")
            typer.echo(demo_data.credentials_text())
            return
        with typer.progressbar(length=1, label="Đang tạo dữ liệu mẫu") as bar:

            def progress(done: int, total: int) -> None:
                bar.length = max(total, 1)
                bar.update(done - bar.pos)

            demo_data.load(session=session, secret=settings.resolved_secret_key(), progress=progress)
    typer.echo(demo_data.credentials_text())


@cli.command("serve")
def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: Annotated[int, typer.Option(help="uvicorn worker processes")] = 1,
    proxy_headers: Annotated[bool, typer.Option(help="trust X-Forwarded-* from --forwarded-allow-ips")] = False,
    forwarded_allow_ips: str = "127.0.0.1",
) -> None:
    """Serve the app with uvicorn; several workers each accept on their own socket (app.serving)."""
    from app import serving

    settings = _settings()
    settings.resolved_secret_key()  # create the key file once, before the workers race for it
    typer.echo(f"hoithi: http://{host}:{port}  (database {settings.database_url.split('@')[-1]})")
    raise typer.Exit(
        serving.serve(
            "app.main:app", host=host, port=port, workers=workers, proxy_headers=proxy_headers, forwarded_allow_ips=forwarded_allow_ips
        )
    )


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
