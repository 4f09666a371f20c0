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
separately compiled `sample:` functions (Mesa 25): their cost is the callee's, given apart.
"""
import argparse
import re
import subprocess
import sys

FUNC = re.compile(r"^([A-Za-z_][\w.]*):\s*$")
INSN = re.compile(r"^\s+([0-9a-f]+):\t(\S+)(?:\t(.*))?$")
STACK = re.compile(r"\((%rsp|%rbp)[,)]")
MEM = re.compile(r"\(%\w+[,)]|\(,%")
ROW = re.compile(r"^([a-z]\w+)\s+(\S.*?)\s{2,}([\d.]+) ms\s+([\d.]+) (?:GFLOP|GB)/s")
INDEXED = re.compile(r"\(%\w+,%\w+,\d\)")


def parse(path):
    """Functions in print order as dicts {name, insns: [(off, mnem, ops)], row}; rows are
    bench lines (group, shape)."""
    funcs, rows, cur = [], [], None
    with open(path, errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            m = INSN.match(line)
            if m and cur is not None:
                cur["insns"].append((int(m.group(1), 16), m.group(2), m.group(3) or ""))
                continue
            if "disassembly larger than" in line and cur is not None:
                cur["truncated"] = True  # Mesa stops printing a function at 96 KiB
                continue
            m = FUNC.match(line)
            if m:
                cur = {"name": m.group(1), "insns": [], "row": None, "truncated": False}
                funcs.append(cur)
                continue
            m = ROW.match(line)
            if m:
                cur = None
                rows.append((m.group(1), m.group(2)))
                for fn in funcs:
                    if fn["row"] is None:
                        fn["row"] = len(rows) - 1
    return funcs, rows


def operands(ops):
    """AT&T operands split at top-level commas (memory operands contain commas)."""
    out, depth, cur = [], 0, ""
    for ch in ops:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            out.append(cur.strip())
            cur = ""
        else:
            cur += ch
    if cur.strip():
        out.append(cur.strip())
    return out


SHUF = ("vbroadcast", "vpbroadcast", "vmovshdup", "vmovsldup", "vpermilp", "vperm", "vshuf",
        "vpshuf", "vunpck", "vpunpck", "vextract", "vinsert", "vpextr", "vpinsr", "valign")
MASK = ("vpcmp", "vcmp", "vptest", "vblendv", "vpblendm", "vblendm", "k", "vpmovm2", "vpmov")
IVEC = ("vpadd", "vpsub", "vpmul", "vpand", "vpor", "vpxor", "vpsll", "vpsrl", "vpsra",
        "vpmax", "vpmin", "vpblendd", "vpsign", "vpabs", "vcvt")


def kind(mnem, ops):
    """(category, loads, stack_loads, stores, stack_stores) of one instruction."""
    ops_l = operands(ops)
    mem_ops = [o for o in ops_l if MEM.search(o)]
    dst = ops_l[-1] if ops_l else ""
    n_load = n_sload = n_store = n_sstore = 0
    for o in mem_ops:
        is_store = o is dst and not mnem.startswith(("cmp", "test", "vucomi", "vcomi"))
        # read-modify-write integer ops (addl $1, (mem)) are rare here; counted as stores
        if is_store:
            n_store += 1
            n_sstore += bool(STACK.search(o))
        elif not mnem.startswith("lea"):
            n_load += 1
            n_sload += bool(STACK.search(o))
    regs = [o for o in ops_l if o.startswith("%")]
    if mnem.startswith("j"):
        cat = "branch"
    elif mnem.startswith("call"):
        cat = "call"
    elif re.match(r"vf(n?)m(add|sub)", mnem):
        cat = "fma"
    elif mnem.startswith(("vmulp", "vmuls")):
        cat = "fmul"
    elif mnem.startswith(("vaddp", "vadds", "vsubp", "vsubs")):
        cat = "fadd"
    elif mnem.startswith(("vmov", "mov")) and (n_load or n_store):
        cat = "move"  # a pure load or store: counted by the memory columns
    elif mnem.startswith(("vmov", "mov")) or (mnem in ("vxorps", "vpxor", "vpxord", "xorl")
                                               and len(set(regs)) < len(regs)):
        cat = "regmove"  # register copies and zeroing idioms (renamer work, mostly)
    elif mnem.startswith(SHUF):
        cat = "shuffle"
    elif mnem.startswith(MASK):
        cat = "mask"
    elif mnem.startswith(IVEC):
        cat = "intvec"
    elif mnem.startswith("v"):
        cat = "othervec"
    else:
        cat = "int"
    return cat, n_load, n_sload, n_store, n_sstore


def branch_target(insns, i):
    """Target offset of insns[i] if it is a direct jump (the disassembler prints the
    displacement from the next instruction), else None."""
    off, mnem, ops = insns[i]
    if not mnem.startswith("j") or i + 1 >= len(insns):
        return None
    try:
        return insns[i + 1][0] + int(ops.strip())
    except ValueError:
        return None


def hot_loop(insns, key=("vmulp", "vfmadd", "vfnmadd", "vfmsub")):
    """(head index, latch index) of the loop with the most instructions starting with `key`
    (8-lane multiplies by default; the smallest such loop), or None."""
    idx = {off: i for i, (off, _, _) in enumerate(insns)}
    muls = [0]
    for _, mnem, _ in insns:
        muls.append(muls[-1] + mnem.startswith(key))
    best = None
    for i in range(len(insns)):
        t = branch_target(insns, i)
        if t is None or t > insns[i][0] or t not in idx:
            continue
        h = idx[t]
        key = (muls[i + 1] - muls[h], -(i - h))
        if best is None or key > best[0]:
            best = (key, (h, i))
    return best[1] if best and best[0][0] > 0 else None


def path(insns, head, latch):
    """Indices of the loop's executed path with every lane active (see the module doc)."""
    idx = {off: i for i, (off, _, _) in enumerate(insns)}
    out, i, seen = [], head, set()
    while i <= latch and i not in seen:
        seen.add(i)
        out.append(i)
        mnem = insns[i][1]
        t = branch_target(insns, i)
        if mnem == "jmp" and t is not None and t in idx and idx[t] > i:
            i = idx[t]
            continue
        i += 1
    return out


