"""Mutation score of the last `make mutation` run, with message-only mutants counted apart.

Reads mutmut's results under ``mutants/`` (run from the repository root after ``mutmut run``) and
prints, per module and in total, how many mutants the tests killed. A mutant is *message-only* when
the mutated function differs from the original only in string literals that are prose (they
contain a space) or in the arguments of a raised exception: such a mutant changes what a message says, not what
the code decides, and is reported in its own column (issue 11, section 6). Survivors that change
logic are listed by name so that ``mutmut show NAME`` prints their diff.

Usage: ``python bench/mutation_score.py [--survivors]``.
"""

from __future__ import annotations

import ast
import json
import sys
from collections import defaultdict
from pathlib import Path

KILLED = {1, 3, 37}
"""mutmut exit codes that count as killed (test failure, pytest internal error, type check)."""


def _prose_strings(tree: ast.AST) -> list[str]:
    """String constants in ``tree`` that are message text, in walk order."""
    in_raise: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Raise):
            in_raise.update(id(n) for n in ast.walk(node))
    return [
        n.value
        for n in ast.walk(tree)
        if isinstance(n, ast.Constant)
        and isinstance(n.value, str)
        and (" " in n.value or id(n) in in_raise)
    ]


class _Blank(ast.NodeTransformer):
    """Replace every prose string constant, and the arguments of every raised exception, by a
    placeholder."""

    def __init__(self, prose: set[str]) -> None:
        self.prose = prose

    def visit_Raise(self, node: ast.Raise) -> ast.Raise:
        if isinstance(node.exc, ast.Call):
            node.exc.args = [ast.Constant(value="<message>")]
            node.exc.keywords = []
        return node

    def visit_Constant(self, node: ast.Constant) -> ast.Constant:
        if isinstance(node.value, str) and node.value in self.prose:
            return ast.Constant(value="<message>")
        return node


def message_only(original: str, mutant: str) -> bool:
    """Whether two versions of a function differ only in their prose string literals."""
    a, b = ast.parse(original), ast.parse(mutant)
    prose = set(_prose_strings(a)) | set(_prose_strings(b))
    same = ast.dump(_Blank(prose).visit(a)) == ast.dump(_Blank(prose).visit(b))
    return same and ast.dump(ast.parse(original)) != ast.dump(ast.parse(mutant))


def _function_sources(path: Path, name: str) -> tuple[str, str]:
    """(original, mutant) source of the function a mutant belongs to, from mutmut's span index."""
    import libcst as cst
    from mutmut.mutation.diff_apply import read_functions_from_index  # mutmut: a dev dependency

    source_path = Path(*path.parts[1:]).with_suffix("")  # mutants/src/x.py.meta -> src/x.py
    functions = read_functions_from_index(name, source_path)
    if functions is None:
        raise SystemExit(f"no span index for {name}; rerun `make mutation`")
    orig, mut = (cst.Module([f]).code for f in functions)
    return orig, mut


def main(argv: list[str]) -> int:
    metas = sorted(Path("mutants").rglob("*.py.meta"))
    if not metas:
        print("no mutmut results under mutants/; run `make mutation` first", file=sys.stderr)
        return 2
    rows: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    survivors: list[str] = []
    for meta in metas:
        codes = json.loads(meta.read_text())["exit_code_by_key"]
        module = str(Path(*meta.parts[1:]).with_suffix("").with_suffix(""))
        for name, code in codes.items():
            killed = code in KILLED
            if code is None:
                kind = "not_run"
            else:
                orig, mut = _function_sources(meta, name)
                kind = "message" if message_only(orig, mut) else "logic"
            row = rows[module]
            row[f"{kind}_total"] += 1
            row[f"{kind}_killed"] += killed
            if kind == "logic" and not killed:
                survivors.append(name)
    print(f"{'module':45} {'logic killed':>16} {'score':>7} {'message killed':>16}")
    packages: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for module, row in rows.items():
        package = module.rsplit("/", 1)[0]
        for k, v in row.items():
            packages[package][k] += v
        _print_row(module, row)
    for package, row in packages.items():
        _print_row(package, row)
    total: dict[str, int] = defaultdict(int)
    for row in packages.values():
        for k, v in row.items():
            total[k] += v
    _print_row("total", total)
    if total["not_run_total"]:
        print(f"{total['not_run_total']} mutants not run yet")
    if "--survivors" in argv:
        print("\nsurviving logic mutants (mutmut show NAME):")
        for name in survivors:
            print(" ", name)
    return 0


def _print_row(module: str, row: dict[str, int]) -> None:
    lt, lk = row["logic_total"], row["logic_killed"]
    mt, mk = row["message_total"], row["message_killed"]
    score = f"{100 * lk / lt:.1f} %" if lt else "-"
    all_score = f"{100 * (lk + mk) / (lt + mt):.1f} %" if lt + mt else "-"
    print(f"{module:45} {lk:>7} / {lt:<6} {score:>7} {mk:>7} / {mt:<6}  (all: {all_score})")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
