"""Country flags for the download lessons, generated offline.

The chapter's clients download GIF flags and ``metadata.json`` files from a web site; the workbook has no
internet, so this module makes an equivalent data set on the reader's own machine: every ISO 3166-1 country
known to ``pycountry``, each with a small GIF drawn by Pillow and a metadata file. The designs are invented
(stripes, crosses, discs, cantons...), not the real flags: they only need to be distinct and pleasant in a grid.

Everything is derived from the country code through SHA-256, so two builds on the same machine produce the same
bytes, and lessons that print sizes or hashes get the same output every run.

The data set is built once into ``<cache>/flags/<version>/`` where ``<cache>`` is the learner's own cache folder
(:func:`support.paths.cache_root`: ``$ASYNC_WORKBOOK_CACHE``, else ``~/.cache/async-workbook``), laid out like the
chapter's site (``<cc>/<cc>.gif`` and ``<cc>/metadata.json``, lower-case cc). ``<version>`` changes whenever the
generator, pycountry or Pillow change, so an upgrade rebuilds instead of serving stale files; old versions stay
until the folder is deleted, because another venv may still be using them.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import math
import shutil
import tempfile
import time
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING

from support.paths import cache_root

if TYPE_CHECKING:
    from PIL import Image

__all__ = [
    "FLAG_SIZE",
    "GENERATOR_VERSION",
    "POP20_CC",
    "Country",
    "countries",
    "flag_dir",
    "render_flag",
]

#: Bump when the drawing code or the file layout changes: the cache directory name includes it.
GENERATOR_VERSION = "2"

#: The 20 most populous countries, in the order the chapter's ``flags*.py`` scripts download them.
POP20_CC: tuple[str, ...] = tuple("CN IN US ID BR PK NG BD RU JP MX PH VN ET EG DE IR TR CD FR".split())

#: Names the cache root (flags go in its ``flags/`` subdirectory), so tests and other venvs can move it.
FLAG_SIZE = (120, 80)  # the 3:2 proportion most flags use
_STAMP = "stamp.json"
_STALE_TMP_SECONDS = 3600  # a temp dir this old belongs to a build that died, never to one still running

# Flag-like colours; index 0..n-1 in the GIF palette, so pixel data never needs quantising.
_PALETTE: tuple[tuple[int, int, int], ...] = (
    (206, 17, 38),  # red
    (255, 255, 255),  # white
    (0, 56, 168),  # blue
    (0, 122, 61),  # green
    (252, 209, 22),  # yellow
    (0, 0, 0),  # black
    (255, 136, 0),  # orange
    (117, 170, 219),  # sky blue
    (128, 0, 32),  # maroon
    (0, 36, 125),  # navy
)
_LAYOUTS = (
    "h2",  # two horizontal bands
    "h3",  # three horizontal bands
    "v2",  # a band at the hoist and the fly
    "v3",  # three vertical bands
    "cross",  # Nordic cross
    "disc",  # plain field with a disc
    "canton",  # two bands with a canton
    "triangle",  # two bands with a triangle at the hoist
    "diagonal",  # field split corner to corner
    "saltire",  # diagonal cross
    "h3disc",  # three bands with a disc in the middle
    "border",  # field with a wide border
)
_EMBLEMS = ("none", "star", "disc")


@dataclass(frozen=True, slots=True)
class Country:
    """One ISO 3166-1 country: what the lessons print and what ``metadata.json`` holds."""

    cc: str
    """Alpha-2 code, upper case (``"BR"``); the site's URLs use it in lower case."""
    alpha3: str
    name: str
    """The short common name (``"Bolivia"``, not ``"Bolivia, Plurinational State of"``)."""
    emoji: str
    """The flag emoji: the two regional indicator symbols for ``cc``."""


def _emoji(cc: str) -> str:
    # Regional indicator symbols A..Z start at U+1F1E6; a pair renders as that country's flag.
    return "".join(chr(0x1F1E6 + ord(letter) - ord("A")) for letter in cc)


@functools.cache
def _countries() -> tuple[Country, ...]:
    import pycountry  # imported late: only building or listing needs it

    found = (
        Country(
            cc=c.alpha_2,
            alpha3=c.alpha_3,
            name=getattr(c, "common_name", None) or c.name,
            emoji=_emoji(c.alpha_2),
        )
        for c in pycountry.countries
    )
    return tuple(sorted(found, key=lambda c: c.cc))


def countries() -> list[Country]:
    """Every country in pycountry's ISO 3166-1 list, sorted by code (a fresh list the caller may change)."""
    return list(_countries())


# --- drawing ------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Design:
    layout: str
    colours: tuple[
        int, ...
    ]  # palette indices, all different; only the ones that show, so equal means identical
    emblem: str


