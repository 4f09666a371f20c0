#!/usr/bin/env python3
"""Reads the logs of benches/peer/issue23.sh (OUT/logs, OUT/machine.txt, OUT/commands.txt)
and prints the markdown report: issue 23's tables, each target beside its figure, and the
load-count bounds of docs in benches/peer/issue23_limits.md filled with this run's probe.
  python3 benches/peer/issue23_report.py OUT > OUT/report.md
"""
import glob, os, re, sys

OUT = sys.argv[1]
ROW = re.compile(r"^(\S+)\s+(.+?)\s+([\d.]+) ms\s+([\d.]+) GFLOP/s")
STEP = re.compile(r"^(train_step|sample)\s+batch\s+(\d+)\s+([\d.]+) ms/step\s+([\d.]+) (images/s|denoise steps/s)")
PROF = re.compile(r"^\s+(.+?)\s+([\d.]+) ms\s+([\d.]+)%\s+\((\d+) dispatches\)")
PASS = {"": "forward", "_backward_input": "backward-input", "_backward_weight": "backward-weight"}


def logs(prefix):
    """Texts of the logs whose name (after the NN- counter) starts with prefix, in run order."""
    out = []
    for f in sorted(glob.glob(os.path.join(OUT, "logs", "*.log"))):
        name = os.path.basename(f)[3:-4]
        if name == prefix or name.startswith(prefix + "-r") or (prefix.endswith("-") and name.startswith(prefix)):
            out.append(open(f, errors="replace").read())
    return out


def kernel_rows(text):
    """{(family, case without batch, pass): (ms, GF/s)} of one kernels bench log."""
    rows = {}
    for line in text.splitlines():
        m = ROW.match(line)
        if not m:
            continue
        group, case, ms, gf = m.group(1), m.group(2), float(m.group(3)), float(m.group(4))
        fam = next((f for f in ("conv_transpose2d", "conv2d_geom", "conv2d") if group.startswith(f)), None)
        if fam is None:
            continue
        ps = PASS.get(group[len(fam):], group)
        rows[(fam, case.split("x", 1)[1], ps)] = (ms, gf)
    return rows


def runs(prefix):
    return [kernel_rows(t) for t in logs(prefix)]


def best(rs, key):
    """Best GF/s over rounds (noise on a CPU only slows) and the spread (max-min)/max."""
    v = [r[key][1] for r in rs if key in r]
    if not v:
        return None, None
    return max(v), (max(v) - min(v)) / max(v)


def fmt(v, spread=None):
    if v is None:
        return "-"
    s = f"{v:.1f}"
    return s + (f" (±{100 * spread / 2:.0f}%)" if spread else "")


def keys(rs, fam):
    seen = []
    for r in rs:
        for k in r:
            if k[0] == fam and k not in seen:
                seen.append(k)
    return seen


def verdict(ok):
    return "reached" if ok else "**missed**"


def batch(prefix):
    """The batch of the seed conv rows of the runs named prefix (their case starts with it)."""
    for t in logs(prefix):
        for line in t.splitlines():
            m = ROW.match(line)
            if m and m.group(1) == "conv2d":
                return m.group(2).split("x", 1)[0]
    return "?"


def header_line(word):
    """The line of machine.txt that starts with word (the driver versions)."""
    for line in open(os.path.join(OUT, "machine.txt")):
        if line.startswith(word):
            return line.strip()
    return word + ": ?"


def adapter(texts):
    for t in texts:
        for line in t.splitlines():
            if line.startswith("adapter:"):
                return line[len("adapter:"):].strip()
    return "?"


