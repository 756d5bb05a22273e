"""The rota file: who holds each role's alerts in each state, and how to reach them.

Validated on load like the endpoints file: a misspelt key, a shift naming no one in
`people`, or a stand-in who does not exist stops start-up, naming the entry.
"""

from __future__ import annotations

from datetime import time
from enum import StrEnum
from typing import Annotated, Self

from lindung_contracts import MalaysianState, RecipientRole
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from .endpoints import Endpoint

__all__ = ["Day", "Person", "PersonId", "Rota", "RotaFile", "Shift"]

# Staff ids go on Kafka (never names): short, plain, safe in a URL or a log line.
PersonId = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._-]{0,63}$")]


class Day(StrEnum):
    """A day a shift starts on: a weekday, or any public holiday of the rota's state."""

    MON = "mon"
    TUE = "tue"
    WED = "wed"
    THU = "thu"
    FRI = "fri"
    SAT = "sat"
    SUN = "sun"
    PUBLIC_HOLIDAY = "public_holiday"


WEEKDAYS = (Day.MON, Day.TUE, Day.WED, Day.THU, Day.FRI, Day.SAT, Day.SUN)


def _naive(value: time) -> time:
    if value.tzinfo is not None:
        raise ValueError("a shift's times are Malaysia's time: write them without an offset")
    return value


_Time = Annotated[time, AfterValidator(_naive)]


class _Config(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Person(Endpoint):
    """Someone on a rota: a display name (staff data) and their channels, as an endpoint's."""

    name: str = Field(
        min_length=1,
        max_length=100,
        description="The person's name as colleagues know it; shown at the desk, never sent "
        "on Kafka.",
        examples=["Aminah (duty coordinator, Sabah)"],
    )


class Shift(_Config):
    """A weekly stretch of duty in Malaysia's time; ends the next day when `end` <= `start`."""

    person: PersonId = Field(description="Who is on duty: an id in `people`.")
    days: tuple[Day, ...] = Field(
        min_length=1,
        description="The days the shift starts on: `mon`..`sun`, and `public_holiday` for "
        "every public holiday of the state whatever its weekday.",
    )
    start: _Time = Field(description="Start, `HH:MM`, Malaysia's time.")
    end: _Time = Field(
        description="End, `HH:MM`; at or before `start` the shift runs past midnight (equal: "
        "24 hours)."
    )
    public_holidays: bool = Field(
        default=False,
        description="Whether the person works this shift when it falls on a public holiday "
        "of the state; if not, the stand-ins hold it then. A `public_holiday` shift always "
        "does.",
    )
    stand_ins: tuple[PersonId, ...] = Field(
        default=(),
        max_length=10,
        description="Who holds the alert, in this order, when the person is off or cannot be "
        "reached; after them the role's endpoint.",
    )

    def covers_holidays(self) -> bool:
        """Whether the person works the shift on a public holiday."""
        return self.public_holidays or Day.PUBLIC_HOLIDAY in self.days


class Rota(_Config):
    """One role's rota in one state."""

    shifts: tuple[Shift, ...] = Field(min_length=1, description="The shifts, in order.")


class RotaFile(_Config):
    """The rota file: people by id, and each role's rota per state."""

    people: dict[PersonId, Person] = Field(default_factory=dict)
    rotas: dict[RecipientRole, dict[MalaysianState, Rota]] = Field(default_factory=dict)
    hand_over_after_attempts: int = Field(
        default=3,
        ge=1,
        le=24,
        description="Failed attempts on every channel of the person on duty before the "
        "alert goes to the next holder (a refusal hands over at once).",
    )

    @model_validator(mode="after")
    def _known_people(self) -> Self:
        reasons = []
        if RecipientRole.PROVIDER in self.rotas:
            reasons.append("rotas.provider: providers are reached by their directory id")
        for role, states in self.rotas.items():
            for state, rota in states.items():
                for n, shift in enumerate(rota.shifts):
                    where = f"rotas.{role.value}.{state.value}.shifts.{n}"
                    reasons += [
                        f"{where}: no person {who!r} in people"
                        for who in (shift.person, *shift.stand_ins)
                        if who not in self.people
                    ]
        if reasons:
            raise ValueError("; ".join(reasons))
        return self

    def rota(self, role: str, state: MalaysianState) -> Rota | None:
        """The rota of `role` in `state`, if there is one."""
        return self.rotas.get(RecipientRole(role), {}).get(state)

    def person(self, person_id: str) -> Person | None:
        """A person by id."""
        return self.people.get(person_id)
