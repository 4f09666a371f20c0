#!/usr/bin/env python3
"""What llvmpipe makes of the conv kernels: counts and llvm-mca figures from a GALLIVM_DEBUG=asm
log (benches/peer/conv_asm.sh writes the logs and calls this; see issue23_limits.md).

    conv_asm.py LOG [--mca llvm-mca] [--cpus znver3,skylake-avx512] [--clock-ghz G]

LOG is the bench's stdout and stderr in one file (`2>&1`): Mesa 25 lavapipe prints every
shader it compiles as it compiles it, and the bench prints a row after timing it, so the
shaders printed before a row are the ones that row compiled (pipelines compile at their first
dispatch). A compute shader is printed as cs_variant (the workgroup loop), cs_co_variant (the
invocation body) and cs_co_variant.resume/.destroy (the body after a barrier, if any).

For each compute shader with multiplies, the hot loop is the loop (a backward jump) with the
most 8-lane multiplies, the smallest such. Its executed path is read with every lane active:
conditional forward jumps (llvmpipe's "no lane active: skip" tests) not taken, unconditional
ones followed. That path is counted by kind and fed to llvm-mca. Texture reads are calls to
separately compiled `sample:` functions: llvm-mca gets the loop alone and the loop with the
fetch function inlined at every call (the parsing and llvm-mca runs are in asm_loops.py).
"""
import argparse
import re
import sys

sys.dont_write_bytecode = True  # no __pycache__ beside the script in the checkout
from asm_loops import (COLS, counts, fetch_functions, hot_loop, lane_accesses, mca_text,
                       parse, path, run_mca, shaders)


def kernel_name(group, madd, calls):
    """What the loop is, inferred from the group and its multiply-adds per iteration (a tap
    of 8 output x 4 input channels x 7 pixels is 224)."""
    if group in ("conv2d", "conv2d_backward_input") and madd in (2016, 224):
        entry = "forward" if group == "conv2d" else "accumulate"
        return f"{entry}_k{3 if madd == 2016 else 1} ({madd // 224} taps, {calls} fetches)"
    if group.endswith("backward_weight"):
        return {96: "main_k3 (1 pixel)", 672: "main_k3_shared (7 pixels)",
                16: "main_k1"}.get(madd, f"weight gradient, {madd} per iteration")
    if madd % 224 == 0:
        return f"gather, {madd // 224} taps per iteration, {calls} fetches"
    return f"{madd} multiply-adds per iteration"


def loop_figures(ins, mca, cpus, callee=None):
    """(counts, multiply-adds, {cpu: mca result}, {cpu: mca result with the callee inlined})
    of the hot loop, or None."""
    loop = hot_loop(ins)
    if loop is None:
        return None
    sel = path(ins, *loop)
    c = counts(ins, sel)
    c["KiB"] = f"{(ins[loop[1]][0] - ins[loop[0]][0]) / 1024:.1f}"  # code from head to latch
    madd = c["fma"] + min(c["fmul"], c["fadd"])
    res = {cpu: run_mca(mca, cpu, mca_text(ins, sel)) for cpu in cpus}
    text = mca_text(ins, sel, callee if c["call"] else None)
    inl = {cpu: run_mca(mca, cpu, text) for cpu in cpus} if callee and c["call"] else res
    return c, madd, res, inl


def calibrate(path_, mca, cpus):
    """Per model, the clock that makes llvm-mca's figure for the probe's best loop equal to
    its measured GF/s (convprobe fma's log: its shaders and "acc=" lines, in the same order):
    GF/s = 16 FLOP x 2 cores x multiply-adds per cycle x clock."""
    funcs, _ = parse(path_)
    gfs = []
    with open(path_, errors="replace") as f:
        for line in f:
            m = re.search(r"acc=.*?([\d.]+) GFLOP/s per CPU-second x 2", line)
            if m:
                gfs.append(float(m.group(1)))
    best = max(range(len(gfs)), key=lambda i: gfs[i])
    _, body = shaders(funcs)[best]
    c, madd, res, _ = loop_figures(body["insns"], mca, cpus)
    clocks = {cpu: gfs[best] / (32 * madd / r[0]) for cpu, r in res.items() if r}
    print(f"probe (convprobe fma, variant {best}): {gfs[best]:.1f} GF/s per CPU-second x 2; "
          f"loop {c['total']} insns, {madd} multiply-adds, {c['fma']} vfmadd; " +
          "; ".join(f"{cpu} {res[cpu][0]:.1f} cyc/it -> clock {clocks[cpu]:.2f} GHz"
                    for cpu in clocks))
    return clocks


