"""Find Unicode characters by the words of their names: the index both mojifinder servers search.

Every character has a name in the Unicode database (``unicodedata.name("🐱") == "CAT FACE"``). The index maps each
word of those names to the set of characters whose name holds it, once, at start-up: an *inverted index*, the
structure search engines keep for documents. A query of several words is answered by intersecting their sets,
so ``"cat face"`` finds the characters whose name has both ``CAT`` and ``FACE``. Words are matched whole and
without regard to case; a word no name holds makes the answer empty.

Two differences from the chapter's index, both about queries from strangers: a query is split on anything
that is not a letter or digit (so ``"cat, face"`` works), and looking up an unknown word does not add it to
the index (a ``defaultdict`` would, and a stream of junk queries would grow it without bound).

Nothing here is concurrent. Building the index takes about a second (the servers do it once, before they
listen); a search is a few set intersections and takes microseconds.

Run it: ``python -m support.examples.charindex cat face`` prints one line per character found, sorted by code
point; exit status 0 when something was found, 1 when nothing was, 2 on a usage error.
"""

from __future__ import annotations

import argparse
import functools
import re
import sys
import unicodedata
from collections.abc import Iterable, Iterator

__all__ = [
    "FIRST",
    "STOP",
    "InvertedIndex",
    "format_line",
    "format_results",
    "main",
    "shared_index",
    "tokenize",
]

FIRST = 32  # the code points below are control characters: no names
STOP = sys.maxunicode + 1
_WORD = re.compile(r"\w+")


def tokenize(text: str) -> Iterator[str]:
    """The words of ``text``, upper-cased: runs of letters, digits and ``_``; anything else separates."""
    for match in _WORD.finditer(text):
        yield match.group().upper()


class InvertedIndex:
    """Words of character names, each mapped to the characters whose name holds it.

    ``InvertedIndex()`` covers every named character from U+0020 on; ``start`` and ``stop`` pick a smaller
    range of code points (tests and exercises use one to build in milliseconds).
    """

    def __init__(self, start: int = FIRST, stop: int = STOP) -> None:
        if not 0 <= start <= stop <= STOP:
            raise ValueError(f"need 0 <= start <= stop <= {STOP:#x}, got {start:#x} and {stop:#x}")
        self.entries: dict[str, set[str]] = {}
        for code in range(start, stop):
            char = chr(code)
            # Names hold only A-Z, 0-9, spaces and hyphens, so a split gives tokenize()'s words, 2x faster.
            for word in unicodedata.name(char, "").replace("-", " ").split():
                chars = self.entries.get(word)
                if chars is None:
                    self.entries[word] = {char}
                else:
                    chars.add(char)

    def __len__(self) -> int:
        """How many distinct words the index knows."""
        return len(self.entries)

    def search(self, query: str) -> set[str]:
        """The characters whose names hold every word of ``query``: a new set, empty when none match.

        A query with no words (``""``, ``"?!"``) matches nothing. Unknown words are looked up without being
        added, so a stream of odd queries cannot grow the index.
        """
        words = set(tokenize(query))
        if not words:
            return set()
        found = []
        for word in words:
            chars = self.entries.get(word)
            if chars is None:
                return set()
            found.append(chars)
        found.sort(key=len)  # intersect from the smallest set: the work shrinks at once
        return found[0].intersection(*found[1:])


@functools.cache
def shared_index() -> InvertedIndex:
    """One full index per process, built on first use: a notebook and its checkers share it."""
    return InvertedIndex()


def format_line(char: str) -> str:
    """``"U+1F431\\t🐱\\tCAT FACE"``: code point, the character, its name, separated by tabs."""
    return f"U+{ord(char):04X}\t{char}\t{unicodedata.name(char, '(no name)')}"


def format_results(chars: Iterable[str]) -> Iterator[str]:
    """One :func:`format_line` per character, in code point order."""
    for char in sorted(chars):
        yield format_line(char)


def main(argv: list[str] | None = None) -> int:
    """Print the characters whose names hold every word given; 0 if any, 1 if none, 2 on a usage error."""
    parser = argparse.ArgumentParser(
        prog="python -m support.examples.charindex",
        description="Find Unicode characters whose names hold all the given words.",
        epilog="exit status: 0 when something was found, 1 when nothing was, 2 on a usage error, "
        "130 when interrupted",
    )
    parser.add_argument("words", nargs="+", help="words of the name, e.g. cat face")
    args = parser.parse_args(argv)
    query = " ".join(args.words)
    if not any(tokenize(query)):
        parser.error(f"no word in {query!r}: give letters or digits")
    try:
        chars = shared_index().search(query)
        for line in format_results(chars):
            print(line)
    except KeyboardInterrupt:
        return 130
    print(f"{len(chars)} found")
    return 0 if chars else 1


if __name__ == "__main__":
    raise SystemExit(main())
