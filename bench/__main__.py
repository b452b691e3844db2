"""`make bench`: run every benchmark and print its table."""

import sys

from bench import export_csv, signup

BENCHMARKS = {"signup": signup.run, "export": export_csv.run}


def main(names: list[str]) -> None:
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        sys.exit(f"Unknown benchmark(s) {unknown}; choose from {sorted(BENCHMARKS)}")
    for name in names or list(BENCHMARKS):
        print(f"== {name} ==")
        BENCHMARKS[name]()
        print()


main(sys.argv[1:])
