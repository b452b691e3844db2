"""The signing key behind form tokens, and the form guard's checks."""

import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

from app.config import Settings
from app.signing import signing_key
from app.web.security import FormGuard


def settings_in(folder: Path, **values: str) -> Settings:
    return Settings(data_dir=folder, _env_file=None, **values)  # type: ignore[arg-type]


def test_without_secret_key_one_is_generated_privately_and_reused(tmp_path: Path) -> None:
    first = signing_key(settings_in(tmp_path))
    assert len(first) >= 32
    assert stat.S_IMODE((tmp_path / "secret_key").stat().st_mode) == 0o600
    assert signing_key(settings_in(tmp_path)) == first


def test_secret_key_setting_wins(tmp_path: Path) -> None:
    assert signing_key(settings_in(tmp_path, secret_key="from-the-environment")) == (
        "from-the-environment"
    )
    assert not (tmp_path / "secret_key").exists()


def test_tokens_signed_with_another_key_are_refused() -> None:
    ours, theirs = (FormGuard(key, min_fill_time=timedelta(seconds=3)) for key in ("a", "b"))
    cookie = FormGuard.new_csrf_cookie()
    assert ours.csrf_valid(cookie=cookie, token=ours.csrf_token(cookie))
    assert not ours.csrf_valid(cookie=cookie, token=theirs.csrf_token(cookie))
    now = datetime(2013, 9, 2, tzinfo=UTC)
    assert ours.filled_too_fast(theirs.started_stamp(now), now + timedelta(minutes=5))
    assert not ours.filled_too_fast(ours.started_stamp(now), now + timedelta(minutes=5))
