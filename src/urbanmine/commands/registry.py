"""``urbanmine registry init|verify|anchor|import|export``, ``registry operator add``, ``registry
key add|revoke|list`` and ``urbanmine serve``.

The database is ``--db URL``, else ``URBANMINE_DATABASE_URL``, else ``sqlite:///urbanmine-registry.db``.
SQLAlchemy, the store and the service are imported inside each command (they take about half a
second to import; ``--help`` needs none of them).
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import typer

from urbanmine import jsonbytes
from urbanmine.commands.common import JsonOpt, err, guarded, out, print_json
from urbanmine.errors import InputError
from urbanmine.registry.errors import RegistryError

registry_app = typer.Typer(
    no_args_is_help=True, help="Passport and chain-of-custody registry (database)."
)
operator_app = typer.Typer(no_args_is_help=True, help="Economic operators (as the admin).")
key_app = typer.Typer(no_args_is_help=True, help="API keys (as the admin).")
registry_app.add_typer(operator_app, name="operator")
registry_app.add_typer(key_app, name="key")
DbOpt = typer.Option(
    None, "--db", help="Database URL (default: URBANMINE_DATABASE_URL or ./urbanmine-registry.db)."
)
ADMIN = "admin"
T = TypeVar("T")


def _engine(db: str | None, must_exist: bool = True) -> Any:
    """The engine of ``--db``, connected once so that a database that cannot be opened is one
    message; with ``must_exist`` the database must already hold the registry (``init`` made it)."""
    from sqlalchemy import inspect
    from sqlalchemy.exc import DBAPIError

    from urbanmine.registry.store import checked_url, make_engine

    engine = make_engine(checked_url(db, must_exist))
    shown = engine.url.render_as_string(hide_password=True)
    try:
        with engine.connect() as conn:
            ready = inspect(conn).has_table("alembic_version")
    except DBAPIError as exc:
        raise InputError(f"database {shown!r} cannot be opened: {exc.orig}") from None
    if must_exist and not ready:
        raise InputError(
            f"database {shown!r} holds no registry; create it with `urbanmine registry init --db "
            "URL`"
        )
    return engine


def _sessions(db: str | None) -> Any:
    from urbanmine.registry.store import session_factory

    return session_factory(_engine(db))


@registry_app.command("init")
@guarded
def init_cmd(db: str | None = DbOpt) -> None:
    """Create or upgrade the schema; when no admin key works (first run, or every admin key
    revoked or expired) create one and print it once (JSON)."""
    from sqlalchemy import select

    from urbanmine.registry.keys import issue_key, usable
    from urbanmine.registry.store import ApiKey, Operator, migrate, now, session_factory

    engine = _engine(db, must_exist=False)
    migrate(engine)
    with session_factory(engine).begin() as s:
        admins = s.scalars(select(ApiKey).where(ApiKey.role == "admin"))
        has_admin = any(usable(row, now()) is None for row in admins)
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


def _as_admin(db: str | None, fn: Callable[[Any, Any], T]) -> T:
    """Run ``fn(session, admin principal)`` in one transaction on ``--db``: whoever holds the
    database is its admin. Any refusal is bad input (exit 2)."""
    from urbanmine.registry.keys import Principal

    try:
        with _sessions(db).begin() as s:
            return fn(s, Principal(ADMIN, "admin"))
    except RegistryError as exc:
        raise InputError(str(exc)) from None


@operator_app.command("add")
@guarded
def operator_add_cmd(
    ident: str = typer.Argument(..., help="Lower-case operator id, e.g. acme-cells."),
    name: str = typer.Option(..., "--name", help="The operator's name."),
    urn_prefix: str | None = typer.Option(
        None, "--urn-prefix", help="Namespace of the urn:<prefix>:<id> identifiers it alone issues."
    ),
    gbt_manufacturer: str | None = typer.Option(
        None,
        "--gbt-manufacturer",
        help="GB/T 34014 manufacturer code (3 characters) it alone uses.",
    ),
    db: str | None = DbOpt,
) -> None:
    """Register an economic operator; prints it (JSON)."""
    from urbanmine.registry import service

    spaces = {"urn_prefix": urn_prefix, "gbt_manufacturer": gbt_manufacturer}
    print_json(
        _as_admin(
            db,
            lambda s, p: service.operator_view(service.create_operator(s, p, ident, name, spaces)),
        )
    )


@key_app.command("add")
@guarded
def key_add_cmd(
    operator: str = typer.Argument(..., help="The operator the key acts for."),
    role: str = typer.Option(
        ...,
        "--role",
        help="admin, operator, legitimate_interest, notified_body, market_surveillance or "
        "commission.",
    ),
    expires: str | None = typer.Option(
        None,
        "--expires",
        help="Refuse the key from this date (start of the day, UTC) or ISO 8601 time on.",
    ),
    db: str | None = DbOpt,
) -> None:
    """Issue an API key; prints it once with its key_id (JSON): store it now."""
    from urbanmine.registry import service

    key = _as_admin(db, lambda s, p: service.create_key(s, p, operator, role, expires))
    print_json({**key, "message": "store the key now: it is shown once"})


@key_app.command("revoke")
@guarded
def key_revoke_cmd(
    key_id: str = typer.Argument(..., help="The key's id (the part after um_), see key list."),
    db: str | None = DbOpt,
) -> None:
    """Revoke a key: refused from the next request on, by every server process (JSON)."""
    from urbanmine.registry import service

    print_json(_as_admin(db, lambda s, p: service.revoke_key(s, p, key_id)))


@key_app.command("list")
@guarded
def key_list_cmd(
    operator: str | None = typer.Option(None, "--operator", help="Only this operator's keys."),
    db: str | None = DbOpt,
) -> None:
    """List keys with role, creation, expiry and revocation; never the keys themselves (JSON)."""
    from urbanmine.registry import service

    print_json(_as_admin(db, lambda s, p: service.list_keys(s, p, operator)))


@registry_app.command("verify")
@guarded
def verify_cmd(
    db: str | None = DbOpt,
    against: Path | None = typer.Option(
        None, "--against", help="Anchor file from `registry anchor`: also find rewritten history."
    ),
    as_json: bool = JsonOpt,
) -> None:
    """Recompute every chain and the state it implies; exit 0 if intact, 1 listing the breaks."""
    from urbanmine.registry import anchor
    from urbanmine.registry.verify import verify

    anchored = None
    if against is not None:
        try:
            data = json.loads(against.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InputError(f"anchor {against}: cannot read JSON ({exc})") from None
        anchored = anchor.load(data, anchor.key(), str(against))
    with _sessions(db).begin() as s:
        breaks = verify(s, anchored)
    if as_json:
        report: dict[str, Any] = {"intact": not breaks, "breaks": [b.__dict__ for b in breaks]}
        if anchored is not None:
            report["anchor"] = {"created_at": anchored.created_at, "signed": anchored.signed}
        print_json(report)
    elif not breaks:
        since = f" (and match the anchor of {anchored.created_at})" if anchored else ""
        out.print(f"all chains intact{since}")
    for b in breaks if not as_json else ():
        err.print(f"BREAK {b.subject} event {b.seq}: {b.reason}", markup=False)
    if breaks:
        raise typer.Exit(1)


@registry_app.command("anchor")
@guarded
def anchor_cmd(
    db: str | None = DbOpt,
    out_file: Path | None = typer.Option(None, "--out", help="Write here instead of stdout."),
) -> None:
    """Export every chain's head (seq, hash) with a digest and a UTC time, HMAC-signed when
    URBANMINE_ANCHOR_KEY is set; keep the file outside the database for `verify --against`."""
    from urbanmine.registry import anchor

    if out_file is not None:
        _check_writable(out_file)
    with _sessions(db).begin() as s:
        exported = anchor.export(s, anchor.key())
    if out_file is None:
        print_json(exported)
    else:
        out_file.write_text(json.dumps(exported, separators=(",", ":")) + "\n", encoding="utf-8")


@registry_app.command("import")
@guarded
def import_cmd(
    file: Path = typer.Argument(
        ...,
        help="Battery Pass v1.2 JSON: one document or a list of them (UTF-8, or UTF-16 with a byte-order mark).",
    ),
    operator: str = typer.Option(..., "--operator", help="Responsible operator (must exist)."),
    db: str | None = DbOpt,
) -> None:
    """Register passports from Battery Pass JSON as OPERATOR, all or nothing; prints the ids (JSON)."""
    from urbanmine.registry import service
    from urbanmine.registry.keys import Principal
    from urbanmine.registry.limits import check_json
    from urbanmine.registry.store import Operator

    try:
        data = jsonbytes.loads(file.read_bytes())
    except OSError as exc:
        raise InputError(f"{file}: cannot read JSON ({exc})") from None
    except InputError as exc:
        raise InputError(f"{file}: {exc}") from None
    check_json(data, str(file))  # the API's limits (registry/limits.py)
    docs = data if isinstance(data, list) else [data]
    imported = []
    try:
        with _sessions(db).begin() as s:
            if s.get(Operator, operator) is None:
                raise InputError(
                    f"operator {operator!r} does not exist; create it with `urbanmine registry "
                    "operator add ID --name NAME`"
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

    if out_file is not None:
        _check_writable(out_file)
    try:
        with _sessions(db).begin() as s:
            doc = service.get_passport(s, Principal(None, "admin"), ident)["document"]
    except RegistryError as exc:
        raise InputError(str(exc)) from None
    if out_file is None:
        print_json(doc)
    else:
        out_file.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")


def _check_writable(path: Path) -> None:
    """``--out`` names a file in an existing folder (it may exist and is then replaced)."""
    if path.is_dir():
        raise InputError(f"--out {path}: is a folder; give a file path, e.g. {path / 'out.json'}")
    if not path.parent.is_dir():
        raise InputError(f"--out {path}: the folder {path.parent} does not exist")


def _check_port(host: str, port: int) -> None:
    """Bind ``host:port`` once (as uvicorn will, with SO_REUSEADDR) so that a port in use or a
    host that is not this machine's is one message before the server starts."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except socket.gaierror as exc:
        raise InputError(f"--host {host!r} cannot be resolved: {exc.strerror}") from None
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            raise InputError(
                f"--port {port}: cannot listen on {host}:{port}: {exc.strerror}"
            ) from None


