"""Reading llvmpipe's printed x86 code (Mesa 25's GALLIVM_DEBUG=asm): its functions, their
loops, the instructions of a loop's executed path by kind, and llvm-mca's figures for it. Used
by conv_asm.py (see there)."""
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
    (8-lane multiplies by default; of those, one closed by a conditional jump, the smallest),
    or None."""
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
        # a conditional latch is llvmpipe's "any lane still active?" test, the common path;
        # an unconditional one closes the path where no lane took a branch (a skipped fetch)
        key = (muls[i + 1] - muls[h], insns[i][1] != "jmp", -(i - h))
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
