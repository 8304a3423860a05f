"""The repeat-infringer ladder (DMCA 512(i), DSA Art. 23): which penalty a seller's live strikes
call for. Pure functions; workflow/enforcement.py records strikes and applies what these decide.

The ladder is configuration (PENALTY_LADDER), e.g. "1:warning, 2:restriction:7, 3:suspension:30,
4:termination": from 1 live strike a warning, from 2 a 7-day restriction on new listings, and so on.
The ladder stops at termination: while a termination stands, further strikes count but bring no new
penalty (workflow/enforcement.py, standing_termination).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from takedowns.enums import PENALTY_SEVERITY, PenaltyLevel


@dataclass(frozen=True)
class Step:
    strikes: int
    level: str
    days: int | None = None  # how long a restriction or suspension lasts

    def ends_at(self, start: datetime) -> datetime | None:
        return start + timedelta(days=self.days) if self.days else None

    @property
    def duration(self) -> str:
        if self.level == PenaltyLevel.TERMINATION:
            return "permanent"
        return f"{self.days} days" if self.days else "no end date"


def parse_ladder(text: str) -> list[Step]:
    """Read the ladder from its configuration text; any mistake is a ValueError that says what is wrong."""
    steps = []
    for part in filter(None, (chunk.strip() for chunk in text.split(","))):
        fields = part.split(":")
        if len(fields) not in (2, 3) or not fields[0].strip().isdigit():
            raise ValueError(f"Penalty ladder step {part!r}: write strikes:level or strikes:level:days.")
        strikes, level = int(fields[0]), fields[1].strip()
        if level not in PenaltyLevel.values:
            raise ValueError(f"Penalty ladder step {part!r}: the level must be one of "
                             f"{', '.join(PenaltyLevel.values)}.")
        days = int(fields[2]) if len(fields) == 3 and fields[2].strip().isdigit() else None
        if level in (PenaltyLevel.RESTRICTION, PenaltyLevel.SUSPENSION) and not days:
            raise ValueError(f"Penalty ladder step {part!r}: a {level} needs a number of days.")
        lasts = level in (PenaltyLevel.RESTRICTION, PenaltyLevel.SUSPENSION)
        steps.append(Step(strikes, level, days if lasts else None))
    if not steps:
        raise ValueError("The penalty ladder has no steps.")
    ordered = sorted(steps, key=lambda step: step.strikes)
    for lower, higher in zip(ordered, ordered[1:], strict=False):
        if lower.strikes == higher.strikes or PENALTY_SEVERITY[lower.level] > PENALTY_SEVERITY[higher.level]:
            raise ValueError("Penalty ladder: each step needs more strikes and an equal or harsher penalty than the "
                             "one before.")
    return ordered


def step_for(live_strikes: int, ladder: list[Step]) -> Step | None:
    """The highest step the seller's live strikes reach, or None below the first step."""
    reached = [step for step in ladder if step.strikes <= live_strikes]
    return reached[-1] if reached else None
