"""`python -m bench --only two-instances` rewrites its own section of bench/results.md, nothing else."""

from __future__ import annotations

from bench.instances import HEADING, best, replace_section, section

ROWS = [
    {"instances": 1.0, "rate": 250.0, "sent": 500.0, "p50": 3.0, "p99": 9.0, "max": 20.0, "errors": 0.0},
    {
        "instances": 1.0,
        "rate": 500.0,
        "sent": 1000.0,
        "p50": 900.0,
        "p99": 3500.0,
        "max": 3900.0,
        "errors": 0.0,
    },
    {"instances": 2.0, "rate": 250.0, "sent": 500.0, "p50": 2.0, "p99": 8.0, "max": 15.0, "errors": 0.0},
    {
        "instances": 2.0,
        "rate": 500.0,
        "sent": 1000.0,
        "p50": 40.0,
        "p99": 700.0,
        "max": 1200.0,
        "errors": 0.0,
    },
]


def test_best_rate_is_the_highest_without_a_request_over_3_s() -> None:
    assert best(ROWS, 1) == 250 and best(ROWS, 2) == 500


def test_the_section_replaces_its_previous_version_and_keeps_the_rest() -> None:
    lines = section(ROWS, 2.0, "2 cores", "2026-12-01 20:00 UTC")
    assert lines[0] == HEADING and lines[-1].endswith("two together **500 req/s** (2.00× one).")
    document = "# Benchmark results\n\n## Daily jobs\n\n| a |\n\n## Notes\n\n- kept\n"
    added = replace_section(document, lines)
    assert added.index("## Daily jobs") < added.index(HEADING) < added.index("## Notes")
    assert added.endswith("- kept\n") and "\n\n" + HEADING in added
    again = replace_section(added, section(ROWS[:1] + ROWS[2:3], 2.0, "2 cores", "later"))
    assert again.count(HEADING) == 1 and "later" in again and "2026-12-01 20:00" not in again
    assert again.index(HEADING) < again.index("## Notes") and again.endswith("- kept\n")