# Layouts whose third colour only appears in the emblem; the Nordic cross has no room for an emblem.
_TWO_BAND = frozenset({"h2", "v2", "disc", "diagonal", "saltire", "h3disc", "border"})


def _design(cc: str, salt: int) -> _Design:
    digest = hashlib.sha256(f"flag:{GENERATOR_VERSION}:{cc}:{salt}".encode()).digest()
    pool = list(range(len(_PALETTE)))
    colours = tuple(pool.pop(byte % len(pool)) for byte in digest[2:5])
    layout, emblem = _LAYOUTS[digest[0] % len(_LAYOUTS)], _EMBLEMS[digest[1] % len(_EMBLEMS)]
    if layout == "cross":
        emblem = "none"
    if layout in _TWO_BAND and emblem == "none":
        colours = colours[:2]
    return _Design(layout, colours, emblem)


@functools.cache
def _designs() -> dict[str, _Design]:
    """One distinct design per country; a clash is resolved by re-hashing with a salt, in code order."""
    taken: set[_Design] = set()
    result = {}
    for cc in sorted(c.cc for c in _countries()):
        salt = 0
        while (design := _design(cc, salt)) in taken:
            salt += 1
        taken.add(design)
        result[cc] = design
    return result


def _star(cx: float, cy: float, r: float) -> list[tuple[float, float]]:
    import math

    points = []
    for i in range(10):
        radius = r if i % 2 == 0 else r * 0.4
        angle = -math.pi / 2 + i * math.pi / 5
        points.append((round(cx + radius * math.cos(angle), 2), round(cy + radius * math.sin(angle), 2)))
    return points


