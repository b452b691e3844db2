"""Every legal organiser action, with exactly what it does to the whole event.

Each row of `MOVES` is one action on the registration X, in one setting:

- `seats`: "free" (one seat left), "full" (none left) or "over" (one confirmed
  beyond capacity, as only a `promote` override leaves it); the event's capacity
  is set from the scene to make it so. Checked-in registrants hold seats too.
- `waitlist`: whether the event takes new registrants onto its waitlist. A queue
  with the waitlist "off" is one formed before the organisers closed it.
- `before` and `after`: the event, stage by stage; the waitlist's names are in
  queue order (positions 1, 2, ...). `after` is "unchanged", or "409 <code>" for
  a refused action (which changes nothing).
- `told`: the e-mails the action queues, as "name:kind".

A waitlisted registrant only exists in a full event (a free seat goes to the
queue at once), so their rows have no "free" setting.
"""

from collections import Counter
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.models import AuditEntry, Event, OutboxMessage, Registration, RegistrationStatus
from app.registrations.transitions import TRANSITIONS, Action, Stage
from tests.fixtures.factories import AuthHeaders, MakeEvent, MakeRegistration

SLUG = "side-event"


@dataclass(frozen=True)
class Move:
    action: Action
    seats: str
    waitlist: str
    before: str
    after: str
    told: str

    @property
    def stage(self) -> Stage:
        """The stage X starts from."""
        return scene(self.before)["X"][0]

    def __str__(self) -> str:
        return f"{self.action} {self.stage}, seats {self.seats}, waitlist {self.waitlist}"


