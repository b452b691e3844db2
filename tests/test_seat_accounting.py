"""Seat accounting under random sequences of changes (hypothesis, stateful).

Sign-ups, registrants' cancellations, organisers' actions (approve, decline,
promote, cancel, check in and out) and capacity changes run against a real
database, each in a transaction of its own. After every step the event's
counters, the tallies and the waitlist's order must agree with a plain count(*) and ORDER BY
over the rows, free seats never sit beside a waitlist, and no step but the
organiser's promote (the documented override) seats anyone beyond capacity.
"""

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, strategies
from hypothesis import settings as hypothesis_settings
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import func, select, text

from app.config import Settings
from app.events.admin import update_event
from app.events.schemas import EventUpdate
from app.events.seed import seed_event
from app.kit.db import create_engine, create_sessionmaker
from app.kit.errors import AppError
from app.mail.outbox import count_by_state
from app.models import (
    ACTIVE_SQL,
    DeliveryState,
    Event,
    EventCounters,
    EventTally,
    Invitation,
    InvitationStatus,
    Organiser,
    OrganiserRole,
    OutboxMessage,
    Registration,
    RegistrationStatus,
)
from app.models.event_counters import COUNTED_STATUSES
from app.models.waitlist import load_positions
from app.registrations.schemas import RegistrationCreate
from app.registrations.service import Registered, cancel_by_token, register
from app.registrations.transitions import Action, apply_action
from app.substitutions.schemas import SubstituteCreate
from app.substitutions.service import Substituted, substitute
from tests.fixtures.factories import event_fields, signup_body

NOW = datetime(2013, 9, 2, 14, 0, tzinfo=UTC)
ORGANISER_ACTIONS = [
    Action.approve,
    Action.decline,
    Action.promote,
    Action.cancel,
    Action.check_in,
    Action.undo_check_in,
]


@pytest.fixture
def database(make_database: Callable[[], Awaitable[str]]) -> Iterator[str]:
    async def make() -> str:
        return await make_database()

    yield asyncio.run(make())


