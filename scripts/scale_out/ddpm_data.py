"""The training data and batch order of wgpu-ddpm, ported bit for bit from the Rust side so that
a run continued under torchrun sees the images and noise ours would have seen:

  HostRng            src/util/host_rng.rs (splitmix64)
  builtin()          src/data/builtin.rs (the procedural shapes; float32 as in Rust, no FMA)
  idx()              src/data/idx.rs at the file's own size (resizing is not ported)
  BatchOrder, flipped()  src/train/batch.rs (a fresh permutation per epoch; --random-flip)
  timesteps(), normals()  src/kernels/rng.rs and add_noise.rs: the add-noise step's Philox draws

The GPU computes the Box-Muller transform in f32 with WGSL's accuracy, these (like our CPU
reference) in f64, so a draw may differ from the GPU's in the last bits.
"""
import gzip
import struct

import numpy as np

M64 = (1 << 64) - 1
F32 = np.float32


class HostRng:
    def __init__(self, seed):
        self.s = (seed ^ 0x9E3779B97F4A7C15) & M64

    def next_u64(self):
        self.s = (self.s + 0x9E3779B97F4A7C15) & M64
        z = self.s
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
        return z ^ (z >> 31)

    def uniform(self):
        return (self.next_u64() >> 11) / float(1 << 53)

    def uniform_range(self, lo, hi):
        lo, hi = F32(lo), F32(hi)
        return F32(lo + (hi - lo) * F32(self.uniform()))

    def below(self, n):
        return self.next_u64() % n


CLASSES = ["disc", "ring", "square", "cross", "bars"]
BUILTIN_BUDGET_BYTES = 256 << 20  # src/data/mod.rs: fewer images at large sizes


def _render(cls, size, rng):
    s = F32(size)
    r = F32(s * rng.uniform_range(0.22, 0.34))
    cx = F32(s * F32(0.5) + rng.uniform_range(-0.12, 0.12) * s)
    cy = F32(s * F32(0.5) + rng.uniform_range(-0.12, 0.12) * s)
    thick = max(F32(s * F32(0.09)), F32(1.5))
    # 4x4 supersampling: coordinate of sub-sample k of pixel i is i + (k + 0.5) / 4 (float32).
    sub = (np.arange(size, dtype=F32)[:, None]
           + (np.arange(4, dtype=F32)[None, :] + F32(0.5)) / F32(4.0))
    dx = (sub - cx)[None, None, :, :]   # [1, 1, x, sx]
    dy = (sub - cy)[:, :, None, None]   # [y, sy, 1, 1]
    ax, ay = np.abs(dx), np.abs(dy)
    if cls == 0:
        inside = dx * dx + dy * dy <= r * r
    elif cls == 1:
        d = np.sqrt(dx * dx + dy * dy)
        inside = (d <= r) & (d >= F32(r - thick))
    elif cls == 2:
        k = F32(r * F32(0.85))
        inside = (ax <= k) & (ay <= k)
    elif cls == 3:
        k = F32(thick * F32(0.6))
        inside = ((ax <= k) | (ay <= k)) & (ax <= r) & (ay <= r)
    else:
        band = np.floor((dy + r) / F32(thick * F32(1.6))).astype(np.int64)
        inside = (ay <= r) & (ax <= r) & (band % 2 == 0)
    hits = np.broadcast_to(inside, (size, 4, size, 4)).sum(axis=(1, 3)).astype(F32)
    return hits / F32(16.0) * F32(2.0) - F32(1.0)


