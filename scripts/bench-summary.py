"""The tables of BENCHMARKS.md from criterion's own records of the last run.

After `cargo bench --bench workloads` (or with `CARGO_TARGET_DIR=target/v3` and
`-C target-cpu=x86-64-v3`), run

    python3 scripts/bench-summary.py                  # reads target/criterion
    python3 scripts/bench-summary.py target/v3/criterion
    python3 scripts/bench-summary.py target/criterion target/v3/criterion

and it prints one markdown row per benchmark group: each function's time, the ratio of
every other function to `backprop` (above 1: backprop is faster), backprop's GFLOP/s
(the group's throughput is its FLOPs per iteration) and the fraction of the peak
(`peak f32 multiply-add`, which the workloads benchmark measures just before W4). The
peak is the machine's, with FMA: a default-target run has none of its own, so give the
x86-64-v3 results as a second directory to read it from. For the data-parallel groups,
the ratio is each variant's speed-up over `one thread`. Times are the ones criterion
prints: the slope of its linear fit where it made one, the mean otherwise. Each group's
latest run is read. Standard library only.
"""
import json
import sys
from pathlib import Path

PEAK_GROUP = "peak f32 multiply-add"


def typical_ns(directory):
    """Criterion's reported time for one benchmark, in nanoseconds."""
    estimates = json.loads((directory / "new" / "estimates.json").read_text())
    estimate = estimates.get("slope") or estimates["mean"]
    return estimate["point_estimate"]


def flops(directory):
    """The FLOPs per iteration the benchmark declared as its throughput, if any."""
    meta = json.loads((directory / "new" / "benchmark.json").read_text())
    throughput = meta.get("throughput") or {}
    return throughput.get("Elements")


def read_groups(root):
    """Each benchmark group under `root`: its functions' result directories by name."""
    groups = {}
    for estimates in sorted(root.glob("*/*/new/estimates.json")):
        function = estimates.parent.parent
        groups.setdefault(function.parent.name, {})[function.name] = function
    return groups


def show_time(ns):
    if ns >= 1e6:
        return f"{ns / 1e6:.3g} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:.3g} µs"
    return f"{ns:.3g} ns"


def main():
    roots = [Path(arg) for arg in sys.argv[1:]] or [Path("target/criterion")]
    for root in roots:
        if not root.is_dir():
            sys.exit(f"{root}: no criterion results here; run `cargo bench` first")
    every_root = [(root, read_groups(root)) for root in roots]
    groups = every_root[0][1]
    peak_gflops = None
    for root, root_groups in every_root:
        peaks = root_groups.get(PEAK_GROUP)
        if peaks:
            (peak,) = peaks.values()
            peak_gflops = flops(peak) / typical_ns(peak)
            print(f"peak: {peak_gflops:.1f} GFLOP/s (from {root})\n")
            break
    print("| group | times | ratio | backprop GFLOP/s | of peak |")
    print("|---|---|---|---|---|")
    for name, functions in groups.items():
        if name == PEAK_GROUP:
            continue
        times = {f: typical_ns(d) for f, d in functions.items()}
        shown = ", ".join(f"{f} {show_time(t)}" for f, t in times.items())
        ratio = gflops = fraction = ""
        if "backprop" in times:
            ours = times["backprop"]
            ratio = ", ".join(
                f"{times[f] / ours:.2f}" for f in times if f != "backprop"
            )
            work = flops(functions["backprop"])
            if work:
                gflops = f"{work / ours:.1f}"
                if peak_gflops:
                    fraction = f"{100 * work / ours / peak_gflops:.0f}%"
        if "one thread" in times:
            # The data-parallel group: each thread count's speed-up over one thread.
            alone = times["one thread"]
            ratio = ", ".join(
                f"{f} {alone / t:.2f}×" for f, t in times.items() if f != "one thread"
            )
        print(f"| {name} | {shown} | {ratio} | {gflops} | {fraction} |")


if __name__ == "__main__":
    main()
