"""``urbanmine registry init|import|export|verify|operator|key`` and ``urbanmine passport access``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from typer.testing import CliRunner

from registry.registry_helpers import document
from urbanmine.cli import app
from urbanmine.registry.app import create_app
from urbanmine.registry.store import Operator, make_engine, session_factory

runner = CliRunner()


def test_passport_access_json_contract() -> None:
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "urbanmine.cli",
            "passport",
            "access",
            "--role",
            "notified_body",
            "--field",
            "resultOfTestReport",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == {"allowed": True, "annex_xiii_point": "3"}


def test_passport_access_bad_input_exit_2() -> None:
    r = runner.invoke(
        app, ["passport", "access", "--role", "public", "--field", "stateOfHealth", "--json"]
    )
    assert r.exit_code == 2 and "unknown passport field 'stateOfHealth'" in r.output


def test_init_import_export_verify(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'r.db'}"
    first = runner.invoke(app, ["registry", "init", "--db", db])
    assert first.exit_code == 0, first.output
    assert json.loads(first.output)["admin_key"].startswith("um_")
    assert (
        json.loads(runner.invoke(app, ["registry", "init", "--db", db]).output)["admin_key"] is None
    )
    with session_factory(make_engine(db)).begin() as s:
        s.add(Operator(id="acme", name="Acme Cells"))
    docs = [document("urn:acme:c1"), document("urn:acme:c2", category="lmt", mass_kg=4.0)]
    src = tmp_path / "in.json"
    src.write_text(json.dumps(docs))
    r = runner.invoke(app, ["registry", "import", str(src), "--operator", "acme", "--db", db])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output) == {"imported": ["urn:acme:c1", "urn:acme:c2"]}
    out = tmp_path / "out.json"
    assert (
        runner.invoke(
            app, ["registry", "export", "urn:acme:c2", "--out", str(out), "--db", db]
        ).exit_code
        == 0
    )
    exported = json.loads(out.read_text())
    expected = docs[1]
    expected["GeneralProductInformation"]["batteryStatus"] = "Original"
    assert exported == expected
    ok = runner.invoke(app, ["registry", "verify", "--db", db])
    assert ok.exit_code == 0 and "intact" in ok.output
    with make_engine(db).begin() as conn:
        conn.execute(
            text(
                "UPDATE events SET time = '2020-01-01T00:00:00.000000+00:00' WHERE subject_id = 'urn:acme:c1'"
            )
        )
    broken = runner.invoke(app, ["registry", "verify", "--db", db, "--json"])
    assert broken.exit_code == 1
    report = json.loads(broken.output)
    assert report["intact"] is False and report["breaks"][0]["subject"] == "battery urn:acme:c1"


def test_import_refuses_bad_input_with_exit_2(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'r.db'}"
    runner.invoke(app, ["registry", "init", "--db", db])
    src = tmp_path / "in.json"
    src.write_text(json.dumps(document("urn:acme:c1")))
    r = runner.invoke(app, ["registry", "import", str(src), "--operator", "nobody", "--db", db])
    assert r.exit_code == 2 and "operator 'nobody' does not exist" in r.output
    with session_factory(make_engine(db)).begin() as s:
        s.add(Operator(id="acme", name="Acme"))
    bad = document("urn:acme:c3")
    bad["GeneralProductInformation"]["batteryCategory"] = "portable"
    src.write_text(json.dumps([document("urn:acme:c2"), bad]))
    r = runner.invoke(app, ["registry", "import", str(src), "--operator", "acme", "--db", db])
    assert r.exit_code == 2 and "document 1" in r.output and "batteryCategory" in r.output
    # all or nothing: the valid first document was not kept
    assert runner.invoke(app, ["registry", "export", "urn:acme:c2", "--db", db]).exit_code == 2


def _json(args: list[str]) -> Any:
    r = runner.invoke(app, args)
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def test_operators_and_keys_from_the_command_line(tmp_path: Path) -> None:
    """The README flow without curl: init, operator add, key add, import, key list, key revoke."""
    db = f"sqlite:///{tmp_path / 'r.db'}"
    admin_key = _json(["registry", "init", "--db", db])["admin_key"]
    add = ["registry", "operator", "add", "acme", "--name", "Acme Cells", "--urn-prefix", "acme"]
    op = _json([*add, "--db", db])
    assert op == {
        "id": "acme",
        "name": "Acme Cells",
        "urn_prefix": "acme",
        "gbt_manufacturer": None,
    }
    key = _json(
        [
            "registry",
            "key",
            "add",
            "acme",
            "--role",
            "operator",
            "--db",
            db,
            "--expires",
            "2099-01-01",
        ]
    )
    assert key["key"].startswith(f"um_{key['key_id']}_") and key["role"] == "operator"
    assert key["expires_at"] == "2099-01-01T00:00:00+00:00"
    src = tmp_path / "in.json"
    src.write_text(json.dumps([document("urn:acme:c1")]))
    assert _json(["registry", "import", str(src), "--operator", "acme", "--db", db]) == {
        "imported": ["urn:acme:c1"]
    }
    listed = runner.invoke(app, ["registry", "key", "list", "--operator", "acme", "--db", db])
    assert listed.exit_code == 0 and key["key"] not in listed.stdout
    assert [k["key_id"] for k in json.loads(listed.stdout)] == [key["key_id"]]
    everyone = _json(["registry", "key", "list", "--db", db])
    assert {k["operator"] for k in everyone} == {"admin", "acme"}
    assert admin_key not in json.dumps(everyone)
    client = TestClient(create_app(db))
    auth = {"Authorization": f"Bearer {key['key']}"}
    assert client.get("/api/v1/passports/urn:acme:c1/events", headers=auth).status_code == 200
    revoked = _json(["registry", "key", "revoke", key["key_id"], "--db", db])
    assert revoked["key_id"] == key["key_id"] and revoked["revoked_at"] is not None
    assert client.get("/api/v1/passports/urn:acme:c1/events", headers=auth).status_code == 401
    client.close()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["operator", "add", "acme", "--name", "Again"], "already exists"),
        (["operator", "add", "Bad Id", "--name", "x"], "operator id"),
        (["operator", "add", "new", "--name", "x", "--urn-prefix", "Acme:"], "urn_prefix"),
        (["operator", "add", "new", "--name", "x", "--urn-prefix", "acme"], "already registered"),
        (["key", "add", "nobody", "--role", "operator"], "operator 'nobody'"),
        (["key", "add", "acme", "--role", "boss"], "unknown key role 'boss'"),
        (["key", "add", "acme", "--role", "operator", "--expires", "soon"], "expires_at"),
        (["key", "add", "acme", "--role", "operator", "--expires", "2001-01-01"], "future"),
        (["key", "revoke", "0000000000000000"], "not found"),
        (["key", "list", "--operator", "nobody"], "operator 'nobody'"),
    ],
)
def test_operator_and_key_commands_refuse_bad_input_with_exit_2(
    tmp_path: Path, args: list[str], message: str
) -> None:
    db = f"sqlite:///{tmp_path / 'r.db'}"
    _json(["registry", "init", "--db", db])
    _json(
        [
            "registry",
            "operator",
            "add",
            "acme",
            "--name",
            "Acme",
            "--urn-prefix",
            "acme",
            "--db",
            db,
        ]
    )
    r = runner.invoke(app, ["registry", *args, "--db", db])
    assert r.exit_code == 2 and message in r.output, r.output


def test_init_issues_a_new_admin_key_when_every_admin_key_is_revoked(tmp_path: Path) -> None:
    """The way back in for whoever holds the database."""
    db = f"sqlite:///{tmp_path / 'r.db'}"
    first = _json(["registry", "init", "--db", db])["admin_key"]
    assert _json(["registry", "init", "--db", db])["admin_key"] is None
    _json(["registry", "key", "revoke", first.split("_")[1], "--db", db])
    second = _json(["registry", "init", "--db", db])["admin_key"]
    assert second.startswith("um_") and second != first
