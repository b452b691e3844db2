"""Seat accounting with invitations among the random steps (hypothesis, stateful).

The machine of tests/test_seat_accounting.py, plus: invite (holding seats or
not, with up to two companions), accept with some of the companions allowed,
decline, revoke, delegate, and a deadline passing (then the worker's expiry
job runs). After every step the invariants of that test hold, with the held
seats: `event_counters.held` is the sum of the pending invitations' holds, and
no seat is free (neither confirmed nor held) while people wait.
"""

import uuid
from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, strategies
from hypothesis import settings as hypothesis_settings
from hypothesis.stateful import rule, run_state_machine_as_test
from sqlalchemy import update

from app.config import Settings
from app.invitations.expiry import expire_lapsed
from app.invitations.schemas import AcceptBody, DelegateBody, InvitationCreate
from app.invitations.service import accept, create_invitations, decline, delegate, revoke
from app.models import Invitation
from tests.fixtures.invitations import accept_body
from tests.test_seat_accounting import NOW, SeatAccounting, database

__all__ = ["database"]  # the fixture, for the test below

GUEST = {"given_name": "Omar", "family_name": "Ba", "has_un_grounds_pass": False}


class SeatAccountingWithInvitations(SeatAccounting):
    def __init__(self) -> None:
        super().__init__()
        self.invitations: list[tuple[uuid.UUID, str]] = []

    def _pick(self, pick: int) -> tuple[uuid.UUID, str] | None:
        return self.invitations[pick % len(self.invitations)] if self.invitations else None

    @rule(companions=strategies.integers(0, 2), hold=strategies.booleans())
    def invite(self, companions: int, hold: bool) -> None:
        row = InvitationCreate(
            email=f"invitee-{uuid.uuid4().hex[:8]}@example.org",
            given_name="Amina",
            family_name="Diallo",
            companions_allowed=companions,
            hold_seats=hold,
            respond_by=NOW + timedelta(days=1),
        )

        async def make(session: Any) -> Any:
            return await create_invitations(
                session, event_slug=self.slug, rows=[row], actor=self.organiser, now=NOW
            )

        made = self.run(make)
        if made:
            self.invitations.append((made[0].invitation.id, made[0].token))

    @rule(pick=strategies.integers(0, 1000), guests=strategies.integers(0, 2))
    def invitee_accepts(self, pick: int, guests: int) -> None:
        chosen = self._pick(pick)
        if chosen is None:
            return
        body = AcceptBody.model_validate(accept_body(companions=[GUEST] * guests))
        self.run(
            lambda session: accept(session, token=chosen[1], body=body, now=NOW, ticket_key="k")
        )

    @rule(pick=strategies.integers(0, 1000))
    def invitee_declines(self, pick: int) -> None:
        chosen = self._pick(pick)
        if chosen is not None:
            self.run(lambda session: decline(session, token=chosen[1], note=None, now=NOW))

    @rule(pick=strategies.integers(0, 1000))
    def invitee_delegates(self, pick: int) -> None:
        chosen = self._pick(pick)
        if chosen is None:
            return
        body = DelegateBody(
            email=f"deputy-{uuid.uuid4().hex[:8]}@example.org", given_name="L", family_name="B"
        )
        outcome = self.run(lambda session: delegate(session, token=chosen[1], body=body, now=NOW))
        if outcome:
            successor = outcome[1]
            self.invitations.append((successor.invitation.id, successor.token))

    @rule(pick=strategies.integers(0, 1000))
    def organiser_revokes(self, pick: int) -> None:
        chosen = self._pick(pick)
        if chosen is None:
            return
        self.run(
            lambda session: revoke(
                session,
                event_slug=self.slug,
                invitation_id=chosen[0],
                actor=self.organiser,
                now=NOW,
            )
        )

    @rule(pick=strategies.integers(0, 1000))
    def a_deadline_passes(self, pick: int) -> None:
        """The clock passes one invitation's deadline; the worker's expiry job runs."""
        chosen = self._pick(pick)
        if chosen is None:
            return

        async def lapse(session: Any) -> None:
            await session.execute(
                update(Invitation)
                .where(Invitation.id == chosen[0])
                .values(respond_by=NOW - timedelta(seconds=1))
            )

        self.run(lapse)
        self.loop.run_until_complete(expire_lapsed(self.sessionmaker, NOW))


def test_counters_and_holds_agree_with_the_rows_with_invitations_among_the_steps(
    database: str, settings: Settings
) -> None:
    SeatAccountingWithInvitations.url = database
    SeatAccountingWithInvitations.app_settings = settings
    run_state_machine_as_test(
        SeatAccountingWithInvitations,
        settings=hypothesis_settings(
            max_examples=15,
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
