from __future__ import annotations

from dataclasses import dataclass

from djdesk_bundle.build.stage import StageClock
from djdesk_bundle.ui import Reporter


@dataclass
class Result:
    cached: bool


def test_stages_are_timed_in_order_hooks_run_after_each(capsys) -> None:  # type: ignore[no-untyped-def]
    seen: list[str] = []
    clock = StageClock(Reporter(verbosity=0), {"two": lambda: seen.append("hook two")})
    assert clock.run("one", lambda: Result(cached=True)) == Result(cached=True)
    clock.run("two", lambda value: seen.append(value), "ran two")
    assert [name for name, _ in clock.timings] == ["one", "two"]
    assert seen == ["ran two", "hook two"]
    err = capsys.readouterr().err
    assert "✓ one (cached)" in err and "✓ two " in err
