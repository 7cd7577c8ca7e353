"""Find Unicode characters by the words of their names: the index both mojifinder servers search.

Every character has a name in the Unicode database (``unicodedata.name("🐱") == "CAT FACE"``). The index maps each
word of those names to the set of characters whose name holds it, once, at start-up: an *inverted index*, the
structure search engines keep for documents. A query of several words is answered by intersecting their sets,
so ``"cat face"`` finds the characters whose name has both ``CAT`` and ``FACE``. Words are matched whole and
without regard to case; a word no name holds makes the answer empty.

Two differences from the chapter's index, both about queries from strangers: a query is split on anything
that is not a letter or digit (so ``"cat, face"`` works), and looking up an unknown word does not add it to
the index (the chapter's ``defaultdict`` would, and a stream of junk queries would grow it without bound).
Lesson 06 defines :class:`InvertedIndex` in a cell; the callouts (``# <1>``) are the lesson's.

Nothing here is concurrent. Building the index takes about a second (the servers do it once, before they
listen); a search is a few set intersections and takes microseconds.

Run it: ``python -m support.examples.charindex cat face`` prints one line per character found, sorted by code
point; exit status 0 when something was found, 1 when nothing was, 2 on a usage error.
"""

from __future__ import annotations

import functools
import re
import signal
import sys
import unicodedata
from collections.abc import Iterable, Iterator

from support import cli

__all__ = ["InvertedIndex", "format_line", "format_results", "main", "shared_index", "tokenize"]

FIRST = 32  # the code points below are control characters: no names
STOP = sys.maxunicode + 1


def tokenize(text: str) -> Iterator[str]:
    """The words of ``text``, upper-cased: runs of letters, digits and ``_``; anything else separates."""
    return (word.upper() for word in re.findall(r"\w+", text))


class InvertedIndex:
    """Words of character names, each mapped to the characters whose name holds it.

    ``InvertedIndex()`` covers every named character from U+0020 on; ``start`` and ``stop`` pick a smaller
    range of code points (tests and exercises use one to build in milliseconds).
    """

    def __init__(self, start: int = FIRST, stop: int = STOP) -> None:
        if not 0 <= start <= stop <= STOP:
            raise ValueError(f"need 0 <= start <= stop <= {STOP:#x}, got {start:#x} and {stop:#x}")
        self.entries: dict[str, set[str]] = {}  # <1>
        for char in map(chr, range(start, stop)):
            for word in unicodedata.name(char, "").replace("-", " ").split():  # <2>
                self.entries.setdefault(word, set()).add(char)

    def __len__(self) -> int:
        return len(self.entries)

    def search(self, query: str) -> set[str]:
        """The characters whose names hold every word of ``query``: a new set, empty when none match."""
        found = [self.entries.get(word, set()) for word in set(tokenize(query))]  # <3>
        return set.intersection(*found) if found else set()  # <4>


@functools.cache
def shared_index() -> InvertedIndex:
    """One full index per process, built on first use (about a second): a notebook and its checkers share it."""
    return InvertedIndex()


def format_line(char: str) -> str:
    """``"U+1F431\\t🐱\\tCAT FACE"``: code point, the character, its name, separated by tabs."""
    return f"U+{ord(char):04X}\t{char}\t{unicodedata.name(char, '(no name)')}"


def format_results(chars: Iterable[str]) -> Iterator[str]:
    """One :func:`format_line` per character, in code point order."""
    return map(format_line, sorted(chars))


def main(argv: list[str] | None = None) -> int:
    """Print the characters whose names hold every word given; 0 if any, 1 if none, 2 on a usage error."""
    parser = cli.Parser(
        prog="python -m support.examples.charindex",
        description="Find Unicode characters whose names hold all the given words.",
        failed="nothing was found",
    )
    parser.add_argument("words", nargs="+", help="words of the name, e.g. cat face")
    query = " ".join(parser.parse_args(argv).words)
    if not any(tokenize(query)):
        parser.error(f"no word in {query!r}: give letters or digits")
    chars = shared_index().search(query)
    for line in format_results(chars):
        print(line)
    print(f"{len(chars)} found")
    return cli.OK if chars else cli.FAILED


if __name__ == "__main__":
    try:
        status = main()
    except KeyboardInterrupt:  # Ctrl-C while the index is built
        status = cli.INTERRUPTED
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a late Ctrl-C, as Python exits, changes nothing
    sys.exit(status)