# fmt: off
MOVES = [
    # action               seats   waitlist
    #                                     before, then after                        told
    Move(Action.approve,   "free", "on",  "confirmed: A | pending_approval: X",
                                          "confirmed: A X",                         "X:confirmed"),
    Move(Action.approve,   "free", "off", "confirmed: A | pending_approval: X",
                                          "confirmed: A X",                         "X:confirmed"),
    Move(Action.approve,   "full", "on",  "confirmed: A | waitlisted: W1 W2 | pending_approval: X",
                                          "confirmed: A | waitlisted: W1 W2 X",     "X:waitlisted"),
    Move(Action.approve,   "full", "off", "confirmed: A | pending_approval: X",
                                          "409 event_full",                         ""),
    Move(Action.approve,   "over", "on",  "confirmed: A B | waitlisted: W1 | pending_approval: X",
                                          "confirmed: A B | waitlisted: W1 X",      "X:waitlisted"),

    Move(Action.decline,   "free", "on",  "confirmed: A | pending_approval: X",
                                          "confirmed: A | declined: X",             "X:declined"),
    Move(Action.decline,   "free", "off", "confirmed: A | pending_approval: X",
                                          "confirmed: A | declined: X",             "X:declined"),
    Move(Action.decline,   "full", "on",  "confirmed: A | waitlisted: W1 | pending_approval: X",
                                          "confirmed: A | waitlisted: W1 | declined: X",
                                                                                    "X:declined"),
    Move(Action.decline,   "full", "off", "confirmed: A | pending_approval: X",
                                          "confirmed: A | declined: X",             "X:declined"),
    Move(Action.decline,   "full", "on",  "confirmed: A | waitlisted: W1 X W3 W4",
                                          "confirmed: A | waitlisted: W1 W3 W4 | declined: X",
                                                                                    "X:declined"),
    Move(Action.decline,   "full", "off", "confirmed: A | waitlisted: W1 X W3 W4",
                                          "confirmed: A | waitlisted: W1 W3 W4 | declined: X",
                                                                                    "X:declined"),

    Move(Action.cancel,    "free", "on",  "confirmed: A | pending_approval: X",
                                          "confirmed: A | cancelled: X",            "X:cancelled"),
    Move(Action.cancel,    "free", "off", "confirmed: A | pending_approval: X",
                                          "confirmed: A | cancelled: X",            "X:cancelled"),
    Move(Action.cancel,    "full", "on",  "confirmed: A | waitlisted: W1 | pending_approval: X",
                                          "confirmed: A | waitlisted: W1 | cancelled: X",
                                                                                    "X:cancelled"),
    Move(Action.cancel,    "full", "off", "confirmed: A | pending_approval: X",
                                          "confirmed: A | cancelled: X",            "X:cancelled"),
    Move(Action.cancel,    "full", "on",  "confirmed: A | waitlisted: W1 X W3 W4",
                                          "confirmed: A | waitlisted: W1 W3 W4 | cancelled: X",
                                                                                    "X:cancelled"),
    Move(Action.cancel,    "full", "off", "confirmed: A | waitlisted: W1 X W3 W4",
                                          "confirmed: A | waitlisted: W1 W3 W4 | cancelled: X",
                                                                                    "X:cancelled"),
    Move(Action.cancel,    "free", "on",  "confirmed: A X | cancelled: Z",
                                          "confirmed: A | cancelled: X Z",          "X:cancelled"),
    Move(Action.cancel,    "free", "off", "confirmed: A X",
                                          "confirmed: A | cancelled: X",            "X:cancelled"),
    # The freed seat goes to the head of the queue; the rest move up one place.
    Move(Action.cancel,    "full", "on",  "confirmed: A X | checked_in: C | waitlisted: W1 W2 W3",
                                          "confirmed: A W1 | checked_in: C | waitlisted: W2 W3"
                                          " | cancelled: X",                        "X:cancelled "
                                                                                    "W1:promoted"),
    Move(Action.cancel,    "full", "off", "confirmed: A X",
                                          "confirmed: A | cancelled: X",            "X:cancelled"),
    # Beyond capacity, a cancellation frees no seat: nobody is promoted.
    Move(Action.cancel,    "over", "on",  "confirmed: A X | waitlisted: W1",
                                          "confirmed: A | waitlisted: W1 | cancelled: X",
                                                                                    "X:cancelled"),

    # The organiser's override: a seat even though none is left.
    Move(Action.promote,   "full", "on",  "confirmed: A | waitlisted: W1 X W3 W4",
                                          "confirmed: A X | waitlisted: W1 W3 W4",  "X:promoted"),
    Move(Action.promote,   "full", "off", "confirmed: A | waitlisted: W1 X W3 W4",
                                          "confirmed: A X | waitlisted: W1 W3 W4",  "X:promoted"),

    Move(Action.check_in,  "free", "on",  "confirmed: A X",
                                          "confirmed: A | checked_in: X",           ""),
    Move(Action.check_in,  "free", "off", "confirmed: A X",
                                          "confirmed: A | checked_in: X",           ""),
    Move(Action.check_in,  "full", "on",  "confirmed: A X | waitlisted: W1",
                                          "confirmed: A | checked_in: X | waitlisted: W1",  ""),
    Move(Action.check_in,  "full", "off", "confirmed: A X",
                                          "confirmed: A | checked_in: X",           ""),

    Move(Action.undo_check_in, "free", "on",  "confirmed: A | checked_in: X",
                                              "confirmed: A X",                     ""),
    Move(Action.undo_check_in, "free", "off", "confirmed: A | checked_in: X",
                                              "confirmed: A X",                     ""),
    Move(Action.undo_check_in, "full", "on",  "checked_in: A X | waitlisted: W1",
                                              "confirmed: X | checked_in: A | waitlisted: W1",
                                                                                    ""),
    Move(Action.undo_check_in, "full", "off", "checked_in: A X",
                                              "confirmed: X | checked_in: A",       ""),

    Move(Action.resend_confirmation, "free", "on",  "confirmed: A | pending_approval: X",
                                                    "unchanged",        "X:pending_approval"),
    Move(Action.resend_confirmation, "free", "off", "confirmed: A | pending_approval: X",
                                                    "unchanged",        "X:pending_approval"),
    Move(Action.resend_confirmation, "full", "on",  "confirmed: A | waitlisted: W1 "
                                                    "| pending_approval: X",
                                                    "unchanged",        "X:pending_approval"),
    Move(Action.resend_confirmation, "full", "off", "confirmed: A | pending_approval: X",
                                                    "unchanged",        "X:pending_approval"),
    Move(Action.resend_confirmation, "full", "on",  "confirmed: A | waitlisted: W1 X W3",
                                                    "unchanged",        "X:waitlisted"),
    Move(Action.resend_confirmation, "full", "off", "confirmed: A | waitlisted: W1 X W3",
                                                    "unchanged",        "X:waitlisted"),
    Move(Action.resend_confirmation, "free", "on",  "confirmed: A X",
                                                    "unchanged",        "X:confirmed"),
    Move(Action.resend_confirmation, "free", "off", "confirmed: A X",
                                                    "unchanged",        "X:confirmed"),
    Move(Action.resend_confirmation, "full", "on",  "confirmed: A X | waitlisted: W1",
                                                    "unchanged",        "X:confirmed"),
    Move(Action.resend_confirmation, "full", "off", "confirmed: A X",
                                                    "unchanged",        "X:confirmed"),
]
# fmt: on

Place = tuple[Stage, int | None]
"""A registration's stage and waitlist position."""


