#!/usr/bin/env python3
"""Write tests/fixtures/prediction_golden.json: the training loss of each prediction target
(eps, x0, v), with and without min-SNR weighting, as diffusers' and lucidrains' training
scripts compute it in PyTorch, on fixed tiny inputs, so that `cargo test` checks our GPU loss
(add-noise target + snr_weight + weighted mse) against it without torch.

Run: /work/torchenv/bin/python scripts/make_prediction_golden.py

Inputs: a batch of N images of CHW elements, x0 ~ U(-1, 1) and a fixed "model output" ~ N(0, 1)
(torch.manual_seed), no network. The timesteps t and the noise eps are the ones our add-noise
kernel draws for (SEED, STEP): this script re-implements its Philox4x32-10 counter RNG and
Box-Muller (src/kernels/rng.rs) so both sides see the same draws, and stores them so the test
also checks the port. Schedule: ours (design.md section 2), cosine, T = T_MAX, in float64; the
kernels read it as f32 columns abar_t and 1 - abar_t (rounded separately from float64), and so
does this script (diffusers would form 1 - abar_t from a float32 abar_t; the columns are the
one place we differ by design). Our t is 1-based: diffusers' index t - 1.

The loss, in float64, as diffusers' examples/text_to_image/train_text_to_image.py computes it:
  target  = noise (epsilon) | latents (sample) | get_velocity = sqrt(abar) noise - sqrt(1 - abar) x0
  snr     = compute_snr: (sqrt(abar) / sqrt(1 - abar))^2
  loss    = F.mse_loss(pred, target, reduction="none").mean(dim=[1..]) * w, then .mean()
  (without gamma: F.mse_loss(pred, target, reduction="mean"))
with the min-SNR weights w of lucidrains' denoising-diffusion-pytorch (and of the paper,
Hang et al. 2023): eps min(snr, g)/snr, x0 min(snr, g), v min(snr, g)/(snr + 1).
diffusers' text_to_image script weighs v by min(snr + 1, g)/(snr + 1) instead; we follow the
paper and lucidrains, and the fixture records both v weightings' losses (diffusers_v).
"""

import json
import math
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

N, CHW = 8, 15
T_MAX = 16
SEED, STEP = 0x5EED_0000_2024, 7
GAMMA = 2.0  # clips half of the images drawn below (snr 2.2 to 10)
PURPOSE_T, PURPOSE_EPS = 1, 2
OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "prediction_golden.json"

M0, M1, W0, W1 = 0xD2511F53, 0xCD9E8D57, 0x9E3779B9, 0xBB67AE85
MASK = 0xFFFFFFFF


def philox(ctr, key):
    """Philox4x32-10 (Random123), as src/kernels/rng.rs and shaders/rng.wgsl."""
    c, k = list(ctr), list(key)
    for _ in range(10):
        p0, p1 = M0 * c[0], M1 * c[2]
        hi0, lo0 = p0 >> 32, p0 & MASK
        hi1, lo1 = p1 >> 32, p1 & MASK
        c = [hi1 ^ c[1] ^ k[0], lo1, hi0 ^ c[3] ^ k[1], lo0]
        k = [(k[0] + W0) & MASK, (k[1] + W1) & MASK]
    return c


def block(seed, stream, purpose, index):
    return philox([index, stream & MASK, stream >> 32, purpose], [seed & MASK, seed >> 32])


def u01(u):
    return float(np.float32(((u >> 9) + 0.5) * (1.0 / 8388608.0)))


def timestep(i):
    return 1 + ((block(SEED, STEP, PURPOSE_T, i)[0] * T_MAX) >> 32)


def normal(e):
    u = block(SEED, STEP, PURPOSE_EPS, e // 2)
    r = math.sqrt(-2.0 * math.log(u01(u[0])))
    th = 2.0 * math.pi * u01(u[1])
    return float(np.float32(r * (math.cos(th) if e % 2 == 0 else math.sin(th))))


def cosine_abar():
    s, tf = 0.008, float(T_MAX)

    def f(t):
        return math.cos(((t / tf + s) / (1.0 + s)) * math.pi / 2) ** 2

    abar = [1.0]
    for t in range(1, T_MAX + 1):
        beta = min(1.0 - f(t) / f(t - 1.0), 0.999)
        abar.append(abar[-1] * (1.0 - beta))
    return abar


def f32(v):
    return [float(np.float32(x)) for x in v]


def main():
    torch.manual_seed(0)
    x0 = (torch.rand(N, CHW, dtype=torch.float64) * 2 - 1).float().double()
    out = torch.randn(N, CHW, dtype=torch.float64).float().double()
    t = [timestep(i) for i in range(N)]
    eps = torch.tensor([normal(e) for e in range(N * CHW)], dtype=torch.float64).view(N, CHW)
    abar64 = cosine_abar()
    abar_col = torch.tensor(f32(abar64), dtype=torch.float64)
    omt_col = torch.tensor(f32([1.0 - a for a in abar64]), dtype=torch.float64)
    ti = torch.tensor(t)
    sqrt_abar = abar_col[ti].sqrt()[:, None]
    sqrt_omt = omt_col[ti].sqrt()[:, None]
    snr = (abar_col[ti].sqrt() / omt_col[ti].sqrt()) ** 2
    targets = {
        "eps": eps,
        "x0": x0,
        "v": sqrt_abar * eps - sqrt_omt * x0,
    }
    losses = []
    for name, target in targets.items():
        plain = F.mse_loss(out, target, reduction="mean").item()
        losses.append({"prediction": name, "min_snr_gamma": None, "loss": plain})
        clipped = torch.stack([snr, GAMMA * torch.ones_like(snr)], dim=1).min(dim=1)[0]
        w = {"eps": clipped / snr, "x0": clipped, "v": clipped / (snr + 1)}[name]
        per_image = F.mse_loss(out, target, reduction="none").mean(dim=1)
        losses.append(
            {"prediction": name, "min_snr_gamma": GAMMA, "loss": (per_image * w).mean().item()}
        )
        if name == "v":
            s1 = snr + 1
            wd = torch.stack([s1, GAMMA * torch.ones_like(s1)], dim=1).min(dim=1)[0] / s1
            diffusers_v = (per_image * wd).mean().item()
    print("t:", t, "snr:", [round(v, 3) for v in snr.tolist()])
    fixture = {
        "generator": "scripts/make_prediction_golden.py",
        "torch": torch.__version__,
        "schedule": "cosine",
        "t_max": T_MAX,
        "seed": SEED,
        "step": STEP,
        "n": N,
        "chw": CHW,
        "abar": abar_col.tolist(),
        "one_minus_abar": omt_col.tolist(),
        "x0": x0.flatten().tolist(),
        "out": out.flatten().tolist(),
        "t": t,
        "eps": eps.flatten().tolist(),
        "losses": losses,
        "diffusers_v": {"min_snr_gamma": GAMMA, "loss": diffusers_v},
    }
    OUT.write_text(json.dumps(fixture, indent=1) + "\n")
    for entry in losses:
        print(entry)
    print("wrote", OUT)


if __name__ == "__main__":
    main()
