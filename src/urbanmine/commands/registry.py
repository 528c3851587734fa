"""``urbanmine registry init|verify|import|export`` and ``urbanmine serve``.

The database is ``--db URL``, else ``URBANMINE_DATABASE_URL``, else ``sqlite:///urbanmine-registry.db``.
SQLAlchemy, the store and the service are imported inside each command (they take about half a
second to import; ``--help`` needs none of them).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import typer

from urbanmine.commands.common import JsonOpt, err, guarded, out, print_json
from urbanmine.errors import InputError
from urbanmine.registry.errors import RegistryError

registry_app = typer.Typer(
    no_args_is_help=True, help="Passport and chain-of-custody registry (database)."
)
DbOpt = typer.Option(
    None, "--db", help="Database URL (default: URBANMINE_DATABASE_URL or ./urbanmine-registry.db)."
)
ADMIN = "admin"


def _sessions(db: str | None) -> Any:
    from urbanmine.registry.store import make_engine, session_factory

    return session_factory(make_engine(db))


@registry_app.command("init")
@guarded
def init_cmd(db: str | None = DbOpt) -> None:
    """Create or upgrade the schema; on first run create the admin and print its key once (JSON)."""
    from sqlalchemy import select

    from urbanmine.registry.keys import issue_key
    from urbanmine.registry.store import ApiKey, Operator, make_engine, migrate, session_factory

    engine = make_engine(db)
    migrate(engine)
    with session_factory(engine).begin() as s:
        has_admin = s.scalar(select(ApiKey).where(ApiKey.role == "admin")) is not None
        key = None
        if not has_admin:
            if s.get(Operator, ADMIN) is None:
                s.add(Operator(id=ADMIN, name="Registry administrator"))
                s.flush()
            key = issue_key(s, ADMIN, "admin")
    print_json(
        {
            "database": engine.url.render_as_string(hide_password=True),
            "admin_key": key,
            "message": "store the admin key now: it is shown once"
            if key
            else "already initialised; no new key",
        }
    )


@registry_app.command("verify")
@guarded
def verify_cmd(db: str | None = DbOpt, as_json: bool = JsonOpt) -> None:
    """Recompute every battery's and lot's hash chain; exit 0 if intact, 1 listing the breaks."""
    from urbanmine.registry.verify import verify

    with _sessions(db).begin() as s:
        breaks = verify(s)
    if as_json:
        print_json({"intact": not breaks, "breaks": [b.__dict__ for b in breaks]})
    elif not breaks:
        out.print("all chains intact")
    for b in breaks if not as_json else ():
        err.print(f"BREAK {b.subject} event {b.seq}: {b.reason}", markup=False)
    if breaks:
        raise typer.Exit(1)


@registry_app.command("import")
@guarded
def import_cmd(
    file: Path = typer.Argument(
        ..., help="Battery Pass v1.2 JSON: one document or a list of them."
    ),
    operator: str = typer.Option(..., "--operator", help="Responsible operator (must exist)."),
    db: str | None = DbOpt,
) -> None:
    """Register passports from Battery Pass JSON as OPERATOR, all or nothing; prints the ids (JSON)."""
    from urbanmine.registry import service
    from urbanmine.registry.keys import Principal
    from urbanmine.registry.store import Operator

    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise InputError(f"{file}: cannot read JSON ({exc})") from None
    docs = data if isinstance(data, list) else [data]
    imported = []
    try:
        with _sessions(db).begin() as s:
            if s.get(Operator, operator) is None:
                raise InputError(
                    f"operator {operator!r} does not exist; an admin creates it via POST /api/v1/operators"
                )
            who = Principal(operator, "operator")
            for i, doc in enumerate(docs):
                try:
                    passport, _ = service.create_passport(s, who, {"document": doc})
                except RegistryError as exc:
                    raise InputError(f"{file} document {i}: {exc}") from None
                imported.append(passport.id)
    except RegistryError as exc:
        raise InputError(str(exc)) from None
    print_json({"imported": imported})


@registry_app.command("export")
@guarded
def export_cmd(
    ident: str = typer.Argument(..., help="Passport identifier."),
    out_file: Path | None = typer.Option(None, "--out", help="Write here instead of stdout."),
    db: str | None = DbOpt,
) -> None:
    """Write a passport as a Battery Pass v1.2 JSON document (all fields)."""
    from urbanmine.registry import service
    from urbanmine.registry.keys import Principal

    try:
        with _sessions(db).begin() as s:
            doc = service.get_passport(s, Principal(None, "admin"), ident)["document"]
    except RegistryError as exc:
        raise InputError(str(exc)) from None
    if out_file is None:
        print_json(doc)
    else:
        out_file.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")


@guarded
def serve_cmd(
    db: str | None = DbOpt,
    host: str = typer.Option("127.0.0.1", "--host"),
    port: int = typer.Option(8000, "--port"),
    workers: int = typer.Option(
        1, "--workers", min=1, help="server processes (reads stay fast while batches are written)"
    ),
) -> None:
    """Run the registry web service (API under /api/v1, pages at /p/{id} and /operator)."""
    import uvicorn

    from urbanmine.registry.api import create_app
    from urbanmine.registry.store import ENV_URL, database_url, make_engine, migrate

    url = database_url(db)
    migrate(make_engine(url))
    if workers == 1:
        uvicorn.run(create_app(url), host=host, port=port, log_level="info")
        return
    os.environ[ENV_URL] = url  # each worker process builds its own app from the environment
    app = "urbanmine.registry.api:create_app"
    uvicorn.run(app, factory=True, workers=workers, host=host, port=port, log_level="info")
