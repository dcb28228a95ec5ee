from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def valid_path() -> Path:
    """The small valid fixture instrument (two dimensions, a meta-perception pair, page breaks)."""
    return FIXTURES / "valid.yaml"


@pytest.fixture
def valid_text(valid_path) -> str:
    return valid_path.read_text(encoding="utf-8")


@pytest.fixture
def edited(valid_text):
    """Return the valid fixture's text with each ``(old, new)`` replacement applied once."""

    def edit(*replacements) -> str:
        text = valid_text
        for old, new in replacements:
            if text.count(old) != 1:
                raise ValueError(f"the fixture must contain {old!r} exactly once, found {text.count(old)}")
            text = text.replace(old, new)
        return text

    return edit