def _draw(design: _Design) -> bytes:
    from PIL import Image, ImageDraw

    w, h = FLAG_SIZE
    a, b, c = (*design.colours, design.colours[0])[:3]  # a two-colour design never draws c
    img = Image.new("P", FLAG_SIZE, a)
    img.putpalette([v for rgb in _PALETTE for v in rgb])
    d = ImageDraw.Draw(img)
    # Where the emblem goes and how big, per layout; None means the layout has no room for one.
    spot: tuple[float, float, float] | None = (w / 2, h / 2, h * 0.22)
    emblem_colour = c
    match design.layout:
        case "h2":
            d.rectangle((0, h // 2, w, h), fill=b)
            spot = (w * 0.2, h * 0.25, h * 0.15)
        case "h3":
            d.rectangle((0, h // 3, w, 2 * h // 3 - 1), fill=b)
            d.rectangle((0, 2 * h // 3, w, h), fill=c)
            spot, emblem_colour = (w / 2, h / 2, h * 0.12), a
        case "v2":
            d.rectangle((w // 3, 0, w, h), fill=b)
            spot = (w / 6, h / 2, h * 0.14)
        case "v3":
            d.rectangle((w // 3, 0, 2 * w // 3 - 1, h), fill=b)
            d.rectangle((2 * w // 3, 0, w, h), fill=c)
            spot, emblem_colour = (w / 2, h / 2, h * 0.14), a
        case "cross":
            d.rectangle((0, h * 3 // 8, w, h * 5 // 8), fill=b)
            d.rectangle((w * 5 // 16, 0, w * 7 // 16, h), fill=b)
            d.rectangle((0, h * 7 // 16, w, h * 9 // 16), fill=c)
            d.rectangle((w * 11 // 32, 0, w * 13 // 32, h), fill=c)
            spot = None
        case "disc":
            d.ellipse((w / 2 - h * 0.3, h * 0.2, w / 2 + h * 0.3, h * 0.8), fill=b)
            spot = (w / 2, h / 2, h * 0.18)
        case "canton":
            d.rectangle((0, h // 2, w, h), fill=b)
            d.rectangle((0, 0, w * 2 // 5, h // 2), fill=c)
            spot, emblem_colour = (w / 5, h / 4, h * 0.15), a
        case "triangle":
            d.rectangle((0, h // 2, w, h), fill=b)
            d.polygon([(0, 0), (w * 0.45, h / 2), (0, h)], fill=c)
            spot, emblem_colour = (w * 0.14, h / 2, h * 0.13), a
        case "diagonal":
            d.polygon([(0, h), (w, 0), (w, h)], fill=b)
            spot = (w * 0.22, h * 0.3, h * 0.15)
        case "saltire":
            d.line((0, 0, w, h), fill=b, width=h // 6)
            d.line((0, h, w, 0), fill=b, width=h // 6)
            spot = (w / 2, h / 2, h * 0.16)
        case "h3disc":
            d.rectangle((0, h // 4, w, 3 * h // 4), fill=b)
            spot = (w / 2, h / 2, h * 0.2)
        case "border":
            d.rectangle((w // 8, h // 6, w - w // 8 - 1, h - h // 6 - 1), fill=b)
            spot = (w / 2, h / 2, h * 0.2)
    if spot is not None and design.emblem != "none":
        x, y, r = spot
        if design.emblem == "star":
            d.polygon(_star(x, y, r * 1.2), fill=emblem_colour)
        else:
            d.ellipse((x - r, y - r, x + r, y + r), fill=emblem_colour)
    buf = io.BytesIO()
    _cloth(img).save(buf, format="GIF", optimize=False)
    return buf.getvalue()


@functools.cache
def _light() -> Image.Image:
    """A fixed ripple of light and shade, the same for every flag (0.72 to 1.0 of full brightness)."""
    from PIL import Image

    w, h = FLAG_SIZE
    mask = Image.new("L", FLAG_SIZE)
    mask.putdata(
        [
            round(255 * (0.86 + 0.14 * math.sin(3 * math.pi * (x + 0.35 * y) / w)))
            for y in range(h)
            for x in range(w)
        ]
    )
    return Image.merge("RGB", (mask, mask, mask))


def _cloth(img: Image.Image) -> Image.Image:
    # Shading and dithering make a flag look like cloth and weigh a few KB, like the chapter's real GIFs,
    # so downloads move realistic amounts of data. Deterministic for a given Pillow (part of the cache stamp).
    from PIL import Image, ImageChops

    shaded = ImageChops.multiply(img.convert("RGB"), _light())
    return shaded.quantize(colors=64, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.FLOYDSTEINBERG)


def render_flag(cc: str) -> bytes:
    """The GIF bytes for one country code (upper case), drawn in memory without touching the cache."""
    try:
        design = _designs()[cc]
    except KeyError:
        raise KeyError(f"not an ISO 3166-1 alpha-2 code known to pycountry: {cc!r}") from None
    return _draw(design)


# --- the cache ----------------------------------------------------------------------------------------------


def _stamp() -> dict[str, str]:
    return {"generator": GENERATOR_VERSION, "pycountry": version("pycountry"), "pillow": version("pillow")}


def _version_key(stamp: dict[str, str]) -> str:
    digest = hashlib.sha256(json.dumps(stamp, sort_keys=True).encode()).hexdigest()[:12]
    return f"v{stamp['generator']}-{digest}"


def _metadata(country: Country) -> bytes:
    # "country" is the key the chapter's flags3 client reads; the rest helps the lessons print tables.
    record = {"country": country.name, "cc": country.cc, "alpha3": country.alpha3, "emoji": country.emoji}
    return (json.dumps(record, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode()


def _build_into(dest: Path, stamp: dict[str, str]) -> None:
    designs = _designs()
    for country in _countries():
        cc = country.cc.lower()
        folder = dest / cc
        folder.mkdir()
        (folder / f"{cc}.gif").write_bytes(_draw(designs[country.cc]))
        (folder / "metadata.json").write_bytes(_metadata(country))
    # Written last: a directory with a matching stamp is known complete.
    (dest / _STAMP).write_text(json.dumps(stamp, sort_keys=True, indent=2) + "\n")


def _is_complete(folder: Path, stamp: dict[str, str]) -> bool:
    try:
        saved: object = json.loads((folder / _STAMP).read_text())
        return saved == stamp
    except (OSError, ValueError):
        return False


def _remove_stale_temps(parent: Path) -> None:
    now = time.time()
    for tmp in parent.glob(".tmp-*"):
        try:
            if now - tmp.stat().st_mtime > _STALE_TMP_SECONDS:
                shutil.rmtree(tmp, ignore_errors=True)
        except OSError:
            pass  # another process removed it first


def flag_dir() -> Path:
    """The directory holding ``<cc>/<cc>.gif`` and ``<cc>/metadata.json`` for every country, built if missing.

    The build goes into a private temporary directory that is renamed into place in one step, so a reader never
    sees a half-built set: not when two processes build at once (the second rename fails and its copy is
    discarded) and not after a build was interrupted (its temp directory is ignored, then cleaned up later).
    """
    stamp = _stamp()
    parent = cache_root() / "flags"
    final = parent / _version_key(stamp)
    if _is_complete(final, stamp):
        return final
    parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_temps(parent)
    tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{final.name}-", dir=parent))
    try:
        _build_into(tmp, stamp)
        if final.exists() and not _is_complete(final, stamp):
            # Damaged by hand (a complete one is never changed): move it aside so the rename can succeed.
            try:
                shutil.rmtree(final.rename(parent / f".tmp-broken-{tmp.name}"), ignore_errors=True)
            except OSError:
                pass  # another process moved it first
        try:
            tmp.rename(final)
        except OSError:
            if not _is_complete(final, stamp):
                raise
            # Another process finished first with identical content: use theirs.
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return final