class SeatAccounting(RuleBasedStateMachine):
    url: str
    app_settings: Settings

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.engine = create_engine(self.url, pool_size=1)
        self.sessionmaker = create_sessionmaker(self.engine, settings=self.app_settings)
        self.slug = f"event-{uuid.uuid4().hex[:8]}"
        self.tokens: list[str] = []
        self.ids: list[uuid.UUID] = []
        self.organiser = Organiser(
            email=f"owner-{uuid.uuid4().hex[:8]}@jmdi.example",
            role=OrganiserRole.owner,
            password_hash="not used",
            created_at=NOW,
        )
        self.confirmed_before = 0

    def run(self, work: Callable[[Any], Awaitable[Any]]) -> Any:
        """`work(session)` in a transaction of its own; a refusal (4xx) rolls it back."""

        async def go() -> Any:
            async with self.sessionmaker() as session, session.begin():
                return await work(session)

        try:
            return self.loop.run_until_complete(go())
        except AppError:
            return None

    def teardown(self) -> None:
        self.loop.run_until_complete(self.engine.dispose())
        self.loop.close()

    @initialize(
        capacity=strategies.integers(0, 4),
        approval=strategies.booleans(),
        waitlist=strategies.booleans(),
    )
    def create_event(self, capacity: int, approval: bool, waitlist: bool) -> None:
        async def create(session: Any) -> None:
            session.add(self.organiser)
            fields = event_fields(
                slug=self.slug,
                capacity=capacity,
                approval_required=approval,
                waitlist_enabled=waitlist,
            )
            await seed_event(session, fields, now=NOW)

        self.run(create)

    def remember(self, outcome: Any) -> None:
        if isinstance(outcome, Registered):
            self.tokens.append(outcome.manage_token)
            self.ids.append(outcome.registration.id)

    @rule()
    def sign_up(self) -> None:
        data = RegistrationCreate.model_validate(signup_body())
        self.remember(
            self.run(
                lambda session: register(
                    session, event_slug=self.slug, data=data, now=NOW, ticket_key="key"
                )
            )
        )

    @rule(pick=strategies.integers(0, 1000))
    def sign_up_again(self, pick: int) -> None:
        """A second sign-up with an e-mail already registered (a duplicate, or, once
        that registration is over, a new one)."""
        if not self.ids:
            return
        registration_id = self.ids[pick % len(self.ids)]

        async def again(session: Any) -> Any:
            email = await session.scalar(
                select(Registration.email).where(Registration.id == registration_id)
            )
            data = RegistrationCreate.model_validate(signup_body(email=email))
            return await register(
                session, event_slug=self.slug, data=data, now=NOW, ticket_key="key"
            )

        self.remember(self.run(again))

    @rule(pick=strategies.integers(0, 1000))
    def registrant_cancels(self, pick: int) -> None:
        if self.tokens:
            token = self.tokens[pick % len(self.tokens)]
            self.run(lambda session: cancel_by_token(session, token=token, now=NOW))

    @rule(pick=strategies.integers(0, 1000))
    def registrant_sends_a_colleague(self, pick: int) -> None:
        """The place changes hands: the counts and the queue must not move."""
        if not self.tokens:
            return
        token = self.tokens[pick % len(self.tokens)]
        data = SubstituteCreate.model_validate(signup_body())
        outcome = self.run(
            lambda session: substitute(session, token=token, data=data, now=NOW, ticket_key="key")
        )
        if isinstance(outcome, Substituted):
            self.tokens.append(outcome.manage_token)
            self.ids.append(outcome.substitute.id)

    @rule(pick=strategies.integers(0, 1000), action=strategies.sampled_from(ORGANISER_ACTIONS))
    def organiser_acts(self, pick: int, action: Action) -> None:
        if not self.ids:
            return
        registration_id = self.ids[pick % len(self.ids)]
        self.run(
            lambda session: apply_action(
                session,
                event_slug=self.slug,
                registration_id=registration_id,
                action=action,
                actor=self.organiser,
                now=NOW,
            )
        )
        if action == Action.promote:
            # The override may seat beyond capacity: the next steps start from here.
            self.confirmed_before = self.rows_by_status()[RegistrationStatus.confirmed]

    @rule(capacity=strategies.integers(0, 5))
    def organiser_sets_capacity(self, capacity: int) -> None:
        changes = EventUpdate.model_validate({"capacity": capacity})
        self.run(
            lambda session: update_event(
                session, slug=self.slug, changes=changes, actor=None, now=NOW
            )
        )

    def rows_by_status(self) -> dict[RegistrationStatus, int]:
        async def count(session: Any) -> dict[RegistrationStatus, int]:
            rows = await session.execute(
                select(Registration.status, func.count())
                .join(Event, Event.id == Registration.event_id)
                .where(Event.slug == self.slug)
                .group_by(Registration.status)
            )
            return {status: 0 for status in RegistrationStatus} | dict(rows.all())

        result: dict[RegistrationStatus, int] = self.run(count)
        return result

    @invariant()
    def counters_match_the_rows(self) -> None:
        async def check(session: Any) -> None:
            event_id, capacity = (
                await session.execute(
                    select(Event.id, Event.capacity).where(Event.slug == self.slug)
                )
            ).one()
            counters = await session.get_one(EventCounters, event_id, populate_existing=True)
            rows = await session.execute(
                select(Registration.status, func.count())
                .where(Registration.event_id == event_id)
                .group_by(Registration.status)
            )
            counted = {status: 0 for status in RegistrationStatus} | dict(rows.all())
            # A sign-up awaiting verification holds nothing and is not counted.
            assert {s: getattr(counters, s.value) for s in COUNTED_STATUSES} == {
                s: counted[s] for s in COUNTED_STATUSES
            }
            arrived = await session.scalar(
                select(func.count()).where(
                    Registration.event_id == event_id,
                    Registration.status == RegistrationStatus.confirmed,
                    Registration.checked_in_at.is_not(None),
                )
            )
            assert counters.checked_in == arrived
            assert await tallied(session, event_id) == await tallied_by_sql(session, event_id)
            messages = await session.execute(
                select(OutboxMessage.state, func.count())
                .where(OutboxMessage.event_id == event_id)
                .group_by(OutboxMessage.state)
            )
            by_state = {state: 0 for state in DeliveryState} | dict(messages.all())
            assert await count_by_state(session, event_id) == by_state

            waiting = list(
                await session.scalars(
                    select(Registration)
                    .where(
                        Registration.event_id == event_id,
                        Registration.status == RegistrationStatus.waitlisted,
                    )
                    .order_by(Registration.signup_seq.desc())  # any order: positions say
                )
            )
            await load_positions(session, waiting)
            by_order = sorted(waiting, key=lambda r: r.waitlist_order or 0)
            assert [r.waitlist_position for r in by_order] == list(range(1, len(waiting) + 1))

            # Seats held by pending invitations (none unless a subclass invites):
            # the counters' `held` is their sum, and they are not free.
            held = await session.scalar(
                select(func.coalesce(func.sum(Invitation.seats_held), 0)).where(
                    Invitation.event_id == event_id,
                    Invitation.status == InvitationStatus.pending,
                )
            )
            assert counters.held == held

            confirmed = counted[RegistrationStatus.confirmed]
            if waiting:
                assert confirmed + held >= capacity, "seats are free while people wait"
            if confirmed > self.confirmed_before:
                assert confirmed <= capacity, "seated beyond capacity"
            self.confirmed_before = confirmed

        self.run(check)


async def tallied(session: Any, event_id: int) -> dict[tuple[str, str], int]:
    """The event's tallies (`event_tallies`) that are not 0."""
    rows = await session.execute(
        select(EventTally.dimension, EventTally.key, EventTally.count).where(
            EventTally.event_id == event_id, EventTally.count != 0
        )
    )
    return {(dimension, key): n for dimension, key, n in rows}


async def tallied_by_sql(session: Any, event_id: int) -> dict[tuple[str, str], int]:
    """The same tallies counted over the rows."""
    active = f"WHERE event_id = :event AND {ACTIVE_SQL}"
    sql = f"""
        SELECT 'affiliation_type', affiliation_type, count(*) FROM registrations {active}
        GROUP BY 2
        UNION ALL
        SELECT 'country', coalesce(country, ''), count(*) FROM registrations {active} GROUP BY 2
        UNION ALL
        SELECT 'signup_quarter', to_char(date_bin('15 minutes', created_at,
            timestamptz '2000-01-01 00:00+00') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI"Z"'),
            count(*)
        FROM registrations WHERE event_id = :event GROUP BY 2
        UNION ALL
        SELECT 'checkin_quarter', to_char(date_bin('15 minutes', checked_in_at,
            timestamptz '2000-01-01 00:00+00') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI"Z"'),
            count(*)
        FROM registrations WHERE event_id = :event AND status = 'confirmed'
            AND checked_in_at IS NOT NULL GROUP BY 2"""
    rows = await session.execute(text(sql), {"event": event_id})
    return {(dimension, key): n for dimension, key, n in rows}


def test_counters_and_the_waitlist_agree_with_the_rows_after_every_step(
    database: str, settings: Settings
) -> None:
    SeatAccounting.url = database
    SeatAccounting.app_settings = settings
    run_state_machine_as_test(
        SeatAccounting,
        settings=hypothesis_settings(
            max_examples=20,
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
