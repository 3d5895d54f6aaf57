"""A real MediaWiki for tests: Debian's `mediawiki` package on SQLite, served
by PHP's built-in web server on 127.0.0.1, stood up once per test session.

Install the packages with .ci/install-system.sh. Without them the fixture
skips locally and fails under CI (CI set), so a broken CI image is noticed.
"""
from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx2
import pytest

MW_ROOT = Path(os.environ.get("BRIEFER_MEDIAWIKI_ROOT", "/usr/share/mediawiki"))
STARTUP_TIMEOUT = 60.0


@dataclass(frozen=True)
class Wiki:
    api: str  # http://127.0.0.1:PORT/api.php
    bot_user: str  # "Admin@briefer"
    bot_password: str
    other_user: str  # a second account, for edit conflicts ("Other@briefer")
    other_password: str
    dir: Path
    startup_seconds: float


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _php(env: dict[str, str], *args: str, timeout: float = 120) -> str:
    proc = subprocess.run(
        ["php", *args], env=env, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL
    )
    if proc.returncode != 0:
        pytest.fail(f"php {args[0]} failed ({proc.returncode}): {proc.stdout[-2000:]} {proc.stderr[-2000:]}")
    return proc.stdout


@pytest.fixture(scope="session")
def mediawiki(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Wiki]:
    if not (MW_ROOT / "maintenance" / "install.php").is_file() or shutil.which("php") is None:
        msg = f"MediaWiki not found at {MW_ROOT} (or no php): run .ci/install-system.sh"
        if os.environ.get("CI"):
            pytest.fail(msg, pytrace=False)
        pytest.skip(msg)

    started = time.monotonic()
    wiki_dir = tmp_path_factory.mktemp("mediawiki")
    port = free_port()
    server = f"http://127.0.0.1:{port}"
    env = {**os.environ, "MW_CONFIG_FILE": str(wiki_dir / "LocalSettings.php")}
    maint = MW_ROOT / "maintenance"

    args = [
        str(maint / "install.php"), "--dbtype", "sqlite", "--dbpath", str(wiki_dir / "db"),
        "--dbname", "wiki", "--server", server, "--scriptpath", "", "--confpath", str(wiki_dir),
        "--pass", "Adm1n-" + secrets.token_hex(8),
    ]
    if (MW_ROOT / "extensions" / "Cite" / "extension.json").is_file():
        args += ["--extensions", "Cite"]  # <ref> in sitreps
    _php(env, *args, "Briefer Test Wiki", "Admin")
    with open(wiki_dir / "LocalSettings.php", "a", encoding="utf-8") as f:
        f.write(
            "\n# briefer tests: only logged-in users edit, like a team wiki\n"
            "$wgGroupPermissions['*']['edit'] = false;\n"
            "$wgGroupPermissions['*']['createaccount'] = false;\n"
            "$wgShowExceptionDetails = true;\n"
        )
    grants = "basic,editpage,createeditmovepage,highvolume"
    bot_password = secrets.token_hex(16)  # createBotPassword wants 32 characters
    _php(env, str(maint / "createBotPassword.php"), "--appid", "briefer", "--grants", grants, "Admin", bot_password)
    other_password = secrets.token_hex(16)
    _php(env, str(maint / "createAndPromote.php"), "--bot", "Other", "Oth3r-" + secrets.token_hex(8))
    _php(env, str(maint / "createBotPassword.php"), "--appid", "briefer", "--grants", grants, "Other", other_password)

    log = open(wiki_dir / "php-server.log", "wb")
    proc = subprocess.Popen(
        ["php", "-S", f"127.0.0.1:{port}", "-t", str(MW_ROOT)],
        env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=wiki_dir,
    )
    api = f"{server}/api.php"
    try:
        _wait_ready(api, proc, wiki_dir)
        yield Wiki(api, "Admin@briefer", bot_password, "Other@briefer", other_password, wiki_dir,
                   time.monotonic() - started)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def _wait_ready(api: str, proc: subprocess.Popen[bytes], wiki_dir: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    last = ""
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"php -S exited with {proc.returncode}: {(wiki_dir / 'php-server.log').read_text()[-2000:]}")
        try:
            r = httpx2.get(api, params={"action": "query", "meta": "siteinfo", "format": "json"}, timeout=5)
            if r.status_code == 200 and "query" in r.json():
                return
            last = f"HTTP {r.status_code}: {r.text[:300]}"
        except (httpx2.HTTPError, ValueError) as exc:
            last = repr(exc)
        time.sleep(0.1)
    pytest.fail(f"MediaWiki did not answer at {api} within {STARTUP_TIMEOUT:g}s: {last}")