def micro_check(path_, mca, cpus, fetches, clock):
    """convprobe micro's textureLoad loop (ONLY=texture): measured CPU-ns per 8-lane load
    against llvm-mca per load with each fetch candidate inlined: which one it calls."""
    funcs, _ = parse(path_)
    ns = None
    with open(path_, errors="replace") as f:
        for line in f:
            m = re.match(r"textureLoad rgba32f \[lane-varying\].*\s([\d.]+)\s*$", line)
            if m:
                ns = float(m.group(1))
    for row, body in shaders(funcs):
        ins = body["insns"]
        loop = hot_loop(ins, key=("call",))
        if loop is None:
            continue
        sel = path(ins, *loop)
        calls = counts(ins, sel)["call"]
        figs = []
        for fn in fetches:
            for cpu in cpus:
                r = run_mca(mca, cpu, mca_text(ins, sel, fn["insns"]))
                if r:
                    figs.append(f"{len(fn['insns'])}-insn fetch, {cpu}: {r[0] / calls:.0f}")
        meas = f"{ns} CPU-ns = {ns * clock:.0f} cycles at {clock} GHz" if ns and clock else ns
        print(f"textureLoad probe loop ({calls} loads per iteration): measured {meas} per "
              f"load; llvm-mca cycles per load: " + "; ".join(figs))
        return


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("log")
    ap.add_argument("--mca", default="llvm-mca")
    ap.add_argument("--cpus", default="znver3,skylake-avx512")
    ap.add_argument("--probe", help="convprobe fma's GALLIVM_DEBUG=asm log, to calibrate")
    ap.add_argument("--micro", help="convprobe micro's log (ONLY=texture), to pick the fetch")
    ap.add_argument("--clock-ghz", type=float, help="the measured core clock, for a 2nd figure")
    ap.add_argument("--fetch", type=int, default=-1,
                    help="which fetch candidate to inline, smallest first (default -1: the "
                    "largest, the one sampled hot in the conv loops on Mesa 25 and 22.3)")
    a = ap.parse_args()
    cpus = [c for c in a.cpus.split(",") if c]
    clocks = calibrate(a.probe, a.mca, cpus) if a.probe else {}
    funcs, rows = parse(a.log)
    print(f"log: {a.log}: {len(funcs)} functions, {len(rows)} bench rows")
    fetches = fetch_functions(funcs)
    for fn in fetches:
        sel = range(len(fn["insns"]))
        c = counts(fn["insns"], sel)
        figs = [(cpu, run_mca(a.mca, cpu, mca_text(fn["insns"], sel))) for cpu in cpus]
        print(f"texel fetch candidate: {c['total']} insns ({c['other ld']} loads, "
              f"{c['shuffle']} shuffles, {c['intvec']} int vector, {c['mask']} mask/compare); "
              + ", ".join(f"{cpu} {r[0]:.1f} cyc alone" for cpu, r in figs if r))
    if a.micro:
        micro_check(a.micro, a.mca, cpus, fetches, a.clock_ghz)
    callee = fetches[a.fetch]["insns"] if fetches else None
    if callee:
        print(f"inlined at every call below: the {len(callee)}-insn fetch")
    print()
    cols = [k for k in COLS if k not in ("fmul", "fadd", "fma")]
    hdr = ["#", "first row", "loop", "KiB", "insns", "mul-add", "vfmadd"] + cols
    for cpu in cpus:
        hdr += [f"{cpu} cyc/it", "fetches inlined", "busiest", "FP pipes"]
        for clk in ([clocks[cpu]] if cpu in clocks else []) + ([a.clock_ghz] if a.clock_ghz
                                                               else []):
            hdr.append(f"GF/s @{clk:.2f} GHz")
    print("| " + " | ".join(hdr) + " |")
    print("|" + "---|" * len(hdr))
    for n, (row, body) in enumerate(shaders(funcs)):
        ins = body["insns"]
        group, shape = rows[row] if row is not None and row < len(rows) else ("?", "")
        fig = loop_figures(ins, a.mca, cpus, callee)
        if fig is None:
            c = counts(ins, range(len(ins)))
            ld, st = lane_accesses(ins)
            cut = " (dump cut at 96 KiB)" if body["truncated"] else ""
            print(f"| {n} | {group} {shape} | no multiply loop{cut}: {c['total']} insns, "
                  f"{ld} lane loads and {st} lane stores with bounds checks, {c['call']} "
                  f"calls, {c['branch']} branches |")
            continue
        c, madd, res, inl = fig
        name = kernel_name(group, madd, c["call"])
        if body["truncated"]:
            name += " (its dump cut at 96 KiB after the loop)"
        cells = [str(n), f"{group} {shape}", name, c["KiB"],
                 str(c["total"]), str(madd), str(c["fma"])] + [str(c[k]) for k in cols]
        for cpu in cpus:
            r, ri = res[cpu], inl[cpu]
            clks = ([clocks[cpu]] if cpu in clocks else []) + ([a.clock_ghz] if a.clock_ghz
                                                               else [])
            if not (r and ri):
                cells += ["-"] * (4 + len(clks))
                continue
            cells += [f"{r[0]:.0f}", f"{ri[0]:.0f}",
                      " ".join(f"{x} {b:.0%}" for x, b in ri[1][:2]), f"{ri[2]:.0%}"]
            for clk in clks:
                cells.append(f"{32 * madd / ri[0] * clk:.0f}")
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
