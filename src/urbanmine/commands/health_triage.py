"""``urbanmine health triage TELEMETRY.parquet``: per-pack decisions (reuse, repurpose, recycle,
insufficient data) with the rule and values behind each, fleet statistics, optionally posted to a
registry and written as the fleet model's second-life share (docs/health-triage.md)."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape

from urbanmine.commands.common import JsonOpt, err, guarded, out, print_json, table
from urbanmine.errors import InputError


def triage_cmd(
    telemetry: Path = typer.Argument(
        ..., help="Telemetry Parquet file (one row per pack and period)."
    ),
    rules: Path | None = typer.Option(
        None, "--rules", help="Triage rules TOML (default: the shipped, sourced rules)."
    ),
    engine: str = typer.Option("duckdb", "--engine", help="duckdb (default) or spark."),
    out_dir: Path | None = typer.Option(
        None, "--out", help="Folder for triage_*.parquet/csv and summary.json."
    ),
    post_to: str | None = typer.Option(
        None, "--post-to", help="Registry address: post diagnosed events (batch API)."
    ),
    api_key: str | None = typer.Option(
        None, "--api-key", envvar="URBANMINE_API_KEY", help="Operator API key for --post-to."
    ),
    key_file: Path | None = typer.Option(
        None, "--key-file", help="File holding the API key (first line) for --post-to."
    ),
    second_life_share: Path | None = typer.Option(
        None,
        "--second-life-share",
        help="Write the repurpose share as a [fleet.second_life] TOML snippet to this file.",
    ),
    as_json: bool = JsonOpt,
) -> None:
    """Triage retired packs from their BMS telemetry into reuse, repurpose or recycle."""
    _run(telemetry, rules, engine, out_dir, post_to, api_key, key_file, second_life_share, as_json)


def _key(api_key: str | None, key_file: Path | None) -> str:
    if api_key and key_file:
        raise InputError("give --api-key (or URBANMINE_API_KEY) or --key-file, not both")
    if key_file is not None:
        try:
            lines = key_file.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as error:
            raise InputError(f"--key-file {key_file}: cannot read it ({error})") from None
        api_key = lines[0].strip() if lines else ""
        if not api_key:
            raise InputError(f"--key-file {key_file}: empty; put the key on its first line")
    if not api_key:
        raise InputError(
            "--post-to needs an operator key: --api-key, URBANMINE_API_KEY or --key-file"
        )
    return api_key


@guarded
def _run(
    telemetry: Path,
    rules_file: Path | None,
    engine: str,
    out_dir: Path | None,
    post_to: str | None,
    api_key: str | None,
    key_file: Path | None,
    second_life_share: Path | None,
    as_json: bool,
) -> None:
    from urbanmine.health import engine as engines
    from urbanmine.health.triage import triage
    from urbanmine.health.triage_report import second_life_toml, summary, tables
    from urbanmine.health.triage_rules import load_rules
    from urbanmine.tables import check_out_dir

    if engine not in engines.ENGINES:
        raise InputError(
            f"--engine {engine!r}: unknown engine; use one of {', '.join(engines.ENGINES)}"
        )
    rules = load_rules(rules_file)
    key = _key(api_key, key_file) if post_to else None
    if out_dir is not None:
        check_out_dir(out_dir)
    if second_life_share is not None and second_life_share.is_dir():
        raise InputError(f"--second-life-share {second_life_share}: is a folder; give a file name")
    from urbanmine.health.telemetry import check_telemetry

    check_telemetry(telemetry)
    with engines.opened(engine) as con:
        result = triage(con.read_parquet(str(telemetry), table_name="telemetry"), rules)
    data = summary(result, str(telemetry), engine, str(rules_file or "shipped triage.toml"))
    if second_life_share is not None:
        second_life_share.write_text(second_life_toml(data, telemetry.name), encoding="utf-8")
    if out_dir is not None:
        _write(tables(result, data), data, out_dir)
    if post_to is not None and key is not None:
        data["posted"] = _post(result, post_to, key)
    if as_json:
        print_json(data)
        return
    _print(data, out_dir, second_life_share)


def _post(result: Any, url: str, key: str) -> dict[str, Any]:
    from urbanmine.health.triage_post import PostError, post

    try:
        return post(result, url, key)
    except PostError as error:
        err.print(f"error: {error}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(error.exit_code) from None


def _write(tabs: dict[str, Any], data: dict[str, Any], target: Path) -> None:
    """Tables and summary.json into a temporary folder beside ``target``, moved in once all are
    written."""
    from urbanmine.tables import write_tables

    staging = Path(tempfile.mkdtemp(prefix=".triage-", dir=target.parent))
    try:
        write_tables(tabs, staging / "tables")
        (staging / "tables" / "summary.json").write_text(
            json.dumps(data, indent=1, allow_nan=False), encoding="utf-8"
        )
        target.mkdir(exist_ok=True)
        for name in sorted(os.listdir(staging / "tables")):
            os.replace(staging / "tables" / name, target / name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _print(data: dict[str, Any], out_dir: Path | None, share: Path | None) -> None:
    t = table("chemistry", "packs", "reuse", "repurpose", "recycle", "insufficient data", "SOH p50")
    groups = {"all": data} | data["by_chemistry"]
    for name, g in groups.items():
        median = g["soh_quantiles"]["q50"]
        t.add_row(
            name,
            str(g["packs"]),
            *(str(g["counts"][d]) for d in ("reuse", "repurpose", "recycle", "insufficient_data")),
            "-" if median is None else f"{median:.3f}",
        )
    out.print(t)
    rules = data["rules"]
    out.print(
        f"rules {rules['version']} ({rules['date']}), engine {data['engine']}", highlight=False
    )
    if out_dir is not None:
        out.print(
            f"wrote triage tables and summary.json to {escape(str(out_dir))}", highlight=False
        )
    if share is not None:
        out.print(f"wrote the second-life share to {escape(str(share))}", highlight=False)
    if "posted" in data:
        p = data["posted"]
        out.print(
            f"posted {p['created']} diagnosed events ({p['replayed']} already stored) in "
            f"{p['batches']} batches",
            highlight=False,
        )
