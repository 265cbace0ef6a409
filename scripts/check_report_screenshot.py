"""Regenerate docs/images/check-report.png, the README's picture of ``check --html``.

Everything is real: ``sseproto serve`` replays a bundled transcript at its
recorded speed with a 2 s stall and a cut, ``sseproto record`` captures it,
``sseproto check --html`` writes the report, and headless Chromium (Debian's
``chromium`` package) takes the screenshot.

    python scripts/check_report_screenshot.py
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sseproto" / "samples" / "openai-tools.jsonl"
OUT = ROOT / "docs" / "images" / "check-report.png"


def sseproto(*args: str, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "sseproto", *args], cwd=cwd,
                          capture_output=True, timeout=120, check=False)


def main() -> int:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        print("needs chromium (apt-get install -y chromium)", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        server = subprocess.Popen([sys.executable, "-m", "sseproto", "serve", str(SAMPLE),
                                   "--speed", "1", "--fault", "stall:2@1800", "--fault",
                                   "cut:3200", "--port", "0"], stdout=subprocess.PIPE)
        try:
            assert server.stdout is not None
            url = server.stdout.readline().decode().split(" on ")[-1].strip()
            sseproto("record", url + "/v1/chat/completions", "--json",
                     '{"model": "gpt-4o-mini", "stream": true}', "-o", "capture.jsonl",
                     cwd=work)
        finally:
            server.terminate()
            server.wait(timeout=10)
        report = sseproto("check", "capture.jsonl", "--html", "report.html", cwd=work)
        print(report.stdout.decode(), end="")
        subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu",
                        "--disable-background-networking", "--disable-component-update",
                        "--disable-sync", "--no-first-run", f"--user-data-dir={work / 'profile'}",
                        f"--screenshot={OUT}", "--window-size=1200,1330",
                        (work / "report.html").as_uri()], capture_output=True, timeout=120,
                       check=True)
    print(f"wrote {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
