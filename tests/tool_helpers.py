"""Running the CLI as a user does: ``python -m sseproto`` in a subprocess, and
``sseproto serve`` in another as the peer."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.helpers import ROOT

PACKAGE_SAMPLES = ROOT / "sseproto" / "samples"
_SECRET_ENV = ("SSEPROTO_API_KEY", "PREDICTIONGUARD_API_KEY")


def environment(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _SECRET_ENV and "PROXY" not in k.upper()}
    env.update(extra or {})
    return env


def cli(*args: str, stdin: bytes = b"", env: dict[str, str] | None = None,
        timeout: float = 60) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "sseproto", *args], input=stdin,
                          capture_output=True, timeout=timeout, check=False,
                          env=environment(env), cwd=ROOT)


def one_line(result: subprocess.CompletedProcess[bytes], code: int) -> str:
    """The single stderr line of a run that exited with ``code``."""
    err = result.stderr.decode()
    assert result.returncode == code, (result.returncode, err)
    assert err.count("\n") == 1 and err.endswith("\n"), err
    assert "Traceback" not in err
    return err


@contextmanager
def serving(path: str | Path, *faults: str) -> Iterator[str]:
    """``sseproto serve PATH --fault ...`` on a free loopback port; yields its URL."""
    args = [sys.executable, "-m", "sseproto", "serve", str(path), "--port", "0"]
    for fault in faults:
        args += ["--fault", fault]
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                               env=environment(), cwd=ROOT)
    try:
        assert process.stdout is not None
        line = process.stdout.readline().decode()
        match = re.search(r"https?://\S+", line)
        assert match, line
        yield match.group(0).rstrip("/")
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()
