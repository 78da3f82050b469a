"""The report of run.py: the table of operations, and each target with met or missed.

A run's result is a JSON-ready dict (see run.py), so that a run at 10,000
users and one at 100,000 can be compared later with ``run.py --compare``.
"""

from __future__ import annotations

import math
from typing import Any

# Share of the ceiling's requests per second that an operation must reach.
# Operations run on one connection are compared with the ceiling measured
# on one connection, the others with the ceiling under the same clients.
RATIO_TARGETS = {
    "rest_user_by_id": 0.50,
    "scim_user_by_id": 0.50,
    "scim_filter_user_name": 0.40,
    "rest_page_first": 0.10,
    "rest_page_deep": 0.10,
    "scim_page_first": 0.10,
    "scim_page_deep": 0.10,
    "scim_post_sequential": 0.40,
}
# Operations whose p95 must stay under P95_LIMIT_MS at LARGE_USERS users,
# and grow by at most P95_GROWTH_LIMIT from the smaller size to that one.
P95_OPERATIONS = ("rest_user_by_id", "scim_user_by_id", "scim_filter_user_name")
P95_LIMIT_MS = 10.0
P95_GROWTH_LIMIT = 1.5
LARGE_USERS = 100_000
BATCH_SHARE_LIMIT = 0.25
PATCH_LIMIT_MS = 1000.0
MEMORY_GROWTH_LIMIT = 0.20


def _number(value: float, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:,.{digits}f}"


def describe_run(result: dict[str, Any]) -> str:
    setup = result["setup"]
    return (
        f"{result['database']}, {result['users']:,} users, waitress threads={setup['threads']}, "
        f"{setup['clients']} clients, {setup['duration_seconds']:g} s per operation "
        f"after {setup['warmup_seconds']:g} s of warm-up"
    )


