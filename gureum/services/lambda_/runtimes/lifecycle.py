"""The life cycle of every runtime identifier AWS lists: supported, or deprecated with its
three dates, as AWS's "Lambda runtimes" page gives them (supported runtimes with their
projected dates, deprecated runtimes with the dates that passed).

`LIFECYCLE` maps an identifier to (family, deprecation date, block function create date,
block function update date); a date AWS gives as none is None. An identifier of botocore's
`Runtime` enum that is not here (python3.15, nodejs26.x, ruby4.0, java8.al2023, custom...)
is one AWS lists neither as supported nor as deprecated: gureum refuses it as AWS's enum
check does. The dates are compared with `today(...)`: the real date (UTC), or the one the
setting `lambda.runtime_date` pins (tests, or a CI that wants a reproducible answer).

AWS's policy (runtime-support-policy): from the deprecation date a runtime gets no more
patches; from "block function create" CreateFunction (and UpdateFunctionConfiguration
setting it) is refused; from "block function update" every update of a function on it is
refused too; functions already on it keep running.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone

# A setting or an environment variable names the date in this format.
DATE_FORMAT = "%Y-%m-%d"


def _d(text: str) -> date:
    return datetime.strptime(text, "%b %d, %Y").date()


@dataclass(frozen=True)
class Lifecycle:
    family: str  # python | nodejs | java | dotnet | ruby | provided
    deprecation: date | None = None
    block_create: date | None = None
    block_update: date | None = None

    def deprecated(self, today: date) -> bool:
        return self.deprecation is not None and today >= self.deprecation

    def create_blocked(self, today: date) -> bool:
        return self.block_create is not None and today >= self.block_create

    def update_blocked(self, today: date) -> bool:
        return self.block_update is not None and today >= self.block_update

    def state(self, today: date) -> str:
        """"supported", "deprecated since …", "create blocked since …" or "update blocked since …"."""
        if self.update_blocked(today):
            assert self.block_update is not None
            return f"update blocked since {self.block_update.isoformat()}"
        if self.create_blocked(today):
            assert self.block_create is not None
            return f"create blocked since {self.block_create.isoformat()}"
        if self.deprecated(today):
            assert self.deprecation is not None
            return f"deprecated since {self.deprecation.isoformat()}"
        return "supported"


def _row(family: str, deprecation: str | None, create: str | None, update: str | None) -> Lifecycle:
    return Lifecycle(family, *(None if t is None else _d(t) for t in (deprecation, create, update)))


# AWS's "Lambda runtimes" page: supported runtimes (projected dates) first, then deprecated ones.
LIFECYCLE: dict[str, Lifecycle] = {
    # --- supported ---
    "nodejs24.x": _row("nodejs", "Apr 30, 2028", "Jun 1, 2028", "Jul 1, 2028"),
    "nodejs22.x": _row("nodejs", "Apr 30, 2027", "Jun 1, 2027", "Jul 1, 2027"),
    "nodejs20.x": _row("nodejs", "Apr 30, 2026", "Jun 1, 2026", "Jul 1, 2026"),
    "python3.14": _row("python", "Jun 30, 2029", "Jul 31, 2029", "Aug 31, 2029"),
    "python3.13": _row("python", "Jun 30, 2029", "Jul 31, 2029", "Aug 31, 2029"),
    "python3.12": _row("python", "Oct 31, 2028", "Nov 30, 2028", "Jan 10, 2029"),
    "python3.11": _row("python", "Jun 30, 2026", "Jul 31, 2026", "Aug 31, 2026"),
    "python3.10": _row("python", "Jun 30, 2026", "Jul 31, 2026", "Aug 31, 2026"),
    "java25": _row("java", "Jun 30, 2029", "Jul 31, 2029", "Aug 31, 2029"),
    "java21": _row("java", "Jun 30, 2029", "Jul 31, 2029", "Aug 31, 2029"),
    "java17": _row("java", "Jun 30, 2026", "Jul 31, 2026", "Aug 31, 2026"),
    "java11": _row("java", "Jun 30, 2026", "Jul 31, 2026", "Aug 31, 2026"),
    "java8.al2": _row("java", "Jun 30, 2026", "Jul 31, 2026", "Aug 31, 2026"),
    "dotnet10": _row("dotnet", "Nov 14, 2028", "Dec 14, 2028", "Jan 15, 2029"),
    "dotnet8": _row("dotnet", "Nov 10, 2026", "Dec 10, 2026", "Jan 11, 2027"),
    "ruby3.4": _row("ruby", "Mar 31, 2028", "Apr 30, 2028", "May 31, 2028"),
    "ruby3.3": _row("ruby", "Mar 31, 2027", "Apr 30, 2027", "May 31, 2027"),
    "ruby3.2": _row("ruby", "Mar 31, 2026", "Jun 1, 2026", "Jul 1, 2026"),
    "provided.al2023": _row("provided", "Jun 30, 2029", "Jul 31, 2029", "Aug 31, 2029"),
    "provided.al2": _row("provided", "Jun 30, 2026", "Jul 31, 2026", "Aug 31, 2026"),
    # --- deprecated ---
    "python3.9": _row("python", "Dec 15, 2025", "Jun 1, 2026", "Jul 1, 2026"),
    "nodejs18.x": _row("nodejs", "Sep 1, 2025", "Feb 3, 2026", "Mar 9, 2026"),
    "dotnet6": _row("dotnet", "Nov 12, 2024", "Feb 28, 2026", "Mar 31, 2026"),
    "python3.8": _row("python", "Oct 14, 2024", "Feb 28, 2026", "Mar 31, 2026"),
    "nodejs16.x": _row("nodejs", "Jun 12, 2024", "Feb 28, 2026", "Mar 31, 2026"),
    "java8": _row("java", "Jan 8, 2024", "Feb 8, 2024", "Feb 28, 2026"),
    "provided": _row("provided", "Jan 8, 2024", "Feb 8, 2024", "Feb 28, 2026"),
    "go1.x": _row("provided", "Jan 8, 2024", "Feb 8, 2024", "Feb 28, 2026"),
    "ruby2.7": _row("ruby", "Nov 27, 2023", "Jan 9, 2024", "Feb 28, 2026"),
    "nodejs14.x": _row("nodejs", "Dec 4, 2023", "Jan 9, 2024", "Feb 28, 2026"),
    "python3.7": _row("python", "Dec 4, 2023", "Jan 9, 2024", "Feb 28, 2026"),
    "dotnetcore3.1": _row("dotnet", "Apr 3, 2023", "Apr 3, 2023", "May 3, 2023"),
    "nodejs12.x": _row("nodejs", "Mar 31, 2023", "Mar 31, 2023", "Apr 30, 2023"),
    "python3.6": _row("python", "Jul 18, 2022", "Jul 18, 2022", "Aug 29, 2022"),
    "dotnetcore2.1": _row("dotnet", "Jan 5, 2022", "Jan 5, 2022", "Apr 13, 2022"),
    "ruby2.5": _row("ruby", "Jul 30, 2021", "Jul 30, 2021", "Mar 31, 2022"),
    "nodejs10.x": _row("nodejs", "Jul 30, 2021", "Jul 30, 2021", "Feb 14, 2022"),
    "python2.7": _row("python", "Jul 15, 2021", "Jul 15, 2021", "May 30, 2022"),
    "nodejs8.10": _row("nodejs", "Mar 6, 2020", "Jan 6, 2020", "Mar 6, 2020"),
    "nodejs4.3": _row("nodejs", "Mar 5, 2020", "Mar 5, 2020", "Mar 5, 2020"),
    "nodejs4.3-edge": _row("nodejs", "Mar 5, 2020", "Mar 31, 2019", "Apr 30, 2019"),
    "nodejs6.10": _row("nodejs", "Aug 12, 2019", "Aug 12, 2019", "Aug 12, 2019"),
    "dotnetcore1.0": _row("dotnet", "Jul 27, 2019", "Jun 27, 2019", "Jul 30, 2019"),
    "dotnetcore2.0": _row("dotnet", "May 30, 2019", "Apr 30, 2019", "May 30, 2019"),
    "nodejs": _row("nodejs", "Oct 31, 2016", "Oct 31, 2016", "Oct 31, 2016"),
}


def parse_date(setting: str, text: str) -> date | None:
    """A pinned date ("2026-12-03"; empty: None, the real date). Raises ValueError naming
    `setting` for anything else."""
    text = text.strip()
    if not text:
        return None
    try:
        return datetime.strptime(text, DATE_FORMAT).date()
    except ValueError:
        raise ValueError(f"setting {setting}: expected a date YYYY-MM-DD, got {text!r}") from None


def today(pinned: date | None = None) -> date:
    """The date deprecation dates are compared with: `pinned`, else today in UTC."""
    return pinned if pinned is not None else datetime.now(timezone.utc).date()


def recommended(family: str, on: date) -> str | None:
    """The family's newest runtime still open for creation on `on` (AWS's message names it)."""
    open_ = [name for name, lc in LIFECYCLE.items() if lc.family == family and not lc.create_blocked(on)]
    return open_[0] if open_ else None
