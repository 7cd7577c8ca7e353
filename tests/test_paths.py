"""Each learner's files go to their own cache folder, never next to the installed package (issue 24).

On a class machine one environment serves every learner: a cache beside the package is shared by all of them (one
learner's clean-up deletes another's downloads) and, on a real hub, not writable at all.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import support
from support import paths

PACKAGE = Path(support.__file__).resolve().parent


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A learner's home of its own, with no cache variable set."""
    folder = tmp_path / "home"
    folder.mkdir()
    monkeypatch.setenv("HOME", str(folder))
    monkeypatch.delenv(paths.CACHE_ENV, raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    return folder


def test_the_default_cache_is_in_the_learners_home_not_in_the_package(home: Path) -> None:
    root = paths.cache_root()
    assert root == home / ".cache" / paths.APP_NAME
    assert root.is_dir(), "cache_root() creates the folder"
    assert not root.resolve().is_relative_to(PACKAGE)
    assert not root.resolve().is_relative_to(paths.REPO_ROOT)


def test_two_learners_get_two_caches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(paths.CACHE_ENV, raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    roots = []
    for name in ("ada", "bo"):
        monkeypatch.setenv("HOME", str(tmp_path / name))
        roots.append(paths.cache_root())
    assert roots[0] != roots[1]
    assert [root.relative_to(tmp_path).parts[0] for root in roots] == ["ada", "bo"]


def test_xdg_cache_home_is_honoured_when_absolute(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "xdg"))
    assert paths.cache_root() == home / "xdg" / paths.APP_NAME
    # The XDG rules: a relative value is ignored, so the cache cannot follow the working folder around.
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/cache")
    assert paths.cache_root() == home / ".cache" / paths.APP_NAME


def test_the_variable_wins_and_is_read_at_every_call(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "xdg"))
    monkeypatch.setenv(paths.CACHE_ENV, str(home / "mine"))
    assert paths.cache_root() == home / "mine"
    monkeypatch.setenv(paths.CACHE_ENV, str(home / "other"))
    assert paths.cache_root() == home / "other"


def test_a_cache_that_cannot_be_made_gives_one_clear_line(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = home / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv(paths.CACHE_ENV, str(blocker / "cache"))  # fails even for root
    with pytest.raises(paths.CacheNotWritable) as caught:
        paths.cache_root()
    message = str(caught.value)
    assert "\n" not in message
    assert str(blocker / "cache") in message and paths.CACHE_ENV in message
    assert isinstance(caught.value, OSError), "callers that handle OSError still do"


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere, whatever the folder's mode")
def test_a_read_only_home_gives_one_clear_line(home: Path) -> None:
    (home / ".cache").mkdir(mode=0o500)
    try:
        with pytest.raises(paths.CacheNotWritable, match="not writable"):
            paths.cache_root()
    finally:
        (home / ".cache").chmod(0o700)


def test_shown_writes_the_home_as_a_tilde(home: Path) -> None:
    assert paths.shown(home / ".cache" / "x") == "~/.cache/x"
    assert paths.shown(home) == "~"
    assert paths.shown(Path("/elsewhere/x")) == "/elsewhere/x"
    assert paths.shown(str(home) + "-not-home/x") == str(home) + "-not-home/x"


def test_the_flags_cli_stops_in_one_line_when_the_cache_is_not_writable(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    env = dict(os.environ, **{paths.CACHE_ENV: str(blocker / "cache")})
    # Port 9 (discard) is never contacted: the check comes before the first request.
    command = [sys.executable, "-m", "support.examples.flags", "--url", "http://127.0.0.1:9/", "BR"]
    run = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert run.returncode == 2
    errors = [line for line in run.stderr.splitlines() if "error:" in line]
    assert len(errors) == 1 and "cache folder" in errors[0] and paths.CACHE_ENV in errors[0], run.stderr
    assert "Traceback" not in run.stderr
    # --help needs no cache, and says where the files go.
    help_run = subprocess.run([*command[:3], "--help"], env=env, capture_output=True, text=True, timeout=60)
    assert help_run.returncode == 0 and "~/.cache/async-workbook" in help_run.stdout
