"""Benchmark collection and reporting for ``bench/`` (pytest-benchmark).

The suites are named ``bench_*.py`` so that the default ``pytest`` run (``testpaths = ["tests"]``)
never collects them. They run explicitly::

    python -m pytest bench/bench_crypto.py --benchmark-only -q
    python -m pytest bench --benchmark-only -q

A file named on the command line is collected whatever its name; for ``pytest bench`` the hook
below collects the ``bench_*.py`` files of this directory. A benchmark may add a row to the
summary printed at the end (median, the raw-primitive baseline, the overhead ratio and a
target) through the ``bench_report`` fixture.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from pytest_benchmark.fixture import BenchmarkFixture

_REPORT_KEY = pytest.StashKey["list[ReportRow]"]()


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Module | None:
    if (
        file_path.suffix == ".py"
        and file_path.name.startswith("bench_")
        and not parent.session.isinitpath(file_path)
    ):
        module: pytest.Module = pytest.Module.from_parent(parent, path=file_path)
        return module
    return None


@dataclass(frozen=True, slots=True)
class ReportRow:
    name: str
    median_ms: float
    baseline: str
    baseline_ms: float | None
    target_ms: float | None

    @property
    def ratio(self) -> float | None:
        if not self.baseline_ms:
            return None
        return self.median_ms / self.baseline_ms

    @property
    def verdict(self) -> str:
        if self.target_ms is None:
            return ""
        return "ok" if self.median_ms <= self.target_ms else "MISSED"


class BenchReport:
    """Rows for the end-of-run summary; also written to each benchmark's ``extra_info``."""

    def __init__(self, rows: list[ReportRow]) -> None:
        self._rows = rows

    def record(
        self,
        benchmark: BenchmarkFixture,
        *,
        baseline: str = "",
        baseline_ms: float | None = None,
        target_ms: float | None = None,
    ) -> None:
        stats = benchmark.stats
        if stats is None:  # --benchmark-disable: nothing was measured
            return
        median_ms = stats.stats.median * 1000
        row = ReportRow(benchmark.name, median_ms, baseline, baseline_ms, target_ms)
        benchmark.extra_info["median_ms"] = round(median_ms, 4)
        if baseline:
            benchmark.extra_info["raw_baseline"] = baseline
        if baseline_ms is not None:
            benchmark.extra_info["raw_baseline_ms"] = round(baseline_ms, 4)
        if row.ratio is not None:
            benchmark.extra_info["overhead_ratio"] = round(row.ratio, 3)
        if target_ms is not None:
            benchmark.extra_info["target_ms"] = target_ms
            benchmark.extra_info["meets_target"] = row.verdict == "ok"
        self._rows.append(row)


@pytest.fixture(scope="session")
def bench_report(request: pytest.FixtureRequest) -> BenchReport:
    rows = request.config.stash.setdefault(_REPORT_KEY, [])
    return BenchReport(rows)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    rows = terminalreporter.config.stash.get(_REPORT_KEY, [])
    if not rows:
        return
    terminalreporter.write_sep("-", "medians against the raw primitives and the targets")
    width = max(len(row.name) for row in rows)
    terminalreporter.write_line(
        f"{'benchmark':<{width}}  {'median ms':>10}  {'raw ms':>9}  {'ratio':>6}  "
        f"{'target':>7}  verdict  raw baseline"
    )
    for row in rows:
        raw = f"{row.baseline_ms:.4f}" if row.baseline_ms is not None else ""
        ratio = f"{row.ratio:.2f}" if row.ratio is not None else ""
        target = f"{row.target_ms:g}" if row.target_ms is not None else ""
        terminalreporter.write_line(
            f"{row.name:<{width}}  {row.median_ms:>10.4f}  {raw:>9}  {ratio:>6}  "
            f"{target:>7}  {row.verdict:<7}  {row.baseline}"
        )
