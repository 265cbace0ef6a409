"""Architecture rules (the docs' "Architecture" page), checked on the source and at import time."""

from __future__ import annotations

import ast
import subprocess
import sys

from tests.helpers import ROOT

PACKAGE = ROOT / "sseproto"
# Modules allowed to do I/O (the docs' "Architecture" page, "Where I/O may live");
# drivers/, adapters/, tools/ (the CLI's layer 7), testing/ and suite/ may too.
IO_ALLOWED = {"client.py", "server.py", "transcript.py", "cli.py", "__main__.py",
              "pytest_plugin.py", "__init__.py", "_async_client.py", "_sync_client.py",
              "_backends.py"}
FORBIDDEN = {"socket", "ssl", "asyncio", "threading", "time", "selectors", "subprocess"}


def imported_modules(path: str) -> set[str]:
    tree = ast.parse((PACKAGE / path).read_text("utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_the_sans_io_core_imports_no_io_modules() -> None:
    core = [p.relative_to(PACKAGE).as_posix() for p in PACKAGE.rglob("*.py")
            if p.parent.name not in ("drivers", "adapters", "tools", "testing", "suite", "contrib")
            and p.name not in IO_ALLOWED]
    assert "_sse.py" in core and "framing/sse.py" in core and "_http.py" in core
    for module in core:
        assert not imported_modules(module) & FORBIDDEN, module


def test_importing_sseproto_imports_no_optional_library() -> None:
    code = ("import sys, sseproto, sseproto.adapters; "
            "print(sorted(m for m in ('hypothesis', 'httpx', 'aiohttp', 'requests', 'trustme')"
            " if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, timeout=60)
    assert result.stdout.strip() == "[]"


def test_no_h11_type_in_the_public_api() -> None:
    import sseproto

    for name in sseproto.__all__:
        obj = getattr(sseproto, name)
        assert "h11" not in getattr(obj, "__module__", ""), name


def test_the_testing_server_imports_without_hypothesis() -> None:
    code = ("import sys; sys.modules['hypothesis'] = None; "  # any import of it now fails
            "from sseproto.testing import serve, replay_server, ServedStream; "
            "import sseproto.pytest_plugin; print('ok')")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60)
    assert result.stdout.strip() == "ok", result.stderr
