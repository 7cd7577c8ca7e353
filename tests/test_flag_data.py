"""The generated flag data: complete, deterministic, valid images, built once and atomically."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pycountry
import pytest
from PIL import Image

from support import paths
from support.lab import flag_data

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private, empty cache root, so these tests never touch (or trust) the shared one."""
    root = tmp_path / "cache"
    monkeypatch.setenv(paths.CACHE_ENV, str(root))
    return root


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_every_pycountry_country_is_listed_once() -> None:
    listed = flag_data.countries()
    codes = [c.cc for c in listed]
    assert codes == sorted(codes)
    assert set(codes) == {c.alpha_2 for c in pycountry.countries}
    assert len(codes) == len(set(codes)) == len(pycountry.countries)
    for country in listed:
        record = pycountry.countries.get(alpha_2=country.cc)
        assert country.alpha3 == record.alpha_3
        assert country.name in {record.name, getattr(record, "common_name", None)}
        assert [ord(ch) - 0x1F1E6 + ord("A") for ch in country.emoji] == [ord(ch) for ch in country.cc]


def test_countries_returns_a_copy_the_caller_may_change() -> None:
    first = flag_data.countries()
    first.clear()
    assert flag_data.countries()


def test_pop20_are_twenty_known_countries_in_the_chapter_order() -> None:
    assert flag_data.POP20_CC[:3] == ("CN", "IN", "US") and flag_data.POP20_CC[-1] == "FR"
    assert len(set(flag_data.POP20_CC)) == 20
    assert set(flag_data.POP20_CC) <= {c.cc for c in flag_data.countries()}


def test_build_lays_out_every_country_like_the_chapter_site(cache: Path) -> None:
    started = time.perf_counter()
    root = flag_data.flag_dir()
    elapsed = time.perf_counter() - started
    assert elapsed < 10, f"building took {elapsed:.1f} s"  # about 0.15 s on the reference machine
    assert root.is_relative_to(cache / "flags")
    for country in flag_data.countries():
        cc = country.cc.lower()
        assert {p.name for p in (root / cc).iterdir()} == {f"{cc}.gif", "metadata.json"}
        metadata = json.loads((root / cc / "metadata.json").read_text(encoding="utf-8"))
        assert metadata["country"] == country.name  # the key the chapter's flags3 client reads
        assert metadata["cc"] == country.cc and metadata["emoji"] == country.emoji


def test_flags_are_small_valid_distinct_gifs(cache: Path) -> None:
    root = flag_data.flag_dir()
    pixels = set()
    for country in flag_data.countries():
        cc = country.cc.lower()
        data = (root / cc / f"{cc}.gif").read_bytes()
        # A few KB, like the chapter's real flags: realistic transfers, still tiny.
        assert data.startswith(b"GIF8") and 1000 < len(data) < 8192, (cc, len(data))
        with Image.open(root / cc / f"{cc}.gif") as image:
            assert image.format == "GIF" and image.size == flag_data.FLAG_SIZE
            rgb = image.convert("RGB")
        # Shaded cloth: a few dozen tones of the design's 2 or 3 colours, within a GIF palette.
        assert 8 <= len(rgb.getcolors(256)) <= 64, f"{cc}: unexpected number of colours"
        pixels.add(rgb.tobytes())
        assert flag_data.render_flag(country.cc) == data
    assert len(pixels) == len(flag_data.countries()), "two countries got the same picture"


def test_render_flag_refuses_unknown_codes() -> None:
    with pytest.raises(KeyError):
        flag_data.render_flag("XX")


def test_two_builds_give_identical_bytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    trees = []
    for name in ("one", "two"):
        monkeypatch.setenv(paths.CACHE_ENV, str(tmp_path / name))
        trees.append(_tree(flag_data.flag_dir()))
    assert len(trees[0]) == 2 * len(flag_data.countries()) + 1  # plus the stamp
    assert trees[0] == trees[1]