def part_a():
    s8, p8 = runs("conv8-subgroup"), runs("conv8-plain")
    s32, p32 = runs("conv32-subgroup"), runs("conv32-plain")
    if not (s8 or s32):
        return
    print("## a. Seed U-Net convs, packing included (GFLOP/s; best of the rounds, ± half the spread)\n")
    print(f"Adapter: {adapter(logs('conv8-subgroup') + logs('conv32-subgroup'))}. Plain/Subgroup is the "
          "Plain path's time over the Subgroup path's (target <= 1.5x); target 60 GF/s at every 3x3 "
          "shape with 64+ input channels, batch 8 and 32 (the 1-channel first conv and the 1x1 "
          "output conv are part c's).\n")
    b8, b32 = batch("conv8-subgroup"), batch("conv32-subgroup")
    print(f"| conv (batch {b8} / {b32}) | pass | Subgroup b{b8} | Plain b{b8} | Plain/Sub b{b8} | Subgroup b{b32} "
          f"| Plain b{b32} | Plain/Sub b{b32} | 60 GF/s | Plain <= 1.5x |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for k in keys(s8 + s32, "conv2d"):
        cells, ratios, gfs = [], [], []
        for s, p in ((s8, p8), (s32, p32)):
            gs, ss = best(s, k)
            gp, sp = best(p, k)
            r = gs / gp if gs and gp else None
            cells += [fmt(gs, ss), fmt(gp, sp), f"{r:.2f}x" if r else "-"]
            ratios.append(r)
            gfs.append(gs)
        main = not (k[1].startswith("1x") or k[1].endswith("k1"))
        t60 = verdict(all(g and g >= 60 for g in gfs)) if main else "(part c)"
        tp = verdict(all(r and r <= 1.5 for r in ratios)) if all(ratios) else "-"
        print(f"| {k[1]} | {k[2]} | " + " | ".join(cells) + f" | {t60} | {tp} |")
    print()


SEEDS = {
    "64x48x48 -> 64x24x24 k4 s2 p1": "seed001 down",
    "64x24x24 -> 64x48x48 k4 s2 p1 op0": "seed001 up",
    "64x24x24 -> 64x48x48 k3 s2 p1 op1": "seed004 up",
}


def part_b():
    s8, p8 = runs("conv8-subgroup"), runs("conv8-plain")
    if not s8:
        return
    print("## b. Strided and transposed convs, batch 8 (GFLOP/s of useful multiply-adds)\n")
    print("Target 45 GF/s for the seed001/seed004 rows; the other rows are references (general "
          "gather, k5; the k3 s1 p1 row runs the seed U-Net's kernel).\n")
    print("| conv | used by | pass | Subgroup | Plain | Plain/Sub | 45 GF/s |")
    print("|---|---|---|---|---|---|---|")
    for fam in ("conv2d_geom", "conv_transpose2d"):
        for k in keys(s8, fam):
            gs, ss = best(s8, k)
            gp, sp = best(p8, k)
            who = SEEDS.get(k[1], "")
            t = verdict(gs and gs >= 45) if who else ""
            r = f"{gs / gp:.2f}x" if gs and gp else "-"
            kind = "transpose" if fam == "conv_transpose2d" else "conv"
            print(f"| {kind} {k[1]} | {who} | {k[2]} | {fmt(gs, ss)} | {fmt(gp, sp)} | {r} | {t} |")
    print()


def steps(text):
    """{'train_step': (ms, rate, dispatches or None), 'sample': (ms, rate, None)}."""
    out = {}
    for line in text.splitlines():
        m = STEP.match(line)
        if m:
            d = re.search(r"\((\d+) dispatches", line)
            out[m.group(1)] = (float(m.group(3)), float(m.group(4)), d and int(d.group(1)))
    return out


def part_c():
    prof = logs("profile")
    if not prof:
        return
    text = prof[0]
    rows = [(re.sub(r" \[[a-z ]+\]$", "", m.group(1)), float(m.group(2)), int(m.group(4)))
            for m in map(PROF.match, text.splitlines()) if m]
    total = re.search(r"total\s+([\d.]+) ms", text)
    total = float(total.group(1)) if total else sum(r[1] for r in rows)
    st = steps(text).get("train_step")
    print("## c. Where a step goes (seed000 16,32,64, batch 32, `BENCH_PROFILE=1`)\n")
    print("Each command submitted alone and waited on, summed by kernel (wall clock; serialising "
          f"removes overlap). This run's step: {st[0]:.1f} ms ({st[1]:.1f} images/s, {st[2]} "
          f"dispatches); profiled total {total:.1f} ms.\n" if st else "")
    print("| kernel | ms | share | dispatches |\n|---|---|---|---|")
    for label, ms, cnt in rows:
        print(f"| {label} | {ms:.2f} | {100 * ms / total:.1f}% | {cnt} |")
    cls = {"conv (incl. packing, reduce)": 0.0, "BatchNorm": 0.0, "other": 0.0}
    for label, ms, _ in rows:
        c = "conv (incl. packing, reduce)" if label.startswith("conv") else "BatchNorm" if label.startswith("batchnorm") else "other"
        cls[c] += ms
    print("\nShares: " + ", ".join(f"{k} {100 * v / total:.0f}%" for k, v in cls.items())
          + " (every label).\n")
    # The edge convs run kernels of their own, so the profile shows them apart.
    for name, prefixes in (("first conv (thin kernels, and the pixel-summed input gradient)",
                            ("conv2d_thin", "conv2d_input_sum")),
                           ("last conv (narrow kernels)", ("conv2d_narrow",))):
        mine = [(l, ms) for l, ms, _ in rows if l.startswith(prefixes)]
        if mine:
            ms = sum(m for _, m in mine)
            print(f"- {name} in the profile: " + ", ".join(f"{l} {m:.2f} ms" for l, m in mine)
                  + f"; together {ms:.2f} ms = {100 * ms / total:.2f}% of the profiled step.")
    conv = runs("conv32-16-32-64")
    if conv:
        r = conv[0]
        for name, pick in (("first conv (1->16 @28, k3)", lambda c: c.startswith("1x28x28 -> 16 ")),
                           ("last conv (16->1 @28, 1x1)", lambda c: c.endswith("-> 1 k1"))):
            ks = [k for k in r if k[0] == "conv2d" and pick(k[1])]
            ms = sum(r[k][0] for k in ks)
            parts = ", ".join(f"{k[2]} {r[k][0]:.2f} ms ({r[k][1]:.1f} GF/s)" for k in ks)
            print(f"- {name}, batch 32, timed alone by the kernels bench: {parts}; together "
                  f"{ms:.2f} ms = {100 * ms / total:.1f}% of the profiled step"
                  + (f", {100 * ms / st[0]:.1f}% of a step" if st else "") + ".")
        bi = [c for l, _, c in rows if l == "conv2d_backward_input"]
        fw = [c for l, _, c in rows if l == "conv2d"]
        thin = any(l == "conv2d_thin" for l, _, _ in rows)
        if bi and fw:
            print(f"- dispatches: conv2d {fw[0]}, conv2d_backward_input {bi[0]} per step"
                  + (" (the first conv's input gradient is computed too)"
                     if bi[0] == fw[0] and not thin else "") + ".")
        print()


def unet_gflop(widths):
    """Forward GFLOP per 28x28 image of the seed U-Net (its convs; the rest is under 1%)."""
    c1, c2, c3 = map(int, widths.split(","))
    convs = [(1, c1, 28, 3), (c1, c1, 28, 3), (c1, c2, 14, 3), (c2, c2, 14, 3), (c2, c3, 7, 3),
             (c3, c3, 7, 3), (c3 + c2, c2, 14, 3), (c2, c2, 14, 3), (c2 + c1, c1, 28, 3),
             (c1, c1, 28, 3), (c1, 1, 28, 1)]
    return sum(2 * ci * co * hw * hw * k * k for ci, co, hw, k in convs) / 1e9


def gflops(tag, key, rate):
    """GFLOP/s of a seed000 workload: a training step is 3 forward passes per image."""
    if "," not in tag:
        return None
    return rate * unet_gflop(tag) * (3 if key == "train_step" else 8)


def pair_table(title, specs, targets):
    print("| workload | ours (rounds) | PyTorch (rounds) | ours / PyTorch (best, per round) | target |")
    print("|---|---|---|---|---|")
    for label, tag, key, unit in specs:
        o = [steps(t).get(key) for t in logs("ours-" + tag)]
        p = [steps(t).get(key) for t in logs("torch-" + tag)]
        o, p = [x[1] for x in o if x], [x[1] for x in p if x]
        if not o or not p:
            print(f"| {label} | {o} | {p} | - | |")
            continue
        r = max(o) / max(p)
        per = ", ".join(f"{a / b:.2f}" for a, b in zip(o, p))
        tgt = targets.get((tag, key))
        t = f"{tgt}x: {verdict(r >= tgt)}" if tgt else ""
        g = gflops(tag, key, max(o)), gflops(tag, key, max(p))
        gs = f" ({g[0]:.0f} / {g[1]:.0f} GFLOP/s)" if g[0] else ""
        print(f"| {label} | {' / '.join(f'{x:.1f}' for x in o)} {unit} | "
              f"{' / '.join(f'{x:.1f}' for x in p)} {unit} | **{r:.2f}x** ({per}){gs} | {t} |")
    print()


def part_d():
    if not logs("ours-64,128,256"):
        return
    print("## d. seed000 against PyTorch CPU (2 threads), interleaved ours, PyTorch, ours, ...\n")
    specs = []
    for ch in ("64,128,256", "16,32,64"):
        specs.append((f"{ch} train step, batch 32", ch, "train_step", "img/s"))
    for ch in ("64,128,256", "16,32,64"):
        specs.append((f"{ch} denoise step, batch 8", ch, "sample", "steps/s"))
    pair_table("d", specs, {("64,128,256", "train_step"): 0.35, ("16,32,64", "train_step"): 0.45,
                            ("64,128,256", "sample"): 0.35, ("16,32,64", "sample"): 0.35})


def part_e():
    nets = ["seed000", "seed001", "seed002", "seed003", "seed004"]
    if not logs("ours-seed000"):
        return
    print("## e. Every seed network at its CPU widths (training batch 16, denoise batch 8)\n")
    specs, tg = [], {}
    for n in nets:
        d = [steps(t).get("train_step") for t in logs("ours-" + n)]
        d = d[0][2] if d and d[0] else "?"
        specs.append((f"{n} train ({d} dispatches)", n, "train_step", "img/s"))
        specs.append((f"{n} denoise", n, "sample", "steps/s"))
        tg[(n, "train_step")] = tg[(n, "sample")] = 0.3
    pair_table("e", specs, tg)


def part_f():
    m22, m25 = runs("mesa22"), runs("mesa25")
    if not m25:
        return
    print("## f. Mesa 25 against Mesa 22.3, conv groups, batch 8, Subgroup path (GFLOP/s by CPU time over the cores, `BENCH_CLOCK=cpu`)\n")
    print(f"{header_line('mesa 22.3')}; {header_line('mesa 25')}; adapter as the bench names it: "
          f"{adapter(logs('mesa22'))} and {adapter(logs('mesa25'))}. "
          "Slower: Mesa 25's best below Mesa 22.3's worst round.\n")
    print("| conv | pass | Mesa 22.3 (rounds) | Mesa 25 (rounds) | 25 / 22.3 | |\n|---|---|---|---|---|---|")
    slower = []
    for fam in ("conv2d", "conv2d_geom", "conv_transpose2d"):
        for k in keys(m22, fam):
            a = [r[k][1] for r in m22 if k in r]
            b = [r[k][1] for r in m25 if k in r]
            if not a or not b:
                continue
            flag = max(b) < min(a)
            if flag:
                slower.append(f"{k[1]} {k[2]} ({max(b) / max(a):.2f}x)")
            print(f"| {k[1]} | {k[2]} | {' / '.join(f'{x:.1f}' for x in a)} | "
                  f"{' / '.join(f'{x:.1f}' for x in b)} | {max(b) / max(a):.2f}x | {'**slower**' if flag else ''} |")
    print(f"\nSlower on Mesa 25: {', '.join(slower) if slower else 'none'}. "
          f"Target (no kernel slower): {verdict(not slower)}.\n")


def probe():
    """(ceiling GF/s per CPU-second x 2, wall GF/s, texture ns/load cpu, raw fma, raw micro)."""
    fma, micro = logs("convprobe-fma"), logs("convprobe-micro")
    if not fma or not micro:
        return None
    cpu = [float(x) for x in re.findall(r"([\d.]+) GFLOP/s per CPU-second", fma[0])]
    wall = [float(x) for x in re.findall(r"([\d.]+) GFLOP/s wall", fma[0])]
    tex = re.search(r"textureLoad rgba32f \[lane-varying\]\s+[\d.]+\s+[\d.]+\s+([\d.]+)", micro[0])
    if not cpu or not tex:
        return None
    return max(cpu), max(wall), float(tex.group(1)), fma[0], micro[0]


# Loads per multiply-add in each kernel's inner loop, per lane (every op is an 8-lane vector
# op on llvmpipe), counted in shaders/ (see benches/peer/issue23_limits.md):
# (kernel, texture loads, multiply-adds, sums held per lane)
COUNTS = [
    ("conv2d forward / backward-input k3, Subgroup (per 4 input channels)", 36, 2016, 56),
    ("conv2d forward / backward-input k3, Plain (weights loaded in every lane)", 99, 2016, 56),
    ("gather (strided / transposed) k4 s2, T = 2 taps per block, Subgroup", 10, 448, 56),
    ("gather k3 s2 transposed, phases of T = 1 tap per block, Subgroup", 8, 224, 56),
    ("gather k4 s2, T = 2, Plain", 24, 448, 56),
    ("conv2d_backward_weight main_k3 (per pixel)", 3, 96, 104),
]


# Multiply-add rate with more live sums than registers (32, 56 or 104 accumulators) over the
# best variant's: 0.72 in CPU time, measured 2026-12-06 under load with convprobe fma plus
# those three accumulator counts (not in the shared probe's list); used unless this run's
# probe prints an acc=56 row.
SPILL = 0.72


def plain_ratio():
    """Median Plain/Subgroup time of the k3 forward and backward-input rows (section a, b8)."""
    s8, p8 = runs("conv8-subgroup"), runs("conv8-plain")
    r = sorted(best(s8, k)[0] / best(p8, k)[0] for k in keys(s8, "conv2d")
               if k[2] != "backward-weight" and not k[1].startswith("1x") and not k[1].endswith("k1")
               and best(p8, k)[0])
    return r[len(r) // 2] if r else None


def part_g():
    pr = probe()
    if not pr:
        return
    c, w, tl, fma, micro = pr
    tf = 32.0 / c  # CPU-ns per 8-lane multiply-add at the ceiling
    r = tl / tf
    m = re.search(r"acc= ?56 .*?([\d.]+) GFLOP/s per CPU-second", fma)
    sp, src = (float(m.group(1)) / c, "this run's acc=56 row") if m else (SPILL, "SPILL, measured earlier")
    print("## g. The ceiling and the load-count estimates (convprobe)\n")
    print(f"FMA ceiling: {w:.1f} GFLOP/s wall, {c:.1f} GFLOP/s per CPU-second x 2 (best variant); "
          f"an 8-lane textureLoad of an rgba32float texel costs {tl:.1f} CPU-ns, an 8-lane "
          f"multiply-add {tf:.3f} CPU-ns at the ceiling: one load = r = {r:.0f} multiply-adds. "
          f"With more live sums than registers a multiply-add runs at {sp:.2f} of the ceiling ({src}).\n")
    print("Estimate: loads and multiply-adds do not overlap, so a kernel with L loads per F "
          "multiply-adds runs at ceiling / (1 / spill + (L/F) r); packing passes not included. "
          "Shares come from CPU times (they hold under load); the GF/s column applies them to "
          f"the wall ceiling, {w:.1f} GF/s, comparable with sections a and b on an idle machine.\n")
    print("| kernel inner loop | loads / FMA | sums per lane | share of ceiling | estimate GF/s |\n|---|---|---|---|---|")
    share = {}
    for name, loads, fmas, sums in COUNTS:
        lf = loads / fmas
        share[name] = 1 / (1 / sp + lf * r)
        print(f"| {name} | {loads}/{fmas} = {lf:.4f} | {sums} | {100 * share[name]:.0f}% | {share[name] * w:.0f} |")
    fwd, pl, bw = share[COUNTS[0][0]], share[COUNTS[1][0]], share[COUNTS[-1][0]]
    meas = plain_ratio()
    print(f"\nCheck: the estimate puts Plain/Subgroup at {fwd / pl:.2f}x for the k3 kernel (conv pass "
          "alone; packing, the same on both paths, brings it nearer 1)"
          + (f"; section a measured {meas:.2f}x (median of the forward and backward-input rows)." if meas else "."))
    step = w * 3 / (2 / fwd + 1 / bw)
    g = unet_gflop("64,128,256")
    torch = [steps(t).get("train_step") for t in logs("torch-64,128,256")]
    torch = max((x[1] for x in torch if x), default=None)
    print(f"\nThe 64,128,256 training step ({3 * g:.2f} GFLOP per image) with every conv pass at its "
          f"estimate (forward and backward-input at the k3 Subgroup row, backward-weight at main_k3's) "
          f"and nothing else: {step:.0f} GF/s, {step / 3 / g:.1f} images/s"
          + (f", {step / 3 / g / torch:.2f}x this run's PyTorch ({torch:.1f} images/s)." if torch else "."))
    print(f"\nLoads per FMA a conv pass may have for 60 GF/s at this ceiling and spill rate: "
          f"{max((w / 60 - 1 / sp) / r, 0):.4f}; for 45: {max((w / 45 - 1 / sp) / r, 0):.4f} "
          "(0: out of reach with spilled sums).\n")
    print("<details><summary>convprobe fma and micro, raw</summary>\n\n```\n" + fma.strip()
          + "\n\n" + micro.strip() + "\n```\n</details>\n")


def main():
    print("# Issue 23: the tables, redone in one run\n")
    print("```\n" + open(os.path.join(OUT, "machine.txt")).read().strip() + "\n```\n")
    for f in (part_a, part_b, part_c, part_d, part_e, part_f, part_g):
        f()
    print("## Commands (as run, with the start time and the load average)\n")
    print("```\n" + open(os.path.join(OUT, "commands.txt")).read().strip() + "\n```")


main()
