"""``urbanmine registry init|import|export|verify`` and ``urbanmine passport access``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from sqlalchemy import text
from typer.testing import CliRunner

from registry.registry_helpers import document
from urbanmine.cli import app
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
