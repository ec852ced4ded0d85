"""The booth's encryption benchmark (bench/cases.js) in headless Chromium.

Bundles bench/cases.js with the locked esbuild, loads it into a blank page of the system's
Chromium (Debian's /usr/bin/chromium, or $EVOTE_CHROMIUM) through Playwright's Python API, and
prints the medians. A browser has no CPU clock: the figures are wall times.

    python booth/bench/chromium.py          # from the repository, with playwright installed
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

BOOTH = Path(__file__).resolve().parents[1]


def main() -> int:
    with tempfile.TemporaryDirectory() as work:
        bundle = Path(work) / "bench.js"
        subprocess.run(
            ["npx", "esbuild", "bench/cases.js", "--bundle", "--format=iife",
             "--global-name=boothBench", f"--outfile={bundle}", "--log-level=warning"],
            cwd=BOOTH, check=True,
        )  # fmt: skip
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=os.environ.get("EVOTE_CHROMIUM") or "/usr/bin/chromium",
                args=["--no-sandbox"],
            )
            page = browser.new_page()
            page.goto("about:blank")
            page.add_script_tag(content=bundle.read_text("utf-8"))
            print(f"Chromium {browser.version} (headless), {os.cpu_count()} cores,"
                  f" load average {os.getloadavg()[0]:.1f}")  # fmt: skip
            lines = page.evaluate(
                "boothBench.runCases(() => performance.now()).map((r) =>"
                " boothBench.describe(r).replace(/, [0-9.]+ ms CPU/, ''))"
            )
            browser.close()
    for line in lines:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
