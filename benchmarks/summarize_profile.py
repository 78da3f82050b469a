"""Summarize py-spy raw profiles (from ``run.py --profile``): where the server spends its samples.

For each file it prints the share of samples:

- under each access-platform line (inclusive: the line or anything it calls);
- at each leaf frame (self: the code running when sampled);
- at leaf frames of each top-level package (sqlalchemy, pyramid, ...).

Usage::

    .venv/bin/python benchmarks/summarize_profile.py PROFILE.txt [...] [--top 15]
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

# A frame reads "function (path/to/file.py:line)".
FRAME = re.compile(r"^(?P<function>.*) \((?P<file>[^():]+):(?P<line>\d+)\)$")
PRODUCT_PREFIX = "access_platform/"


def parse(path: Path) -> list[tuple[list[str], int]]:
    """Return each stack of a raw profile, outermost frame first, with its sample count."""
    stacks = []
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            stacks.append((stack.split(";"), int(count)))
    return stacks


def package(frame: str) -> str:
    match = FRAME.match(frame)
    if match is None:
        return "(unknown)"
    file = match["file"]
    return file.split("/", 1)[0] if "/" in file else file.removesuffix(".py")


def summarize(path: Path, top: int) -> str:
    stacks = parse(path)
    total = sum(count for _stack, count in stacks)
    if total == 0:
        return f"{path}: no samples"
    inclusive: Counter[str] = Counter()
    leaf: Counter[str] = Counter()
    packages: Counter[str] = Counter()
    for stack, count in stacks:
        for frame in set(stack):
            if PRODUCT_PREFIX in frame:
                inclusive[frame] += count
        leaf[stack[-1]] += count
        packages[package(stack[-1])] += count

    def lines(counter: Counter[str]) -> list[str]:
        return [f"  {count / total:6.1%}  {frame}" for frame, count in counter.most_common(top)]

    return "\n".join(
        [
            f"{path.name}: {total} samples",
            "access-platform lines, inclusive:",
            *lines(inclusive),
            "leaf frames, self:",
            *lines(leaf),
            "packages, self:",
            *lines(packages),
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("profiles", nargs="+", type=Path, help="py-spy raw output files")
    parser.add_argument("--top", type=int, default=15, help="lines per section (default: 15)")
    arguments = parser.parse_args()
    print("\n\n".join(summarize(path, arguments.top) for path in arguments.profiles))


if __name__ == "__main__":
    main()
