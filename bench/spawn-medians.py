#!/usr/bin/env python3
"""Median wall time per process of commands run in turn, each spawned directly (no shell) with its output
discarded, so that a load change on the machine hits all of them alike.

Usage: spawn-medians.py ROUNDS LABEL COMMAND [LABEL COMMAND ...]
COMMAND is split on spaces. Prints one line per command, then each command's ratio to the first one's median.
"""
import os
import statistics
import subprocess
import sys
import time


def main() -> None:
    rounds = int(sys.argv[1])
    commands = [(sys.argv[i], sys.argv[i + 1].split()) for i in range(2, len(sys.argv) - 1, 2)]
    times = {label: [] for label, _ in commands}
    devnull = os.open(os.devnull, os.O_WRONLY)
    for _ in range(rounds):
        for label, command in commands:
            start = time.perf_counter_ns()
            subprocess.run(command, stdout=devnull, stderr=devnull, check=True)
            times[label].append((time.perf_counter_ns() - start) / 1e6)
    medians = {label: statistics.median(values) for label, values in times.items()}
    first = commands[0][0]
    for label, _ in commands:
        print(f"  {label:<18}{medians[label]:6.2f} ms median   ({medians[label] / medians[first]:.2f}x {first})")


if __name__ == "__main__":
    main()
