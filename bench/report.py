#!/usr/bin/env python3
"""Side-by-side report of scripts/bench.sh results: weft vs Go vs Boost.Fiber.

usage: report.py RAW_DIR [OUT_DIR]

Reads RAW_DIR/weft_*.json, RAW_DIR/fiber_*.json (Google Benchmark JSON), RAW_DIR/go_*.txt
(go test -bench output) and RAW_DIR/explorer.json; prints a table of medians (min-max) and
ratios and writes OUT_DIR/results.csv, OUT_DIR/results.json and OUT_DIR/results.svg (OUT_DIR
defaults to RAW_DIR).
"""
import csv
import glob
import json
import math
import os
import re
import statistics
import sys
from datetime import date

# Table order: the order of the workloads in bench/runtime_bench.cc (the raw files come per
# family, in file-name order).
ORDER = ["ChanSync", "ChanProdCons", "SelectUncontended", "SelectProdCons", "ChanCreation",
         "Gosched", "SpawnJoin100k", "Parked100k", "MutexUncontended", "MutexContended",
         "RWMutexReadMostly", "WaitGroupUncontended", "OnceFast", "After0", "Sleep0"]
PER_GOROUTINE = {"SpawnJoin100k": 100000, "Parked100k": 100000}  # ns/op -> ns per goroutine
COUNTERS = ("peakRSS_KiB_per_g", "RSS_KiB_per_parked_g")


def key_of_gbench(name):
    name = re.sub(r"/(real_time|iterations:\d+)", "", name)
    return name


def key_of_go(name):
    name = re.sub(r"^Benchmark", "", name)
    name = re.sub(r"-\d+$", "", name)
    name = re.sub(r"#\d+", "", name)
    return name.replace("=", ":")


def scale(key, ns):
    base = key.split("/")[0]
    return ns / PER_GOROUTINE.get(base, 1)


def gbench_runs(path):
    """The benchmark entries of a Google Benchmark JSON file, also of one cut short by a hang
    (the entries written before the process was killed)."""
    with open(path) as f:
        text = f.read()
    try:
        return json.loads(text).get("benchmarks", [])
    except json.JSONDecodeError:
        pass
    runs, decoder = [], json.JSONDecoder()
    i = text.find("[", text.find('"benchmarks"'))
    while i >= 0:
        i = text.find("{", i)
        if i < 0:
            break
        try:
            b, i = decoder.raw_decode(text, i)
        except json.JSONDecodeError:
            break
        runs.append(b)
    return runs


def load_gbench(path, into, counters):
    for b in gbench_runs(path):
        if b.get("run_type") == "aggregate" or b.get("error_occurred"):
            continue
        key = key_of_gbench(b["name"])
        unit = {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}[b.get("time_unit", "ns")]
        into.setdefault(key, []).append(scale(key, b["real_time"] * unit))
        for c in COUNTERS:
            if c in b:
                counters.setdefault((key, c), []).append(b[c])


def load_go(path, into, counters):
    with open(path) as f:
        for line in f:
            m = re.match(r"^(Benchmark\S+)\s+\d+\s+([\d.]+) ns/op(.*)$", line.strip())
            if not m:
                continue
            key = key_of_go(m.group(1))
            into.setdefault(key, []).append(scale(key, float(m.group(2))))
            for value, metric in re.findall(r"([\d.]+) (\S+)", m.group(3)):
                if metric in COUNTERS:
                    counters.setdefault((key, metric), []).append(float(value))


def med(xs):
    return statistics.median(xs) if xs else None


def fmt_ns(x):
    if x is None:
        return "-"
    if x >= 1e6:
        return f"{x / 1e6:.2f} ms"
    if x >= 1e3:
        return f"{x / 1e3:.2f} us"
    return f"{x:.1f} ns"


def fmt_ratio(r):
    return "-" if r is None else f"{r:.2f}x"