def test_a_fresh_process_draws_the_same_bytes(cache: Path) -> None:
    # Catches anything seeded per process (str hashes, random): a second interpreter must agree.
    here = _tree(flag_data.flag_dir())
    other = cache.parent / "other"
    env = dict(os.environ, **{paths.CACHE_ENV: str(other)}, PYTHONHASHSEED="random")
    code = "from support.lab.flag_data import flag_dir; print(flag_dir())"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, check=True
    )
    assert _tree(Path(out.stdout.strip())) == here


def test_cache_is_reused_not_rebuilt(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = flag_data.flag_dir()
    before = {p: p.stat().st_mtime_ns for p in root.rglob("*")}

    def must_not_build(*args: object) -> None:
        raise AssertionError("rebuilt a complete cache")

    monkeypatch.setattr(flag_data, "_build_into", must_not_build)
    assert flag_data.flag_dir() == root
    assert {p: p.stat().st_mtime_ns for p in root.rglob("*")} == before


def test_a_new_generator_version_builds_a_new_directory(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    old = flag_data.flag_dir()
    monkeypatch.setattr(flag_data, "GENERATOR_VERSION", "999")
    new = flag_data.flag_dir()
    assert new != old and new.name.startswith("v999-")
    assert json.loads((new / "stamp.json").read_text())["generator"] == "999"


def test_a_damaged_cache_is_rebuilt(cache: Path) -> None:
    root = flag_data.flag_dir()
    (root / "stamp.json").unlink()
    (root / "br" / "br.gif").unlink()
    assert flag_data.flag_dir() == root
    assert (root / "br" / "br.gif").read_bytes() == flag_data.render_flag("BR")


def test_an_interrupted_build_leaves_nothing_half_built(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_draw = flag_data._draw
    calls = 0

    def draw_then_die(design: object) -> bytes:
        nonlocal calls
        calls += 1
        if calls > 100:
            raise KeyboardInterrupt  # what a reader pressing Ctrl-C mid-build looks like
        return real_draw(design)  # type: ignore[arg-type]

    monkeypatch.setattr(flag_data, "_draw", draw_then_die)
    with pytest.raises(KeyboardInterrupt):
        flag_data.flag_dir()
    assert list((cache / "flags").iterdir()) == [], "the failed build left files behind"
    monkeypatch.setattr(flag_data, "_draw", real_draw)
    root = flag_data.flag_dir()
    assert len(list(root.glob("*/*.gif"))) == len(flag_data.countries())


def test_concurrent_builds_agree_and_leave_one_complete_directory(cache: Path) -> None:
    code = "from support.lab.flag_data import flag_dir; print(flag_dir())"
    env = dict(os.environ, **{paths.CACHE_ENV: str(cache)})
    procs = [
        subprocess.Popen([sys.executable, "-c", code], cwd=REPO, env=env, stdout=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    outputs = {p.communicate(timeout=60)[0].strip() for p in procs}
    assert all(p.returncode == 0 for p in procs)
    assert len(outputs) == 1
    (root,) = outputs
    assert [p.name for p in (cache / "flags").iterdir()] == [Path(root).name], "temp dirs left behind"
    assert _tree(Path(root)) == _tree(flag_data.flag_dir())


def test_a_killed_build_is_ignored_then_cleaned_up(cache: Path) -> None:
    # SIGKILL skips every finally: all that is left is a temp dir, which must never be mistaken for the cache.
    parent = cache / "flags"
    (parent / ".tmp-killed" / "br").mkdir(parents=True)
    (parent / ".tmp-killed" / "br" / "br.gif").write_bytes(b"half")
    fresh = parent / ".tmp-running"
    fresh.mkdir()
    old = time.time() - 2 * 3600
    os.utime(parent / ".tmp-killed", (old, old))
    root = flag_data.flag_dir()
    assert (root / "br" / "br.gif").read_bytes() == flag_data.render_flag("BR")
    assert not (parent / ".tmp-killed").exists()
    assert fresh.exists(), "a recent temp dir may belong to a build still running"
