"""Text clean-up: ASCII text takes a shortcut past the per-character Unicode
look-ups, and must come out exactly as the general rule makes it."""

import re
import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from app.kit.text import clean_line, fold

SPACES = re.compile(r"\s+")
CONTROL_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn"}


def clean_line_by_the_rule(value: str) -> str:
    """NFC, whitespace runs to one space, control characters dropped, trimmed."""
    value = SPACES.sub(" ", unicodedata.normalize("NFC", value))
    value = "".join(ch for ch in value if unicodedata.category(ch) not in CONTROL_CATEGORIES)
    return SPACES.sub(" ", value).strip()


def fold_by_the_rule(value: str) -> str:
    """NFKD, combining marks dropped, case-folded, spaces folded, trimmed."""
    decomposed = unicodedata.normalize("NFKD", value)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return SPACES.sub(" ", stripped.casefold()).strip()


ascii_text = st.text(alphabet=st.characters(max_codepoint=127), max_size=40)


@given(ascii_text)
def test_ascii_text_is_cleaned_as_the_rule_cleans_it(value: str) -> None:
    assert clean_line(value) == clean_line_by_the_rule(value)


@given(ascii_text)
def test_ascii_text_is_folded_as_the_rule_folds_it(value: str) -> None:
    assert fold(value) == fold_by_the_rule(value)


@given(st.text(max_size=40))
def test_any_text_is_cleaned_and_folded_by_the_rule(value: str) -> None:
    assert clean_line(value) == clean_line_by_the_rule(value)
    assert fold(value) == fold_by_the_rule(value)


def test_controls_go_and_spaces_fold_in_either_path() -> None:
    assert clean_line("  Ana\x00\x1b  María\t\n ") == "Ana María"
    assert clean_line("  Ana\x00\x1b  Maria\t\n ") == "Ana Maria"
    assert fold("  Ciudad de  CUENCA ") == "ciudad de cuenca"
    assert fold("  Ciudad de  CUÉNCA ") == "ciudad de cuenca"
