#!/usr/bin/env python3
"""Write tests/fixtures/torch_unet_golden.safetensors: what real PyTorch computes with the seed
U-Net of benches/peer/torch_unet.py on the tiny fixture weights
(tests/fixtures/torch_unet_tiny.safetensors, channels 4,6,8, D = 6, one image channel),
so `cargo test --test golden` checks ours against it without needing torch.

Fixed inputs (tests/golden.rs builds the same ones): batch 3 of 8x8 images,
  x[i]      = sin(0.37 i + 0.1)           i = 0 .. 191 (NCHW order)
  target[i] = cos(0.23 i) * 0.8
  t         = [1, 17, 999]
Stored (all F32): x, target, t, eval_out (BatchNorm in eval mode, running statistics),
train_out (train mode, batch statistics), loss (train-mode MSE against target), and
grad.<name> for every parameter: the gradients of that loss.

Needs torch, safetensors and numpy; never run by cargo test.
  python3 scripts/make_torch_golden.py
"""
import math, os, sys

import torch
from safetensors.torch import load_file, save_file

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "benches", "peer"))
import torch_unet  # noqa: E402
from torch_unet import UNet  # noqa: E402

# The model runs in float64; its time embedding is computed in float32 (as ours is) and then
# widened.
_embed = torch_unet.time_embedding
torch_unet.time_embedding = lambda t, d: _embed(t, d).double()

ROOT = os.path.join(os.path.dirname(__file__), "..")
N, S = 3, 8


def inputs():
    n = N * S * S
    x = torch.tensor([math.sin(0.37 * i + 0.1) for i in range(n)], dtype=torch.float32)
    target = torch.tensor([math.cos(0.23 * i) * 0.8 for i in range(n)], dtype=torch.float32)
    t = torch.tensor([1, 17, 999], dtype=torch.int64)
    return x.view(N, 1, S, S), target.view(N, 1, S, S), t


def main():
    torch.manual_seed(0)
    torch.use_deterministic_algorithms(True)
    sd = load_file(os.path.join(ROOT, "tests", "fixtures", "torch_unet_tiny.safetensors"))
    model = UNet(c=1, ch=(4, 6, 8), d=6).double()
    model.load_state_dict({k: v.double() if v.is_floating_point() else v for k, v in sd.items()})
    x, target, t = inputs()
    # float64 on the PyTorch side: the golden values carry no rounding error of their own.
    xd, td = x.double(), target.double()
    model.eval()
    with torch.no_grad():
        eval_out = model(xd, t)
    model.train()
    train_out = model(xd, t)
    loss = torch.mean((train_out - td) ** 2)
    loss.backward()
    out = {
        "x": x,
        "target": target,
        "t": t.float(),
        "eval_out": eval_out.float(),
        "train_out": train_out.detach().float(),
        "loss": loss.detach().float().reshape(1),
    }
    for name, p in model.named_parameters():
        out[f"grad.{name}"] = p.grad.float().contiguous()
    path = os.path.join(ROOT, "tests", "fixtures", "torch_unet_golden.safetensors")
    save_file(out, path, metadata={"generator": "scripts/make_torch_golden.py", "torch": torch.__version__})
    print(f"wrote {path}: loss {loss.item():.6f}, {len(out)} tensors")


if __name__ == "__main__":
    main()
