"""Fonts for the printed ticket, found on the system at run time.

A ticket carries names in any of the six UN scripts (Latin, Cyrillic, Arabic,
Chinese), so it needs Unicode TrueType fonts. None is shipped with the app: a
font that covers Chinese is some 20 MB. The ticket uses Noto (Debian's
fonts-noto-core and fonts-noto-cjk, which `.ci/run` installs) or, failing that,
DejaVu Sans (Latin, Cyrillic and Arabic; on most Linux systems). Set
TICKET_FONT_DIRS (folders, separated by ":") to look elsewhere first.

Without any of them the ticket is still made, with the PDF core font Helvetica:
text outside Latin-1 is then shown as "?", but the QR code and the ticket code,
which is what the entrance scans, are always intact.
"""

import os
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from fontTools.ttLib import TTCollection

SYSTEM_DIRS = (
    "/usr/share/fonts",
    "/usr/local/share/fonts",
    "~/.local/share/fonts",
    "~/.fonts",
    "/Library/Fonts",
    "/System/Library/Fonts",
)


@dataclass(frozen=True)
class Face:
    path: Path
    index: int = 0
    """The face's number inside a collection (.ttc); 0 for a single font."""


@dataclass(frozen=True)
class Fonts:
    """The faces a ticket's text needs: a main one, then fallbacks per script."""

    main: Face | None
    bold: Face | None
    fallbacks: tuple[Face, ...]


# Preferred files per role, best first.
_MAIN = ("NotoSans-Regular.ttf", "DejaVuSans.ttf")
_BOLD = ("NotoSans-Bold.ttf", "DejaVuSans-Bold.ttf")
_ARABIC = ("NotoSansArabic-Regular.ttf", "NotoNaskhArabic-Regular.ttf", "DejaVuSans.ttf")
_CJK = ("NotoSansCJK-Regular.ttc", "NotoSansCJKsc-Regular.otf", "NotoSansSC-Regular.ttf")


def _search_dirs() -> list[Path]:
    extra = [d for d in os.environ.get("TICKET_FONT_DIRS", "").split(":") if d]
    return [Path(d).expanduser() for d in (*extra, *SYSTEM_DIRS)]


@cache
def _installed() -> dict[str, Path]:
    """Font file names to their first path, over the search folders (read once)."""
    found: dict[str, Path] = {}
    for folder in _search_dirs():
        if not folder.is_dir():
            continue
        for root, _, files in os.walk(folder):
            for name in files:
                found.setdefault(name, Path(root) / name)
    return found


def _first(names: tuple[str, ...]) -> Path | None:
    installed = _installed()
    return next((installed[name] for name in names if name in installed), None)


@cache
def _simplified_chinese_index(path: Path) -> int:
    """The Simplified Chinese face of a CJK collection (its glyph forms suit "zh")."""
    if path.suffix.lower() != ".ttc":
        return 0
    collection = TTCollection(str(path), lazy=True)
    for index, font in enumerate(collection.fonts):
        family = str(font["name"].getDebugName(1) or "")
        if family.endswith("CJK SC"):
            return index
    return 0


def _needs(text: str, *scripts: str) -> bool:
    return any(
        script in unicodedata.name(char, "")
        for char in text
        if ord(char) > 0x7F
        for script in scripts
    )


def fonts_for(text: str) -> Fonts:
    """The faces that show `text`; the Chinese one (slow to load) only when it is needed."""
    fallbacks: list[Face] = []
    if _needs(text, "ARABIC") and (arabic := _first(_ARABIC)) is not None:
        fallbacks.append(Face(arabic))
    if (
        _needs(text, "CJK", "IDEOGRAPHIC", "FULLWIDTH", "HIRAGANA", "KATAKANA", "HANGUL")
        and (cjk := _first(_CJK)) is not None
    ):
        fallbacks.append(Face(cjk, _simplified_chinese_index(cjk)))
    main, bold = _first(_MAIN), _first(_BOLD)
    return Fonts(
        main=Face(main) if main else None,
        bold=Face(bold) if bold and main else None,
        fallbacks=tuple(fallbacks),
    )
