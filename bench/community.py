"""Generation speed of the synthetic community: events/s of ``Community.events``.

    python3 dev.py bench community [--members 500] [--free-users 12000] [--weeks 6] [--write DIR]

Draws the demo's community (issue 4: about 500 members and 12 000 free users over 4–6
weeks) and iterates every week's events, as ``systok demo`` will before ingesting them.
The demo has under a minute on 2 cores in total, so generation must stay a small share
of it. Prints the time to draw the people, the events per week, the total and the rate;
with ``--write`` also the time to write the JSON lines files.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from systok.core.weeks import IsoWeek
from systok.sim.community import generate_community


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=500)
    parser.add_argument("--free-users", type=int, default=12_000)
    parser.add_argument("--weeks", type=int, default=6)
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--write", type=Path, default=None)
    args = parser.parse_args()

    weeks = [IsoWeek(2025, 40)]
    while len(weeks) < args.weeks:
        weeks.append(weeks[-1].next())
    started = time.perf_counter()
    community = generate_community(
        args.seed, members=args.members, free_users=args.free_users, weeks=weeks
    )
    people_s = time.perf_counter() - started
    print(f"people: {args.members} members + {args.free_users} free users in {people_s:.3f} s")
    total = 0
    events_started = time.perf_counter()
    for week in weeks:
        count = sum(1 for _ in community.events(week))
        total += count
        print(f"{week}: {count} events")
    events_s = time.perf_counter() - events_started
    print(f"total {total} events in {events_s:.2f} s: {total / events_s:,.0f} events/s")
    if args.write is not None:
        write_started = time.perf_counter()
        paths = community.write(args.write)
        write_s = time.perf_counter() - write_started
        size_mb = sum(p.stat().st_size for p in paths) / 1e6
        print(f"wrote {len(paths)} files ({size_mb:.1f} MB) in {write_s:.2f} s")


if __name__ == "__main__":
    main()
