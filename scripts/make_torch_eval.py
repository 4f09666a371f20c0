#!/usr/bin/env python3
"""Write the PyTorch side of the `eval --t` comparison (tests/cli_errors.rs checks ours within
3% of it at every t):

  tests/fixtures/eval8-images-idx3-ubyte  512 gray 8x8 images (IDX), byte (i, p) =
                                         int(127.5 + 127.5 sin(0.9 i + 0.61 p + 0.3 (i % 7) p / 8))
  tests/fixtures/torch_eval.json         {"t": [...], "mse": [...]}: the seed U-Net of
                                         benches/peer/torch_unet.py on the tiny fixture weights
                                         (tests/fixtures/torch_unet_tiny.safetensors), BatchNorm
                                         in eval mode, linear schedule with T = 1000, mean
                                         noise-prediction MSE over all 512 images at each fixed t,
                                         averaged over 32 eps draws (float64)

Ours draws one eps per pixel from its own RNG, so the two agree to sampling noise, not bitwise.
Needs torch and safetensors; never run by cargo test.
  python3 scripts/make_torch_eval.py
"""
import json, math, os, struct, sys

import torch
from safetensors.torch import load_file

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "benches", "peer"))
import torch_unet  # noqa: E402

_embed = torch_unet.time_embedding
torch_unet.time_embedding = lambda t, d: _embed(t, d).double()

ROOT = os.path.join(os.path.dirname(__file__), "..")
FIX = os.path.join(ROOT, "tests", "fixtures")
N, S, T, DRAWS = 512, 8, 1000, 32
TS = [1, 10, 100, 500, 1000]


def main():
    raw = bytes(
        int(127.5 + 127.5 * math.sin(0.9 * i + 0.61 * p + 0.3 * (i % 7) * p / 8))
        for i in range(N) for p in range(S * S))
    with open(os.path.join(FIX, "eval8-images-idx3-ubyte"), "wb") as f:
        f.write(struct.pack(">IIII", 0x803, N, S, S) + raw)
    x0 = (torch.tensor(list(raw), dtype=torch.float64) / 127.5 - 1.0).view(N, 1, S, S)
    sd = load_file(os.path.join(FIX, "torch_unet_tiny.safetensors"))
    model = torch_unet.UNet(c=1, ch=(4, 6, 8), d=6).double()
    model.load_state_dict({k: v.double() if v.is_floating_point() else v for k, v in sd.items()})
    model.eval()
    beta = torch.linspace(1e-4, 0.02, T, dtype=torch.float64)
    abar = torch.cat([torch.ones(1, dtype=torch.float64), torch.cumprod(1 - beta, 0)])
    g = torch.Generator().manual_seed(0)
    mse = []
    with torch.no_grad():
        for t in TS:
            tt = torch.full((N,), t, dtype=torch.int64)
            total = 0.0
            for _ in range(DRAWS):
                eps = torch.randn(x0.shape, generator=g, dtype=torch.float64)
                xt = abar[t].sqrt() * x0 + (1 - abar[t]).sqrt() * eps
                total += torch.mean((model(xt, tt) - eps) ** 2).item()
            mse.append(total / DRAWS)
    with open(os.path.join(FIX, "torch_eval.json"), "w") as f:
        json.dump({"generator": "scripts/make_torch_eval.py", "torch": torch.__version__,
                   "images": N, "T": T, "schedule": "linear", "t": TS, "mse": mse}, f, indent=1)
    print(dict(zip(TS, mse)))


if __name__ == "__main__":
    main()
