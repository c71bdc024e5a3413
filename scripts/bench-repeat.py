"""The figures of BENCHMARKS.md that move with the host's load, over several runs.

W4's training step as a fraction of the core's multiply-add peak (x86-64-v3) and the
data-parallel speed-ups of W4 at batch 256 (default target and x86-64-v3; the trainer
with parts of 64 samples and the one with a part per thread) are each a ratio from one
criterion run, and on a shared machine one run can land while the host takes part of
a core. This runs the three benchmarks in turn, `runs` times over, and prints each
run's figures and their medians, with the share of CPU time the hypervisor stole from
this machine during each benchmark (`/proc/stat`: a run slowed with nothing stolen was
slowed by what the vCPUs share with other guests, which the guest cannot see):

    python3 scripts/bench-repeat.py        # five runs, about twelve minutes
    python3 scripts/bench-repeat.py 9

Each benchmark writes criterion's records where `cargo bench` would (`target/criterion`,
`target/v3/criterion`); each run's own output goes to `target/bench-repeat/`. Standard
library only.
"""
import importlib.util
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
V3 = "-C target-cpu=x86-64-v3"
PARALLEL_GROUP = "W4 train 784-relu128-softmax10 batch256"
W4_GROUP = "W4 train 784-relu128-softmax10 batch32"


def load_summary():
    """`bench-summary.py`, whose readers of criterion's records this shares."""
    spec = importlib.util.spec_from_file_location(
        "bench_summary", ROOT / "scripts" / "bench-summary.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


summary = load_summary()


def cpu_ticks():
    """The machine's CPU time so far, from `/proc/stat`: (all, stolen), in ticks.

    Stolen time is what the hypervisor gave to others while this machine's vCPUs had
    work; `None` where there is no `/proc/stat`.
    """
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()
    except OSError:
        return None
    # user nice system idle iowait irq softirq steal: guest time is counted in user.
    ticks = [int(field) for field in fields[1:9]]
    return sum(ticks), ticks[7]


def stolen_share(before, after):
    """The share of CPU time stolen between two `cpu_ticks()` readings, or `None`."""
    if before is None or after is None or after[0] == before[0]:
        return None
    return (after[1] - before[1]) / (after[0] - before[0])


def cargo_bench(label, run, target_dir, rustflags, args):
    """Runs `cargo bench` with `args`, its output to a log; exits if it fails.
    Returns the share of CPU time the hypervisor stole meanwhile, or `None`."""
    env = dict(os.environ, CARGO_TARGET_DIR=target_dir)
    env.pop("RUSTFLAGS", None)
    if rustflags:
        env["RUSTFLAGS"] = rustflags
    logs = ROOT / "target" / "bench-repeat"
    logs.mkdir(parents=True, exist_ok=True)
    log = logs / f"{label}-{run}.txt"
    before = cpu_ticks()
    with log.open("w") as out:
        done = subprocess.run(
            ["cargo", "bench", *args], cwd=ROOT, env=env, stdout=out, stderr=out
        )
    if done.returncode != 0:
        sys.exit(f"cargo bench {' '.join(args)} failed; see {log}")
    return stolen_share(before, cpu_ticks())


def speed_ups(criterion):
    """The speed-ups over one thread in the latest data-parallel run: the trainer with
    parts of 64 samples, then the one with a part per thread."""
    functions = summary.read_groups(criterion)[PARALLEL_GROUP]
    alone = summary.typical_ns(functions["one thread"])
    (fixed,) = [name for name in functions if name.endswith(" threads")]
    (per_thread,) = [name for name in functions if name.endswith("a part per thread")]
    return tuple(alone / summary.typical_ns(functions[name]) for name in (fixed, per_thread))


def fraction_of_peak(criterion):
    """W4's training step as a fraction of the peak, both from the latest run."""
    groups = summary.read_groups(criterion)
    (peak,) = groups[summary.PEAK_GROUP].values()
    peak_flops = summary.flops(peak) / summary.typical_ns(peak)
    step = groups[W4_GROUP]["backprop"]
    return summary.flops(step) / summary.typical_ns(step) / peak_flops


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    if runs < 1:
        sys.exit("usage: bench-repeat.py [runs, at least 1]")
    default_dir, v3_dir = ROOT / "target", ROOT / "target" / "v3"
    parallel = ["--features", "rayon", "--bench", "parallel"]
    w4 = ["--bench", "workloads", "--", "peak|W4 train"]
    # Each column: its heading and how its figure prints.
    columns = [
        ("data-parallel, default", "{:.2f}×"),
        ("per thread, default", "{:.2f}×"),
        ("data-parallel, x86-64-v3", "{:.2f}×"),
        ("per thread, x86-64-v3", "{:.2f}×"),
        ("W4 train, of peak", "{:.0%}"),
    ]
    figures = [[] for _ in columns]

    def row(label, values, stolen):
        cells = [form.format(value) for (_, form), value in zip(columns, values)]
        return f"| {label} | {' | '.join(cells)} | {stolen} |"

    print(f"| run | {' | '.join(heading for heading, _ in columns)} | stolen (each bench) |")
    print("|---" * (len(columns) + 2) + "|")
    for run in range(1, runs + 1):
        stolen = [cargo_bench("parallel-default", run, default_dir, None, parallel)]
        values = list(speed_ups(default_dir / "criterion"))
        stolen.append(cargo_bench("parallel-v3", run, v3_dir, V3, parallel))
        values.extend(speed_ups(v3_dir / "criterion"))
        stolen.append(cargo_bench("w4-v3", run, v3_dir, V3, w4))
        values.append(fraction_of_peak(v3_dir / "criterion"))
        for column, value in zip(figures, values):
            column.append(value)
        shares = ", ".join("?" if share is None else f"{share:.1%}" for share in stolen)
        print(row(run, values, shares), flush=True)
    print(row("median", [statistics.median(column) for column in figures], ""))


if __name__ == "__main__":
    main()