def svg_chart(rows, memory, path, subtitle):
    """Horizontal bars of weft/Go and weft/Boost.Fiber ratios (time, then RSS per goroutine) on
    a log scale around 1x, with the 0.5x target marked. Shorter bars left of 1x: weft wins."""
    items = []
    for r in rows:
        if r["weft_over_go"] or r["weft_over_fiber"]:
            items.append((r["workload"], r["weft_over_go"], r["weft_over_fiber"]))
    for m in memory:
        items.append((m["workload"] + " RSS/g", m["weft_over_go"], m["weft_over_fiber"]))
    ratios = [v for _, g, f in items for v in (g, f) if v]
    lo = min([0.1] + ratios)
    hi = max([10.0] + ratios)
    lo, hi = math.floor(math.log10(lo)), math.ceil(math.log10(hi))
    width, left, right, top, row_h = 1000, 330, 70, 78, 26
    height = top + row_h * len(items) + 50

    def x(v):
        v = min(max(math.log10(v), lo), hi)
        return left + (v - lo) / (hi - lo) * (width - left - right)

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           '<text x="10" y="22" font-size="16" font-weight="bold">weft time / other time, per '
           'workload (log scale; left of 1x: weft is faster)</text>',
           f'<text x="10" y="42" fill="#444">{subtitle}</text>',
           f'<rect x="{left}" y="52" width="12" height="12" fill="#3b6fb6"/>'
           f'<text x="{left + 16}" y="62">weft / Go 1.19</text>',
           f'<rect x="{left + 140}" y="52" width="12" height="12" fill="#e08a1e"/>'
           f'<text x="{left + 156}" y="62">weft / Boost.Fiber</text>',
           f'<line x1="{left + 300}" y1="58" x2="{left + 330}" y2="58" stroke="#c00" '
           f'stroke-width="2" stroke-dasharray="5,3"/><text x="{left + 336}" y="62">'
           '0.5x target (vs Go)</text>']
    for i, _ in enumerate(items):
        if i % 2 == 0:
            out.append(f'<rect x="0" y="{top + i * row_h}" width="{width}" height="{row_h}" '
                       'fill="#f3f3f3"/>')
    for e in range(lo, hi + 1):
        for m in ((1,) if e == hi else (1, 2, 5)):
            v = m * 10.0 ** e
            bold = m == 1
            if not bold and hi - lo > 3:  # too crowded for the 2x and 5x labels
                out.append(f'<line x1="{x(v):.1f}" y1="{top}" x2="{x(v):.1f}" '
                           f'y2="{top + row_h * len(items)}" stroke="#ddd"/>')
                continue
            out.append(f'<line x1="{x(v):.1f}" y1="{top}" x2="{x(v):.1f}" '
                       f'y2="{top + row_h * len(items)}" stroke="{"#888" if bold else "#ddd"}"/>')
            label = f"{v:g}x"
            out.append(f'<text x="{x(v):.1f}" y="{top + row_h * len(items) + 16}" '
                       f'text-anchor="middle" fill="{"#000" if bold else "#777"}">{label}</text>')
    out.append(f'<line x1="{x(1):.1f}" y1="{top}" x2="{x(1):.1f}" '
               f'y2="{top + row_h * len(items)}" stroke="#000" stroke-width="1.5"/>')
    out.append(f'<line x1="{x(0.5):.1f}" y1="{top}" x2="{x(0.5):.1f}" '
               f'y2="{top + row_h * len(items)}" stroke="#c00" stroke-width="2" '
               'stroke-dasharray="5,3"/>')
    for i, (name, g, f) in enumerate(items):
        y = top + i * row_h
        out.append(f'<text x="{left - 8}" y="{y + row_h / 2 + 4}" text-anchor="end">{name}</text>')
        for j, (ratio, color) in enumerate(((g, "#3b6fb6"), (f, "#e08a1e"))):
            if not ratio:
                continue
            by = y + 3 + j * (row_h - 6) / 2
            bh = (row_h - 6) / 2 - 1
            x0, x1 = x(1), x(ratio)
            out.append(f'<rect x="{min(x0, x1):.1f}" y="{by:.1f}" width="{max(abs(x1 - x0), 1):.1f}" '
                       f'height="{bh:.1f}" fill="{color}"/>')
            tx = max(x0, x1) + 3
            out.append(f'<text x="{tx:.1f}" y="{by + bh - 1:.1f}" font-size="10">{ratio:.2f}x</text>')
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


