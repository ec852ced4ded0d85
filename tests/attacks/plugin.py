"""The attack report: which rows of the threat model (docs/threat-model.md) pass.

Every attack test carries ``@pytest.mark.attack("B1", path="cast")``: its row id, and the path
it attacks (``"cast"``: the board's cast path, the ceremony and the tally functions;
``"verify"``: ``verify_record`` / ``evote verify`` on a record into which the bad item was
forced; ``"both"`` for a test that drives the two). The group comes from the test's ``group``
parameter when it has one.

At the end of the run the plugin writes ``attack-report.json`` (in the root directory, or where
``--attack-report`` says) and prints a table: rows passed / total per layer. A row passes when
at least one of its tests ran and none failed; a row with no test is listed as missing. Nothing
is written when no attack test ran.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import pytest

#: The layers of the threat model and their rows (ids are stable: never renumber).
LAYERS: Final[dict[str, str]] = {
    "A": "Group and encoding",
    "B": "Proofs",
    "C": "Ballots and eligibility",
    "D": "Board",
    "E": "Key ceremony",
    "F": "Tally",
    "G": "Verifier",
    "H": "Operations",
}
ROWS: Final[tuple[str, ...]] = (
    *(f"A{i}" for i in range(1, 7)),
    *(f"B{i}" for i in range(1, 9)),
    *(f"C{i}" for i in range(1, 13)),
    *(f"D{i}" for i in range(1, 5)),
    *(f"E{i}" for i in range(1, 7)),
    *(f"F{i}" for i in range(1, 10)),
    *(f"G{i}" for i in range(1, 4)),
    *(f"H{i}" for i in range(1, 5)),
)
PATHS: Final = ("cast", "verify", "both")

_REPORT_KEY = pytest.StashKey["_AttackReport"]()


@dataclass
class _RowTally:
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    paths: set[str] = field(default_factory=set)
    groups: set[str] = field(default_factory=set)
    failures: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.passed > 0 and self.failed == 0


@dataclass
class _AttackReport:
    rows: dict[str, _RowTally] = field(default_factory=lambda: defaultdict(_RowTally))
    seen: set[str] = field(default_factory=set)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--attack-report",
        default="attack-report.json",
        help="where to write the attack report (relative to the root directory)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_REPORT_KEY] = _AttackReport()


def _rows_of(item: pytest.Item) -> list[tuple[str, str, str | None]]:
    return [_row_of(item, marker) for marker in item.iter_markers("attack")]


def _row_of(item: pytest.Item, marker: pytest.Mark) -> tuple[str, str, str | None]:
    if len(marker.args) != 1 or not isinstance(marker.args[0], str):
        raise pytest.UsageError(f"{item.nodeid}: @pytest.mark.attack takes one row id")
    row = marker.args[0]
    if row[:1] not in LAYERS or not row[1:].isdigit():
        raise pytest.UsageError(f"{item.nodeid}: {row!r} is not a row id like 'B1'")
    path = marker.kwargs.get("path", "cast")
    if path not in PATHS:
        raise pytest.UsageError(f"{item.nodeid}: path {path!r} is not one of {PATHS}")
    group = None
    callspec = getattr(item, "callspec", None)
    if callspec is not None:
        chosen = callspec.params.get("group")
        group = getattr(chosen, "name", None) if chosen is not None else None
    return row, path, group


_PROPERTY: Final = "evote-attack-rows"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # The rows travel with each test's report (user_properties): under pytest-xdist the workers
    # collect and run the tests, and only their reports reach the process that writes the table.
    for item in items:
        found = _rows_of(item)
        if found:
            item.user_properties.append((_PROPERTY, [list(row) for row in found]))


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    # The config is not passed to this hook; the stash is reached through the plugin manager.
    config = _CONFIG.get("config")
    if config is None or hasattr(config, "workerinput"):
        return  # a pytest-xdist worker: the controller records its reports
    attack = config.stash[_REPORT_KEY]
    for name, rows in report.user_properties:
        if name == _PROPERTY:
            for row, path, group in rows:
                _record(attack, report, row, path, group)


def _record(
    attack: _AttackReport, report: pytest.TestReport, row: str, path: str, group: str | None
) -> None:
    tally = attack.rows[row]
    key = f"{row}:{report.nodeid}"
    if report.failed:
        if key not in attack.seen:
            tally.failed += 1
            tally.failures.append(report.nodeid)
        attack.seen.add(key)
        return
    if report.skipped:
        tally.skipped += 1
        return
    if report.when == "call" and report.passed:
        tally.passed += 1
        tally.paths.add(path)
        if group is not None:
            tally.groups.add(group)


_CONFIG: dict[str, pytest.Config] = {}


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    _CONFIG["config"] = session.config


def _summary(report: _AttackReport) -> dict[str, Any]:
    layers = []
    for letter, name in LAYERS.items():
        rows = [row for row in ROWS if row.startswith(letter)]
        rows += sorted(r for r in report.rows if r.startswith(letter) and r not in rows)
        entries: list[dict[str, Any]] = []
        for row in rows:
            tally = report.rows.get(row)
            if tally is None:
                entries.append({"row": row, "status": "missing"})
                continue
            paths = set(tally.paths)
            if "both" in paths:
                paths |= {"cast", "verify"}
            entries.append(
                {
                    "row": row,
                    "status": "passed" if tally.ok else "failed",
                    "tests_passed": tally.passed,
                    "tests_failed": tally.failed,
                    "tests_skipped": tally.skipped,
                    "paths": sorted(paths - {"both"}),
                    "groups": sorted(tally.groups),
                    "failures": tally.failures,
                }
            )
        passed = sum(1 for entry in entries if entry["status"] == "passed")
        layers.append(
            {
                "layer": letter,
                "name": name,
                "passed": passed,
                "total": len(entries),
                "rows": entries,
            }
        )
    return {
        "format": "evote-attack-report",
        "version": 1,
        "rows_passed": sum(layer["passed"] for layer in layers),
        "rows_total": sum(layer["total"] for layer in layers),
        "layers": layers,
    }


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    report = config.stash[_REPORT_KEY]
    if not report.rows:
        return
    summary = _summary(report)
    out = Path(config.getoption("--attack-report"))
    if not out.is_absolute():
        out = Path(config.rootpath) / out
    out.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    write = terminalreporter.write_line
    terminalreporter.section("attack report (docs/threat-model.md)")
    write(f"{'layer':<28} {'rows passed':>11}   rows not passing")
    for layer in summary["layers"]:
        bad = [
            f"{entry['row']}({entry['status']})"
            for entry in layer["rows"]
            if entry["status"] != "passed"
        ]
        label = f"{layer['layer']} {layer['name']}"
        write(f"{label:<28} {layer['passed']:>5} / {layer['total']:<3}   {' '.join(bad)}")
    write(f"{'all rows':<28} {summary['rows_passed']:>5} / {summary['rows_total']:<3}")
    write(f"report written to {out}")
