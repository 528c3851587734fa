"""Progress bars of long runs: on stderr, with and without --json, drawn only on a terminal and
only once a run has lasted ``PROGRESS_DELAY_S``."""

from __future__ import annotations

import io
import subprocess
import sys

import pytest
from rich.console import Console

from urbanmine.commands import common


def bar_output(monkeypatch: pytest.MonkeyPatch, terminal: bool, delay: float) -> str:
    buf = io.StringIO()
    monkeypatch.setattr(common, "err", Console(file=buf, force_terminal=terminal, width=100))
    monkeypatch.setattr(common, "PROGRESS_DELAY_S", delay)
    with common.StderrProgress() as bar:
        bar.update("samples", 5, 10)
        bar.update("samples", 10, 10)
    return buf.getvalue()


def test_a_long_run_draws_its_bar_on_a_terminal(monkeypatch: pytest.MonkeyPatch):
    assert "samples" in bar_output(monkeypatch, terminal=True, delay=0.0)


def test_a_short_run_draws_no_bar(monkeypatch: pytest.MonkeyPatch):
    assert bar_output(monkeypatch, terminal=True, delay=3600.0) == ""


def test_no_bar_when_stderr_is_not_a_terminal(monkeypatch: pytest.MonkeyPatch):
    assert bar_output(monkeypatch, terminal=False, delay=0.0) == ""


def test_a_long_json_run_piped_leaves_stderr_empty():
    r = subprocess.run(
        [sys.executable, "-m", "urbanmine.cli", "flowsheet", "NMC811-cell", "--route", "hydro",
         "--samples", "400000", "--seed", "1", "--json"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert r.returncode == 0 and r.stderr == ""
    assert r.stdout.startswith("{")


def test_closed_loop_monte_carlo_draws_its_bar(monkeypatch: pytest.MonkeyPatch):
    """closed-loop --samples runs the route sample by sample chunk: its bar shows, with --json."""
    from typer.testing import CliRunner

    from urbanmine.cli import app

    buf = io.StringIO()
    monkeypatch.setattr(common, "err", Console(file=buf, force_terminal=True, width=100))
    monkeypatch.setattr(common, "PROGRESS_DELAY_S", 0.0)
    args = ["closed-loop", "NMC622", "--route", "hydro", "--samples", "64", "--seed", "1", "--json"]
    out = CliRunner().invoke(app, args)
    assert out.exit_code == 0, out.output
    assert "samples" in buf.getvalue()
