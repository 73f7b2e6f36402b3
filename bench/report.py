#!/usr/bin/env python3
"""Side-by-side report of scripts/bench.sh results: weft vs Go vs Boost.Fiber.

Reads DIR/weft_N.json, DIR/fiber_N.json (Google Benchmark JSON), DIR/go_N.txt (go test
-bench output) and DIR/explorer.json; prints a table of medians (min-max) and ratios and
writes DIR/results.csv, DIR/results.json and DIR/results.svg.
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


def load_gbench(path, into, counters):
    with open(path) as f:
        data = json.load(f)
    for b in data.get("benchmarks", []):
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


def svg_chart(rows, path):
    """Horizontal bars of weft/Go time ratios on a log scale; 1x and the 0.5x target marked."""
    rows = [r for r in rows if r["weft_over_go"]]
    width, left, bar_h, top = 900, 330, 18, 50
    height = top + bar_h * len(rows) + 60
    lo, hi = math.log10(0.1), math.log10(10)

    def x(v):
        v = min(max(math.log10(v), lo), hi)
        return left + (v - lo) / (hi - lo) * (width - left - 20)

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           'font-family="sans-serif" font-size="12">',
           f'<text x="10" y="20" font-size="15" font-weight="bold">weft time / Go time '
           f'(lower is better; log scale; 2 cores, {date.today()})</text>']
    for v, label in ((0.1, "0.1x"), (0.5, "0.5x target"), (1, "1x = Go"), (2, "2x"), (10, "10x")):
        out.append(f'<line x1="{x(v):.1f}" y1="{top - 8}" x2="{x(v):.1f}" '
                   f'y2="{height - 40}" stroke="{"#c00" if v == 0.5 else "#999"}" '
                   'stroke-dasharray="3,3"/>')
        out.append(f'<text x="{x(v):.1f}" y="{height - 25}" text-anchor="middle">{label}</text>')
    for i, r in enumerate(rows):
        y = top + i * bar_h
        ratio = r["weft_over_go"]
        color = "#2a7" if ratio <= 0.5 else ("#e90" if ratio <= 1 else "#d33")
        x0, x1 = x(1), x(ratio)
        out.append(f'<text x="{left - 6}" y="{y + 13}" text-anchor="end">{r["workload"]}</text>')
        out.append(f'<rect x="{min(x0, x1):.1f}" y="{y + 3}" width="{abs(x1 - x0):.1f}" '
                   f'height="{bar_h - 6}" fill="{color}"/>')
        out.append(f'<text x="{max(x0, x1) + 4:.1f}" y="{y + 13}">{ratio:.2f}x</text>')
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out))


def main():
    d = sys.argv[1]
    weft, go, fiber = {}, {}, {}
    wc, gc, fc = {}, {}, {}
    for p in sorted(glob.glob(os.path.join(d, "weft_*.json"))):
        load_gbench(p, weft, wc)
    for p in sorted(glob.glob(os.path.join(d, "fiber_*.json"))):
        load_gbench(p, fiber, fc)
    for p in sorted(glob.glob(os.path.join(d, "go_*.txt"))):
        load_go(p, go, gc)

    rows = []
    for key in weft:
        w, g, f = weft[key], go.get(key), fiber.get(key)
        row = {
            "workload": key,
            "weft_median_ns": med(w), "weft_min_ns": min(w), "weft_max_ns": max(w),
            "go_median_ns": med(g) if g else None,
            "fiber_median_ns": med(f) if f else None,
            "weft_over_go": med(w) / med(g) if g else None,
            "weft_over_fiber": med(w) / med(f) if f else None,
            "reps": len(w),
        }
        for c in COUNTERS:
            if (key, c) in wc:
                row["weft_" + c] = med(wc[(key, c)])
                row["go_" + c] = med(gc[(key, c)]) if (key, c) in gc else None
        rows.append(row)

    header = f"{'workload':<40} {'weft median (min-max)':>30} {'Go':>10} {'Fiber':>10} " \
             f"{'weft/Go':>8} {'weft/Fiber':>10}"
    print(f"\nweft vs Go 1.19 vs Boost.Fiber 1.74 — "
          f"{os.cpu_count()} cores, {date.today()}; per op, per item or per goroutine")
    print(header)
    print("-" * len(header))
    for r in rows:
        rng = f"{fmt_ns(r['weft_median_ns'])} ({fmt_ns(r['weft_min_ns'])}-{fmt_ns(r['weft_max_ns'])})"
        print(f"{r['workload']:<40} {rng:>30} {fmt_ns(r['go_median_ns']):>10} "
              f"{fmt_ns(r['fiber_median_ns']):>10} {fmt_ratio(r['weft_over_go']):>8} "
              f"{fmt_ratio(r['weft_over_fiber']):>10}")
    print("\nmemory (KiB per goroutine):")
    for r in rows:
        for c in COUNTERS:
            if "weft_" + c in r:
                go_v = r.get("go_" + c)
                print(f"  {r['workload']:<38} {c:<22} weft {r['weft_' + c]:.2f}   "
                      f"Go {'-' if go_v is None else f'{go_v:.2f}'}")

    explorer = {}
    p = os.path.join(d, "explorer.json")
    if os.path.exists(p):
        with open(p) as f:
            for b in json.load(f).get("benchmarks", []):
                explorer[b["name"]] = b
        print("\nexplorer (anchors on this machine, 2x5 Mutex: awslabs/shuttle ~225k "
              "executions/s, 3x3: ~200k; tokio-rs/loom ~6k):")
        base = {}
        for name, b in explorer.items():
            body = re.sub(r"/races:\d+.*$", "", name)
            t = b["real_time"]
            base.setdefault(body, t)
            print(f"  {name:<40} {b['executions_per_s'] / 1e3:8.0f}k executions/s "
                  f"{b['decisions_per_s'] / 1e6:6.2f}M decisions/s   "
                  f"race detection x{t / base[body]:.2f}")

    fields = list(rows[0].keys()) if rows else []
    for r in rows:
        for k in r:
            if k not in fields:
                fields.append(k)
    with open(os.path.join(d, "results.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        w.writerows(rows)
    with open(os.path.join(d, "results.json"), "w") as f:
        json.dump({"date": str(date.today()), "cores": os.cpu_count(), "rows": rows,
                   "explorer": explorer}, f, indent=2)
    svg_chart(rows, os.path.join(d, "results.svg"))
    print(f"\nwrote {d}/results.csv, results.json, results.svg")


if __name__ == "__main__":
    main()