def scene(text: str) -> dict[str, Place]:
    """Reads the notation: "confirmed: A | waitlisted: W1 W2" gives A (confirmed, None),
    W1 (waitlisted, 1) and W2 (waitlisted, 2)."""
    places: dict[str, Place] = {}
    for part in text.split("|"):
        label, names = part.split(":")
        stage = Stage(label.strip())
        for position, name in enumerate(names.split(), start=1):
            places[name] = (stage, position if stage == Stage.waitlisted else None)
    return places


def seated(places: dict[str, Place]) -> int:
    """Seats taken: confirmed registrants, arrived or not."""
    return sum(stage in (Stage.confirmed, Stage.checked_in) for stage, _ in places.values())


def capacity_for(move: Move) -> int:
    return seated(scene(move.before)) + {"free": 1, "full": 0, "over": -1}[move.seats]


async def event_places(
    sessionmaker: async_sessionmaker[AsyncSession], names: dict[Any, str]
) -> dict[str, Place]:
    """Every registration of the event as it is now, by name."""
    async with sessionmaker() as session:
        rows = await session.execute(
            select(
                Registration.id,
                Registration.status,
                Registration.checked_in_at,
                # The waitlist position, as a plain ORDER BY over the rows numbers it.
                case(
                    (
                        Registration.status == RegistrationStatus.waitlisted,
                        func.row_number().over(
                            partition_by=(Registration.event_id, Registration.status),
                            order_by=Registration.waitlist_order,
                        ),
                    ),
                ),
            )
            .join(Event)
            .where(Event.slug == SLUG)
        )
        return {
            names[id_]: (Stage.checked_in if arrived else Stage(status), position)
            for id_, status, arrived, position in rows
        }


async def queued_and_audited(
    sessionmaker: async_sessionmaker[AsyncSession], names: dict[Any, str]
) -> tuple[Counter[str], list[str]]:
    """The e-mails queued ("name:kind") and the audit log's registration entries."""
    async with sessionmaker() as session:
        mails = await session.execute(select(OutboxMessage.registration_id, OutboxMessage.kind))
        audited = await session.scalars(
            select(AuditEntry.action).where(AuditEntry.target_type == "registration")
        )
        return Counter(f"{names[r]}:{kind}" for r, kind in mails), list(audited)


@pytest.mark.parametrize("move", MOVES, ids=str)
async def test_a_legal_action_does_exactly_what_the_table_says(
    move: Move,
    make_event: MakeEvent,
    make_registration: MakeRegistration,
    auth_headers: AuthHeaders,
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    before = scene(move.before)
    capacity = capacity_for(move)
    await make_event(
        capacity=capacity, waitlist_enabled=move.waitlist == "on", approval_required=True
    )
    names: dict[Any, str] = {}
    for name in before:  # the waitlist's names in queue order
        registration, _ = await make_registration(before[name][0])
        names[registration.id] = name
    x = next(id_ for id_, name in names.items() if name == "X")
    assert await event_places(sessionmaker, names) == before

    response = await client.post(
        f"/api/admin/events/{SLUG}/registrations/{x}/{move.action}", headers=await auth_headers()
    )

    refused = move.after.startswith("409")
    expected = before if refused or move.after == "unchanged" else scene(move.after)
    after = await event_places(sessionmaker, names)
    assert after == expected
    if refused:
        assert (response.status_code, response.json()["code"]) == (409, move.after.split()[1])
    else:
        assert response.status_code == 200, response.text
        body = response.json()
        stage = Stage.checked_in if body["checked_in_at"] else Stage(body["status"])
        assert (stage, body["waitlist_position"]) == expected["X"]
    # The queue stays 1..n without gaps; only the promote override seats beyond capacity.
    positions = sorted(p or 0 for stage, p in after.values() if stage == Stage.waitlisted)
    assert positions == list(range(1, len(positions) + 1))
    assert seated(after) <= capacity or move.action == Action.promote or move.seats == "over"
    told, audited = await queued_and_audited(sessionmaker, names)
    assert told == Counter(move.told.split())
    assert audited == ([] if refused else [f"registration.{move.action}"])


def test_the_table_covers_every_legal_action_from_every_stage_in_every_setting() -> None:
    settings = {(m.action, m.stage, m.seats, m.waitlist) for m in MOVES}
    for action, rule in TRANSITIONS.items():
        for stage in rule.allowed_from:
            for seats in ("full",) if stage == Stage.waitlisted else ("free", "full"):
                for waitlist in ("on", "off"):
                    assert (action, stage, seats, waitlist) in settings
    assert all(m.stage in TRANSITIONS[m.action].allowed_from for m in MOVES)
    assert len({str(m) for m in MOVES}) == len(MOVES), "a setting is in the table twice"