def table(result: dict[str, Any]) -> str:
    """Return the operations of one run as a Markdown table."""
    lines = [
        "| Operation | Clients | req/s | x ceiling | p50 ms | p95 ms | p99 ms | errors "
        "| peak RSS MiB |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    ceiling = result["ceiling"]
    for name, key in (("concurrent", "concurrent"), ("one connection", "sequential")):
        row = ceiling[key]
        lines.append(
            f"| ceiling: GET /ceiling ({name}) | {row['clients']} "
            f"| {_number(row['requests_per_second'], 0)} | 1.00 | {_number(row['p50_ms'], 2)} "
            f"| {_number(row['p95_ms'], 2)} | {_number(row['p99_ms'], 2)} | {row['errors']} | - |"
        )
    for row in result["operations"].values():
        ratio = row.get("ceiling_ratio")
        lines.append(
            f"| {row['label']} | {row['clients']} | {_number(row['requests_per_second'], 0)} "
            f"| {_number(ratio, 2) if ratio is not None else '-'} | {_number(row['p50_ms'], 2)} "
            f"| {_number(row['p95_ms'], 2)} | {_number(row['p99_ms'], 2)} | {row['errors']} "
            f"| {_number(row['peak_rss_kib'] / 1024, 0)} |"
        )
    return "\n".join(lines)


def errors(result: dict[str, Any]) -> list[str]:
    """Return a line, and a blank one after, for each operation that got unexpected responses."""
    lines = []
    for row in result["operations"].values():
        if row["errors"]:
            lines += [f"Errors in {row['label']}: {row['errors']}, first: {row['first_error']}", ""]
    return lines


def targets(result: dict[str, Any]) -> list[dict[str, Any]]:
    """Return each target that one run can check, with its measured value and whether it is met.

    The p95 limit is checked as a target only at 100,000 users or more; at
    smaller sizes its line is informational (``met`` is ``None``).
    """
    operations = result["operations"]
    checks: list[dict[str, Any]] = []
    for key, minimum in RATIO_TARGETS.items():
        row = operations[key]
        ratio = row["ceiling_ratio"]
        checks.append(
            {
                "target": f"{row['label']}: at least {minimum:.2f} x ceiling req/s",
                "measured": f"{ratio:.2f}",
                "met": ratio >= minimum,
            }
        )
    for key in P95_OPERATIONS:
        row = operations[key]
        applies = result["users"] >= LARGE_USERS
        checks.append(
            {
                "target": f"{row['label']}: p95 under {P95_LIMIT_MS:g} ms at "
                f"{LARGE_USERS:,} users" + ("" if applies else " (informational at this size)"),
                "measured": f"{row['p95_ms']:.2f} ms",
                "met": row["p95_ms"] < P95_LIMIT_MS if applies else None,
            }
        )
    sequential = operations["rest_create_20_sequential"]["p50_ms"]
    batched = operations["rest_batch_20"]["p50_ms"]
    share = batched / sequential
    checks.append(
        {
            "target": f"$batch of 20 under {BATCH_SHARE_LIMIT:.0%} of 20 sequential creates "
            "(medians)",
            "measured": f"{share:.1%} ({batched:.1f} ms / {sequential:.1f} ms)",
            "met": share < BATCH_SHARE_LIMIT,
        }
    )
    patch = operations["scim_patch_1000_members"]
    checks.append(
        {
            "target": f"{patch['label']}: under {PATCH_LIMIT_MS:g} ms (median)",
            "measured": f"{patch['p50_ms']:.0f} ms (slowest {patch['max_ms']:.0f} ms)",
            "met": patch["p50_ms"] < PATCH_LIMIT_MS,
        }
    )
    return checks


def compare(small: dict[str, Any], large: dict[str, Any]) -> list[dict[str, Any]]:
    """Return the targets that relate a run at fewer users to one at more, on one database."""
    checks: list[dict[str, Any]] = []
    for key in P95_OPERATIONS:
        before = small["operations"][key]["p95_ms"]
        after = large["operations"][key]["p95_ms"]
        checks.append(
            {
                "target": f"{small['operations'][key]['label']}: p95 at {large['users']:,} users "
                f"at most {P95_GROWTH_LIMIT:g} x p95 at {small['users']:,}",
                "measured": f"{after:.2f} ms / {before:.2f} ms = {after / before:.2f} x",
                "met": after <= P95_GROWTH_LIMIT * before,
            }
        )
    before = small["memory"]["peak_rss_kib"]
    after = large["memory"]["peak_rss_kib"]
    growth = after / before - 1
    checks.append(
        {
            "target": f"server peak RSS at {large['users']:,} users within "
            f"{MEMORY_GROWTH_LIMIT:.0%} of that at {small['users']:,}",
            "measured": f"{after / 1024:.0f} MiB / {before / 1024:.0f} MiB = {growth:+.1%}",
            "met": abs(growth) <= MEMORY_GROWTH_LIMIT,
        }
    )
    return checks


def format_checks(checks: list[dict[str, Any]]) -> str:
    verdicts = {True: "met", False: "MISSED", None: "-"}
    return "\n".join(
        f"- {verdicts[check['met']]:6} {check['target']}: {check['measured']}" for check in checks
    )


def render(result: dict[str, Any]) -> str:
    """Return the whole report of one run: header, table, memory and targets."""
    memory = result["memory"]
    ceiling = result["ceiling"]
    machine = result["machine"]
    parts = [
        f"## {describe_run(result)}",
        "",
        f"Machine: {machine['cpus']} CPUs, load average {machine['load_before'][0]:.2f} before "
        f"and {machine['load_after'][0]:.2f} after the run. Seeding took "
        f"{result['seed_seconds']:.1f} s.",
        f"Ceiling req/s before / after the product: concurrent "
        f"{ceiling['concurrent']['before']:,.0f} / {ceiling['concurrent']['after']:,.0f}, "
        f"one connection {ceiling['sequential']['before']:,.0f} / "
        f"{ceiling['sequential']['after']:,.0f}; the table shows the mean.",
        "",
        table(result),
        "",
        *errors(result),
        f"Server memory: {memory['idle_rss_kib'] / 1024:.0f} MiB resident after start-up, "
        f"peak {memory['peak_rss_kib'] / 1024:.0f} MiB (VmHWM).",
        "",
        "Targets:",
        format_checks(result["targets"]),
    ]
    return "\n".join(parts)
