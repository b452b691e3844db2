"""Organiser accounts: password rules, unique e-mail, audit."""

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.kit.errors import Conflict
from app.models import AuditEntry, OrganiserRole
from app.organisers.accounts import create_organiser
from app.organisers.passwords import WeakPassword, check_strength, verify_password
from tests.fixtures.clock import FakeClock

STRONG = "tree-river-lantern-42"


@pytest.mark.parametrize(
    ("password", "hint"),
    [
        ("short1!", "at least 12"),
        ("aaaaaaaaaaaaaaaa", "different"),
        ("my-name-is-fatou-2013", "e-mail"),
    ],
)
def test_weak_passwords_are_refused_with_a_reason(password: str, hint: str) -> None:
    with pytest.raises(WeakPassword, match=hint):
        check_strength(password, email="fatou@jmdi.example")


async def test_an_account_keeps_only_a_hash_of_its_password(
    session: AsyncSession, clock: FakeClock
) -> None:
    organiser = await create_organiser(
        session, email=" Fatou@JMDI.example ", role=OrganiserRole.staff, password=STRONG,
        now=clock.now(),
    )  # fmt: skip
    assert organiser.email == "fatou@jmdi.example"
    assert STRONG not in organiser.password_hash
    assert verify_password(STRONG, organiser.password_hash)


async def test_an_e_mail_holds_one_account_whatever_its_case(
    session: AsyncSession, clock: FakeClock
) -> None:
    await create_organiser(
        session, email="fatou@jmdi.example", role=OrganiserRole.staff, password=STRONG,
        now=clock.now(),
    )  # fmt: skip
    with pytest.raises(Conflict):
        await create_organiser(
            session, email="FATOU@jmdi.example", role=OrganiserRole.owner, password=STRONG,
            now=clock.now(),
        )  # fmt: skip


async def test_creating_an_account_is_audited(session: AsyncSession, clock: FakeClock) -> None:
    organiser = await create_organiser(
        session, email="fatou@jmdi.example", role=OrganiserRole.viewer, password=STRONG,
        now=clock.now(),
    )  # fmt: skip
    entry = (await session.scalars(select(AuditEntry))).one()
    assert (entry.action, entry.target_id) == ("organiser.create", str(organiser.id))
    assert entry.after == {"email": "fatou@jmdi.example", "role": "viewer"}