def main():
    d = sys.argv[1]
    out_dir = sys.argv[2] if len(sys.argv) > 2 else d
    meta = {}
    if os.path.exists(os.path.join(d, "meta.json")):
        with open(os.path.join(d, "meta.json")) as f:
            meta = json.load(f)
    weft, go, fiber = {}, {}, {}
    wc, gc, fc = {}, {}, {}
    for p in sorted(glob.glob(os.path.join(d, "weft_*.json"))):
        load_gbench(p, weft, wc)
    for p in sorted(glob.glob(os.path.join(d, "fiber_*.json"))):
        load_gbench(p, fiber, fc)
    for p in sorted(glob.glob(os.path.join(d, "go_*.txt"))):
        load_go(p, go, gc)

    def ratio(a, b):
        return a / b if a is not None and b else None

    def order(key):
        family = key.split("/")[0]
        return ORDER.index(family) if family in ORDER else len(ORDER)

    rows = []
    for key in sorted(weft, key=order):
        w, g, f = weft[key], go.get(key), fiber.get(key)
        rows.append({
            "workload": key,
            "weft_median_ns": med(w), "weft_min_ns": min(w), "weft_max_ns": max(w),
            "go_median_ns": med(g), "go_min_ns": min(g) if g else None,
            "go_max_ns": max(g) if g else None,
            "fiber_median_ns": med(f), "fiber_min_ns": min(f) if f else None,
            "fiber_max_ns": max(f) if f else None,
            "weft_over_go": ratio(med(w), med(g)),
            "weft_over_fiber": ratio(med(w), med(f)),
            "reps": len(w),
        })
    memory = []
    for (key, c), values in sorted(wc.items(), key=lambda kv: (order(kv[0][0]), kv[0][0])):
        wv, gv, fv = med(values), med(gc.get((key, c))), med(fc.get((key, c)))
        memory.append({"workload": key, "counter": c, "weft_KiB": wv, "go_KiB": gv,
                       "fiber_KiB": fv, "weft_over_go": ratio(wv, gv),
                       "weft_over_fiber": ratio(wv, fv)})

    machine = f"{meta.get('cores', os.cpu_count())} cores"
    if meta.get("cpu"):
        machine += f" ({meta['cpu']})"
    when = meta.get("date", str(date.today()))
    if meta.get("commit"):
        when += f", weft {meta['commit']}"
    versions = (f"{meta.get('go', 'Go 1.19')}, Boost.Fiber {meta.get('boost', '1.74')}, "
                f"{meta.get('compiler', 'g++')} -O3")
    reps = max((r["reps"] for r in rows), default=0)
    print(f"\nweft vs Go vs Boost.Fiber: {machine}, {when}; {versions}")
    print(f"median of {reps} repetitions (weft min-max); time per op, per item (ProdCons) or per "
          "goroutine (SpawnJoin100k, Parked100k)")
    header = f"{'workload':<40} {'weft median (min-max)':>30} {'Go':>10} {'Fiber':>10} " \
             f"{'weft/Go':>8} {'weft/Fiber':>10}"
    print(header)
    print("-" * len(header))
    for r in rows:
        rng = f"{fmt_ns(r['weft_median_ns'])} ({fmt_ns(r['weft_min_ns'])}-{fmt_ns(r['weft_max_ns'])})"
        print(f"{r['workload']:<40} {rng:>30} {fmt_ns(r['go_median_ns']):>10} "
              f"{fmt_ns(r['fiber_median_ns']):>10} {fmt_ratio(r['weft_over_go']):>8} "
              f"{fmt_ratio(r['weft_over_fiber']):>10}")

    def kib(v):
        return "-" if v is None else f"{v:.2f}"

    print("\nmemory, KiB per goroutine (each measured in a fresh process):")
    print(f"  {'workload':<26} {'counter':<22} {'weft':>7} {'Go':>7} {'Fiber':>7} "
          f"{'weft/Go':>8} {'weft/Fiber':>10}")
    for m in memory:
        print(f"  {m['workload']:<26} {m['counter']:<22} {kib(m['weft_KiB']):>7} "
              f"{kib(m['go_KiB']):>7} {kib(m['fiber_KiB']):>7} {fmt_ratio(m['weft_over_go']):>8} "
              f"{fmt_ratio(m['weft_over_fiber']):>10}")

    explorer = {}
    p = os.path.join(d, "explorer.json")
    if os.path.exists(p):
        for b in gbench_runs(p):
            if b.get("run_type") == "aggregate" or b.get("error_occurred"):
                continue
            explorer[b["name"]] = b
        # Anchors measured on this machine for the same bodies (plain counter under a lock).
        shuttle = {"Explore2x5Mutex": 225e3, "Explore3x3Mutex": 200e3}
        print("\nexplorer, deterministic mode (anchors for the Mutex bodies, a plain counter "
              "under a lock: awslabs/shuttle ~225k executions/s for 2x5 and ~200k for 3x3, "
              "tokio-rs/loom ~6k for 2x5; the MutexShared bodies watch the counter: four "
              "scheduling points per increment instead of two):")
        base = {}
        for name, b in explorer.items():
            body = re.sub(r"/races:\d+.*$", "", name)
            rate = b["executions_per_s"]
            first = body not in base
            base.setdefault(body, rate)
            anchor = shuttle.get(body)
            print(f"  {name:<42} {rate / 1e3:7.0f}k executions/s {b['decisions_per_s'] / 1e6:6.2f}M "
                  f"decisions/s  ({b['decisions_per_execution']:.1f} decisions/execution)"
                  + (f"  x{rate / anchor:.2f} shuttle" if anchor and first else "")
                  + ("" if first else f"  race detection costs x{base[body] / rate:.2f}"))
            if anchor:
                b["vs_shuttle"] = rate / anchor
            if body == "Explore2x5Mutex":
                b["vs_loom"] = rate / 6e3

    failures = []
    p = os.path.join(d, "failures.txt")
    if os.path.exists(p):
        with open(p) as f:
            failures = [line.strip() for line in f if line.strip()]
    if failures:
        print(f"\n{len(failures)} benchmark process(es) failed (their completed cases are "
              "counted, the rest of that repetition is missing):")
        for line in failures:
            print("  " + line.removeprefix("FAILED "))

    os.makedirs(out_dir, exist_ok=True)
    fields = []
    for r in rows:
        for k in r:
            if k not in fields:
                fields.append(k)
    with open(os.path.join(out_dir, "results.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields + ["counter", "weft_KiB", "go_KiB", "fiber_KiB"])
        w.writeheader()
        w.writerows(rows)
        w.writerows(memory)
    with open(os.path.join(out_dir, "results.json"), "w") as f:
        json.dump({"meta": meta, "date": when, "rows": rows, "memory": memory,
                   "explorer": explorer, "failures": failures}, f, indent=2)
    svg_chart(rows, memory, os.path.join(out_dir, "results.svg"),
              f"medians of {reps} repetitions; {machine}, {when}; {versions}")
    print(f"\nwrote {out_dir}/results.csv, results.json, results.svg")


if __name__ == "__main__":
    main()
