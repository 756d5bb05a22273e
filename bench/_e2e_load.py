"""The load: realistic identifications POSTed at an offered rate or by back-to-back clients."""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import aiohttp

# Agency -> the states its officers work in (all served by the demo directory).
AGENCIES: dict[str, tuple[str, ...]] = {
    "pdrm-selangor": ("selangor",),
    "pdrm-kl": ("kuala_lumpur",),
    "imi-johor": ("johor",),
    "ocsc-sabah": ("sabah",),
    "jtk-perak": ("perak",),
    "jkm-national": ("selangor", "kuala_lumpur", "johor", "sabah", "perak"),
}
# A raid: one agency, every child found in one state, so a few providers get everything.
RAID_AGENCY, RAID_STATE = "pdrm-selangor", "selangor"
# (nationality status, the child's languages, indicators, where the child is now)
_STORIES: tuple[tuple[str, tuple[str, ...], tuple[str, ...], str], ...] = (
    ("refugee", ("rhg", "my"), ("forced_labour",), "police_lockup"),
    ("undocumented", ("my",), ("sexual_exploitation", "sexual_violence"), "immigration_detention"),
    ("stateless", ("ms",), ("forced_or_child_marriage",), "hospital"),
    ("citizen", ("ms", "ta"), ("forced_labour",), "workplace"),
    ("asylum_seeker", ("bn",), ("domestic_servitude",), "shelter"),
    ("documented_migrant", ("id", "ms"), ("forced_begging",), "community"),
)


def identification(
    reference: str, rng: random.Random, *, raid: bool = False
) -> tuple[str, dict[str, Any]]:
    """(agency, body) for one identification, drawn from a handful of realistic stories."""
    agency = RAID_AGENCY if raid else rng.choice(tuple(AGENCIES))
    status, languages, indicators, location = rng.choice(_STORIES)
    now = datetime.now(UTC)
    situation: dict[str, Any] = {
        "indicators": list(indicators),
        "location": location,
        "state": RAID_STATE if raid else rng.choice(AGENCIES[agency]),
        "safe_place_tonight": rng.random() < 0.3,
        "court_date_pending": rng.random() < 0.2,
        "interview_scheduled": rng.random() < 0.3,
    }
    if "sexual_violence" in indicators:
        situation["sexual_violence_at"] = (now - timedelta(hours=rng.randint(2, 60))).isoformat()
    age = rng.randint(9, 17)
    body = {
        "agency_reference": reference,
        "identified_at": now.isoformat(),
        "child": {
            "age_years": age,
            "age_disputed": age >= 16 and rng.random() < 0.3,
            "gender": rng.choice(("female", "male")),
            "nationality_status": status,
            "languages": list(languages),
        },
        "situation": situation,
    }
    return agency, body


@dataclass
class Sent:
    """One POST: when it left, what intake answered, and when."""

    sent_at: float
    status: int = 0
    case_id: str = ""
    answered_at: float = 0.0


class Load:
    """POSTs identifications to intake over one keep-alive session."""

    def __init__(
        self, session: aiohttp.ClientSession, intake_url: str, keys: dict[str, str]
    ) -> None:
        self.session = session
        self.url = f"{intake_url}/v1/identifications"
        self.headers = {a: {"Authorization": f"Bearer {k}"} for a, k in keys.items()}
        self.rng = random.Random(7)
        self.serial = 0
        self.tag = f"BENCH-{int(time.time())}"
        self.raid = False  # every identification from one agency, in one state

    async def post(self, out: list[Sent]) -> None:
        """POST one new identification; record the outcome in `out`."""
        self.serial += 1
        agency, body = identification(f"{self.tag}-{self.serial}", self.rng, raid=self.raid)
        sent = Sent(sent_at=time.time())
        out.append(sent)
        try:
            async with self.session.post(
                self.url, json=body, headers=self.headers[agency]
            ) as response:
                sent.status = response.status
                if response.status == 202:
                    sent.case_id = str((await response.json())["case_id"])
                else:
                    await response.read()
        except (OSError, TimeoutError) as exc:
            sent.status = -1
            print(f"  POST failed: {exc!r}")
        sent.answered_at = time.time()

    async def offered(self, rate: float, seconds: float) -> list[Sent]:
        """Open loop: one POST every 1/rate s whatever intake's pace, for `seconds`."""
        out: list[Sent] = []
        tasks: set[asyncio.Task[None]] = set()
        began = time.monotonic()
        for i in range(int(rate * seconds)):
            delay = began + i / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            task = asyncio.create_task(self.post(out))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        await asyncio.gather(*tasks)
        return out

    async def closed(self, clients: int, seconds: float) -> list[Sent]:
        """Closed loop: `clients` callers each POSTing back to back for `seconds`."""
        out: list[Sent] = []
        until = time.monotonic() + seconds

        async def client() -> None:
            while time.monotonic() < until:
                await self.post(out)

        await asyncio.gather(*(client() for _ in range(clients)))
        return out
