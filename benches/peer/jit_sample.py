#!/usr/bin/env python3
"""Where a running process's JIT code spends its time (conv_asm.sh's sampling part):

    jit_sample.py PID IPS      # IPS: `perf script -F ip` of a `perf record -e cpu-clock -p PID`

The hot executable anonymous mappings (llvmpipe's compiled shaders and texel-fetch functions)
are read from /proc/PID/mem while the process runs, disassembled with objdump and split into
functions at their `ret`s; each hot function's share of the JIT samples is printed with its
size, multiplies and calls (the shader has the multiplies, a texel fetch has none).
"""
import collections
import re
import subprocess
import sys
import tempfile

# a store to the stack: the last (destination) operand addresses %rsp or %rbp
STACK_DST = re.compile(r",\s*-?(?:0x[0-9a-f]+)?\((?:%rsp|%rbp)[,)][^,]*$")

def jit_sample(pid, ips_path):
    """Prints the table (see the module doc)."""
    ips = collections.Counter()
    with open(ips_path) as f:
        for line in f:
            try:
                ips[int(line.split()[0], 16)] += 1
            except (ValueError, IndexError):
                continue
    regions = []
    with open(f"/proc/{pid}/maps") as f:
        for line in f:
            parts = line.split()
            if "x" in parts[1] and len(parts) < 6:  # executable and anonymous: JIT code
                a, b = (int(v, 16) for v in parts[0].split("-"))
                regions.append((a, b))
    inside = {ip: n for ip, n in ips.items() if any(a <= ip < b for a, b in regions)}
    total = sum(inside.values())
    print(f"JIT samples: {total} of {sum(ips.values())}")
    funcs = []
    for a, b in regions:
        hits = {ip - a: n for ip, n in inside.items() if a <= ip < b}
        if sum(hits.values()) < total * 0.02:
            continue
        with open(f"/proc/{pid}/mem", "rb") as f:
            f.seek(a)
            code = f.read(b - a)
        with tempfile.NamedTemporaryFile(suffix=".bin") as t:
            t.write(code)
            t.flush()
            dis = subprocess.run(["objdump", "-D", "-b", "binary", "-m", "i386:x86-64", t.name],
                                 capture_output=True, text=True).stdout
        ins = []
        for line in dis.splitlines():
            m = re.match(r"\s*([0-9a-f]+):\t(?:[0-9a-f]{2} )+\s*\t(\S+)\s*(.*)", line)
            if m:
                ins.append((int(m.group(1), 16), m.group(2), m.group(3)))
        start = 0
        for i, (off, mnem, _) in enumerate(ins):
            if mnem.startswith("ret"):
                body = [(m, ops) for _, m, ops in ins[start:i + 1]
                        if not m.startswith(("nop", "data16", "(bad)"))]
                lo, hi = ins[start][0], off
                n = sum(v for k, v in hits.items() if lo <= k <= hi)
                if n:
                    funcs.append((n, len(body), sum(m.startswith("vmulp") for m, _ in body),
                                  sum(m.startswith("vfmadd") for m, _ in body),
                                  sum(m.startswith("call") for m, _ in body),
                                  sum(bool(STACK_DST.search(o)) for _, o in body)))
                start = i + 1
    print("| share of JIT samples | instructions | vmulps | vfmadd | calls | stack stores |")
    print("|---|---|---|---|---|---|")
    for n, size, mul, fma, calls, st in sorted(funcs, reverse=True)[:6]:
        print(f"| {n / total:.1%} | {size} | {mul} | {fma} | {calls} | {st} |")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: jit_sample.py PID IPS")
    jit_sample(int(sys.argv[1]), sys.argv[2])