COLS = ("fmul", "fadd", "fma", "stack ld", "stack st", "other ld", "other st", "call",
        "shuffle", "mask", "intvec", "othervec", "int", "branch", "regmove")


def counts(insns, sel):
    c = dict.fromkeys(COLS + ("total",), 0)
    for i in sel:
        cat, ld, sld, st, sst = kind(insns[i][1], insns[i][2])
        c["total"] += 1
        c["stack ld"] += sld
        c["other ld"] += ld - sld
        c["stack st"] += sst
        c["other st"] += st - sst
        if cat != "move":
            c[cat] += 1
    return c


def mca_text(insns, sel, callee=None):
    """The path as llvm-mca input: every jump retargeted to one label (mca does not follow
    branches; they only occupy the branch unit); with `callee` (a function's instructions),
    each call replaced by its body, so that mca overlaps it with the loop's work as the CPU
    does (its `ret` dropped)."""
    lines = ["L0:"]
    for i in sel:
        _, mnem, ops = insns[i]
        if mnem.startswith("call") and callee:
            lines += [f"\t{m}\t{o}" for _, m, o in callee
                      if not m.startswith(("ret", "j"))]
            continue
        if mnem.startswith("j") and re.fullmatch(r"\s*-?\d+\s*", ops):
            ops = "L0"
        lines.append(f"\t{mnem}\t{ops}")
    return "\n".join(lines) + "\n"


def run_mca(mca, cpu, text, iters=20):
    """(cycles per iteration, [(resource, busy share)] top 3, mean busy share of the FP
    arithmetic pipes) or None."""
    try:
        r = subprocess.run([mca, f"-mcpu={cpu}", f"-iterations={iters}", "-all-views=false",
                            "-summary-view", "-resource-pressure"], input=text,
                           capture_output=True, text=True, timeout=600)
    except (OSError, subprocess.TimeoutExpired) as e:
        print(f"llvm-mca failed: {e}", file=sys.stderr)
        return None
    m = re.search(r"Total Cycles:\s+(\d+)", r.stdout)
    if not m:
        print(f"llvm-mca -mcpu={cpu}: no result ({r.stderr.strip()[:300]})", file=sys.stderr)
        return None
    cyc = int(m.group(1)) / iters
    res = re.search(r"Resources:\n((?:\[.*\n)+)", r.stdout)
    names = [ln.split()[-1] for ln in res.group(1).splitlines()] if res else []
    pr = re.search(r"Resource pressure per iteration:\n.*\n(.*)\n", r.stdout)
    busy = []
    if pr and names:
        vals = pr.group(1).split()
        for n, v in zip(names, vals):
            if v != "-":
                busy.append((n, float(v) / cyc))
    merged = {}
    for n, b in busy:  # units of one kind (Zn3FPP45 .0 and .1): their mean
        merged.setdefault(n, []).append(b)
    busy = sorted(((n, sum(b) / len(b)) for n, b in merged.items()), key=lambda x: -x[1])
    # the FP arithmetic pipes: Zen 3's four (multiplies on 0-1, adds on 2-3), Skylake's 0, 1, 5
    fp = [b for n, b in busy if re.fullmatch(r"Zn3FPP[0-3]|SKXPort[015]", n)]
    return cyc, busy[:3], sum(fp) / len(fp) if fp else 0.0


def shaders(funcs):
    """Compute shaders in compile order: (first row, body), the body being the function of
    the cs_variant group with the most instructions."""
    out = []
    for i, fn in enumerate(funcs):
        if fn["name"] == "cs_variant":
            group = [fn]
            j = i + 1
            while j < len(funcs) and funcs[j]["name"].startswith("cs_co_variant"):
                group.append(funcs[j])
                j += 1
            out.append((fn["row"], max(group, key=lambda f: len(f["insns"]))))
    return out


def fetch_functions(funcs):
    """The texel fetches a textureLoad may call: `sample:` functions that load 8 texels by
    lane and transpose them (the others sample with float coordinates). Mesa 25 compiles
    them once per device, in sets per texture kind: a lean one (no mip level) and one with
    the mip level computation; smallest first."""
    fs = [f for f in funcs if f["name"] == "sample"
          and sum(m.startswith("vpunpck") and "qdq" in m for _, m, _ in f["insns"]) >= 4]
    by_size = {len(f["insns"]): f for f in fs}
    return [by_size[k] for k in sorted(by_size)]


def lane_accesses(insns):
    """Bounds-checked per-lane storage accesses (llvmpipe's `cmp index, size; jae skip`
    before each lane's load or store): (loads, stores)."""
    ld = st = 0
    for i in range(len(insns) - 3):
        if insns[i][1].startswith("cmp") and insns[i + 1][1] == "jae":
            for _, m, o in insns[i + 2:i + 6]:
                # the lane's element: an indexed operand (the base pointer loads are not)
                if INDEXED.search(o) and not STACK.search(o) and not m.startswith("lea"):
                    if INDEXED.search(operands(o)[-1]):
                        st += 1
                    else:
                        ld += 1
                    break
    return ld, st


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