def builtin(size, count, seed):
    """(images [count, 1, size, size] float32 in [-1, 1], labels) as `builtin::generate`."""
    count = min(count, max(1, BUILTIN_BUDGET_BYTES // (size * size * 4)))
    rng = HostRng(seed ^ 0xB1171E)
    imgs = np.empty((count, 1, size, size), dtype=F32)
    labels = np.empty(count, dtype=np.int64)
    for i in range(count):
        cls = rng.below(len(CLASSES))
        imgs[i, 0] = _render(cls, size, rng)
        labels[i] = cls
    return imgs, labels


def idx(path, size=None):
    """An IDX image file (gzip or raw) scaled as ours does (b / 127.5 - 1)."""
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    if len(raw) < 16 or struct.unpack(">I", raw[:4])[0] != 0x803:
        raise SystemExit(f"--data {path}: not an IDX image file (magic 0x00000803 expected)")
    n, rows, cols = struct.unpack(">III", raw[4:16])
    if size is not None and (rows, cols) != (size, size):
        raise SystemExit(
            f"--data {path}: images are {rows}x{cols} but the network was trained at {size}x{size}; "
            "this script does not port our resizing: pass a file at the network's size")
    px = np.frombuffer(raw, dtype=np.uint8, count=n * rows * cols, offset=16)
    return (px.astype(F32) / F32(127.5) - F32(1.0)).reshape(n, 1, rows, cols)


def permutation(length, seed, epoch):
    rng = HostRng(((seed * 0x2545F4914F6CDD1D) & M64) ^ epoch)
    p = list(range(length))
    for i in range(length - 1, 0, -1):
        j = rng.below(i + 1)
        p[i], p[j] = p[j], p[i]
    return p


class BatchOrder:
    """`batch::indices`: dataset indices of optimizer step `step` (all its micro-batches)."""

    def __init__(self, length, seed, batch):
        self.length, self.seed, self.batch = length, seed, batch
        self.cache = {}

    def _perm(self, epoch):
        if epoch not in self.cache:
            self.cache = {epoch: permutation(self.length, self.seed, epoch)}
        return self.cache[epoch]

    def indices(self, step):
        out = []
        for j in range(self.batch):
            k = step * self.batch + j
            out.append(self._perm(k // self.length)[k % self.length])
        return out


def flipped(seed, step, index):
    key = seed ^ 0xF11F00005EED ^ ((step * 0x9E3779B97F4A7C15) & M64)
    return HostRng(key ^ ((index * 0xD1B54A32D192ED03) & M64)).uniform() < 0.5


# Philox4x32-10 and the draws of the fused add-noise step (src/kernels/rng.rs,
# src/kernels/add_noise.rs `add_noise_cpu`, shaders/add_noise.wgsl): key = the run's seed,
# stream = the optimizer step, counter (index, stream lo, stream hi, purpose).
PHILOX_M0, PHILOX_M1 = np.uint64(0xD2511F53), np.uint64(0xCD9E8D57)
PHILOX_W0, PHILOX_W1 = 0x9E3779B9, 0xBB67AE85
PURPOSE_T, PURPOSE_EPS = 1, 2
U32 = 0xFFFFFFFF


def philox(index, seed, stream, purpose):
    """The four u32 outputs (as uint64 arrays) of philox4x32_10 at counters `index`."""
    c0 = np.asarray(index, dtype=np.uint64)
    c1 = np.full_like(c0, stream & U32)
    c2 = np.full_like(c0, (stream >> 32) & U32)
    c3 = np.full_like(c0, purpose)
    k0, k1 = seed & U32, (seed >> 32) & U32
    mask, s32 = np.uint64(U32), np.uint64(32)
    for _ in range(10):
        p0, p1 = c0 * PHILOX_M0, c2 * PHILOX_M1  # < 2^64: no wrap
        c0, c1, c2, c3 = ((p1 >> s32) ^ c1 ^ np.uint64(k0), p1 & mask,
                          (p0 >> s32) ^ c3 ^ np.uint64(k1), p0 & mask)
        k0, k1 = (k0 + PHILOX_W0) & U32, (k1 + PHILOX_W1) & U32
    return c0, c1, c2, c3


def _u01(u):
    return ((u >> np.uint64(9)).astype(np.float64) + 0.5) / 8388608.0


def timesteps(seed, step, lo, hi, t_max):
    """t (1..=T) of images lo..hi of optimizer step `step`."""
    u = philox(np.arange(lo, hi), seed, step, PURPOSE_T)[0]
    return (np.uint64(1) + ((u * np.uint64(t_max)) >> np.uint64(32))).astype(np.int64)


def normals(seed, step, lo, hi):
    """eps elements lo..hi (flat over the step's images): Box-Muller pairs, element 2j
    r cos(theta) and 2j+1 r sin(theta) of counter j."""
    j0, j1 = lo // 2, (hi + 1) // 2
    u = philox(np.arange(j0, j1), seed, step, PURPOSE_EPS)
    r = np.sqrt(-2.0 * np.log(_u01(u[0])))
    th = 2.0 * np.pi * _u01(u[1])
    pairs = np.stack([r * np.cos(th), r * np.sin(th)], axis=1).reshape(-1).astype(F32)
    return pairs[lo - 2 * j0:hi - 2 * j0]