@guarded
def serve_cmd(
    db: str | None = DbOpt,
    host: str = typer.Option("127.0.0.1", "--host"),
    port: int = typer.Option(8000, "--port", min=1, max=65535, help="TCP port, 1-65535."),
    workers: int = typer.Option(
        1, "--workers", min=1, help="server processes (reads stay fast while batches are written)"
    ),
    public_url: str | None = typer.Option(
        None,
        "--public-url",
        help="base URL the passport QR codes link to, e.g. https://passports.example.org "
        "(default: $URBANMINE_PUBLIC_URL, else http://HOST:PORT of this server)",
    ),
) -> None:
    """Run the registry web service (API under /api/v1, pages at /p/{id} and /operator)."""
    import uvicorn

    from urbanmine.registry.app import create_app
    from urbanmine.registry.settings import ENV_PUBLIC_URL
    from urbanmine.registry.settings import public_url as check_public_url
    from urbanmine.registry.store import ENV_URL, migrate

    if public_url is None and not os.environ.get(ENV_PUBLIC_URL):
        local = {"0.0.0.0": "127.0.0.1", "::": "[::1]"}.get(
            host, f"[{host}]" if ":" in host else host
        )
        public_url = f"http://{local}:{port}"
    base_url = check_public_url(public_url)
    _check_port(host, port)
    engine = _engine(db, must_exist=False)
    url = engine.url.render_as_string(hide_password=False)
    migrate(engine)
    if workers == 1:
        uvicorn.run(create_app(url, public_url=base_url), host=host, port=port, log_level="info")
        return
    # each worker process builds its own app from the environment (set only once all is checked)
    os.environ[ENV_PUBLIC_URL] = base_url
    os.environ[ENV_URL] = url
    app = "urbanmine.registry.app:create_app"
    uvicorn.run(app, factory=True, workers=workers, host=host, port=port, log_level="info")
