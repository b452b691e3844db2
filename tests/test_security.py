"""The signing key behind form tokens, and the form guard's checks."""

import json
import stat
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from itsdangerous import URLSafeSerializer

from app.config import Settings
from app.kit.secrets import signing_key
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


def _guard(**bound: str) -> FormGuard:
    guard = FormGuard("key", min_fill_time=timedelta(seconds=3), max_fill_time=timedelta(hours=24))
    return guard.bound(**bound) if bound else guard


def test_a_fill_time_stamp_is_good_from_the_minimum_to_the_maximum_age() -> None:
    guard = _guard(form="side-event", csrf_cookie="cookie")
    served = datetime(2013, 9, 2, tzinfo=UTC)
    stamp = guard.started_stamp(served)
    assert guard.filled_too_fast(stamp, served + timedelta(seconds=2))
    assert not guard.filled_too_fast(stamp, served + timedelta(seconds=3))
    assert not guard.filled_too_fast(stamp, served + timedelta(hours=24))
    assert guard.filled_too_fast(stamp, served + timedelta(hours=24, seconds=1))
    assert guard.filled_too_fast(stamp, served + timedelta(days=30))
    assert guard.filled_too_fast(stamp, served - timedelta(hours=1))  # from the future


def test_a_fill_time_stamp_is_good_only_for_its_form_and_browser() -> None:
    served = datetime(2013, 9, 2, tzinfo=UTC)
    later = served + timedelta(minutes=5)
    stamp = _guard(form="side-event", csrf_cookie="cookie").started_stamp(served)
    assert not _guard(form="side-event", csrf_cookie="cookie").filled_too_fast(stamp, later)
    assert _guard(form="other-event", csrf_cookie="cookie").filled_too_fast(stamp, later)
    assert _guard(form="side-event", csrf_cookie="another").filled_too_fast(stamp, later)
    assert _guard().filled_too_fast(stamp, later)
    unbound = _guard().started_stamp(served)
    assert _guard(form="side-event", csrf_cookie="cookie").filled_too_fast(unbound, later)


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param("1378080000.0", id="the former bare time"),
        pytest.param('[1378080000.0, "side-event"]', id="too short"),
        pytest.param('["1378080000", "side-event", "x"]', id="time as text"),
        pytest.param('[true, "side-event", "x"]', id="time as a boolean"),
        pytest.param("{}", id="not a list"),
    ],
)
def test_a_stamp_of_another_shape_is_refused(payload: str) -> None:
    served = datetime(2013, 9, 2, tzinfo=UTC)
    guard = _guard(form="side-event", csrf_cookie="x")
    for salt in ("form-started", "form-started-v2"):
        stamp = URLSafeSerializer("key", salt=salt).dumps(json.loads(payload))
        assert guard.filled_too_fast(stamp, served + timedelta(minutes=5))
    assert guard.filled_too_fast(None, served)
    assert guard.filled_too_fast("", served)


# Each process asks for the key at the same moment, as `rsvp serve --workers N` does.
_RACER = """
import os, sys, time
from pathlib import Path
from app.config import Settings
from app.kit.secrets import signing_key
start = float(sys.argv[2])
while time.time() < start:
    pass
print(signing_key(Settings(data_dir=Path(sys.argv[1]), _env_file=None)))
"""


@pytest.mark.slow
def test_processes_starting_at_once_all_read_the_same_whole_key(tmp_path: Path) -> None:
    start = time.time() + 1.5
    racers = [
        subprocess.Popen(
            [sys.executable, "-c", _RACER, str(tmp_path), str(start)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(8)
    ]
    results = [racer.communicate(timeout=60) for racer in racers]
    assert all(racer.returncode == 0 for racer in racers), [err for _, err in results]
    keys = {out.strip() for out, _ in results}
    assert len(keys) == 1
    (key,) = keys
    assert len(key) >= 32
    assert (tmp_path / "secret_key").read_text().strip() == key
    assert [p.name for p in tmp_path.iterdir()] == ["secret_key"]  # no temporary files left


def test_an_empty_key_file_is_refused_with_what_to_do(tmp_path: Path) -> None:
    (tmp_path / "secret_key").write_text("")
    with pytest.raises(RuntimeError, match="Delete it"):
        signing_key(settings_in(tmp_path))


@pytest.mark.parametrize("cookie", ["été", "\u00ff" * 43, "日本"])
def test_a_non_ascii_csrf_cookie_is_simply_invalid(cookie: str) -> None:
    guard = FormGuard("key", min_fill_time=timedelta(seconds=3))
    valid_token = guard.csrf_token(FormGuard.new_csrf_cookie())
    assert not guard.csrf_valid(cookie=cookie, token=valid_token)
    assert not guard.csrf_valid(cookie=cookie, token=guard.csrf_token(cookie))
