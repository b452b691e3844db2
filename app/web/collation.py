"""Sorting names the way each language sorts them, for the country list.

Python's own order puts "Émirats" after "Zimbabwe" and Chinese in code-point
order, which no reader expects. ICU would be the reference, but PyICU ships no
wheels (it builds against libicu-dev), so a clean `pip install` could not have
it. Instead:

- pyuca, a pure-Python Unicode Collation Algorithm with the default table
  (DUCET): accents and case only break ties, so "Åland" sorts with the A's and
  Arabic and Cyrillic follow their alphabets. That is what French, Spanish,
  Russian, Arabic and English readers expect for country names.
- pypinyin for Chinese: names sort by their Hanyu Pinyin reading (the order of
  mainland Chinese dictionaries and of the UN's Chinese lists), then by the
  characters themselves to break ties between homophones.
"""

from collections.abc import Callable
from functools import cache
from typing import Any

from pypinyin import Style, lazy_pinyin
from pyuca import Collator

from app.models import Language


@cache
def _collator() -> Collator:
    return Collator()  # loads the DUCET once (about 0.2 s)


def _pinyin_key(text: str) -> tuple[Any, str]:
    reading = " ".join(lazy_pinyin(text, style=Style.TONE3, neutral_tone_with_five=True))
    return _collator().sort_key(reading), text


def sort_key(language: Language) -> Callable[[str], Any]:
    """The key that sorts text as `language` does."""
    if language == Language.zh:
        return _pinyin_key
    key: Callable[[str], Any] = _collator().sort_key
    return key
