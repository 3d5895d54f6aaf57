import shutil
import socket
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def own_cache_folder(tmp_path, monkeypatch):
    """Every test gets its own platform cache folder: no answer leaks between tests."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))


@pytest.fixture
def no_network(monkeypatch):
    """Any real connection attempt fails: replays must come from cassettes."""

    def refuse(self, address, *args, **kwargs):
        raise OSError(f"network blocked in this test (tried {address!r})")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)


@pytest.fixture
def sample_project(tmp_path, monkeypatch):
    """A fresh working folder with the sample reports and their cassette, no key set."""
    shutil.copytree(ROOT / "reports", tmp_path / "reports")
    shutil.copytree(ROOT / "cassettes", tmp_path / "cassettes")
    for var in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "BRIEFER_CONFIG", "BRIEFER_MODEL"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.chdir(tmp_path)
    return tmp_path
