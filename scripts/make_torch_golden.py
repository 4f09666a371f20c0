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
import os, sys

import torch
from safetensors.torch import load_file, save_file

from golden_pass import forward_backward, inputs

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "benches", "peer"))
import torch_unet  # noqa: E402
from torch_unet import UNet  # noqa: E402

# The model runs in float64; its time embedding is computed in float32 (as ours is) and then
# widened.
_embed = torch_unet.time_embedding
torch_unet.time_embedding = lambda t, d: _embed(t, d).double()

ROOT = os.path.join(os.path.dirname(__file__), "..")
N, S = 3, 8


def main():
    torch.manual_seed(0)
    torch.use_deterministic_algorithms(True)
    sd = load_file(os.path.join(ROOT, "tests", "fixtures", "torch_unet_tiny.safetensors"))
    model = UNet(c=1, ch=(4, 6, 8), d=6).double()
    model.load_state_dict({k: v.double() if v.is_floating_point() else v for k, v in sd.items()})
    x, target = inputs((N, 1, S, S))
    t = torch.tensor([1, 17, 999], dtype=torch.int64)
    out, loss, _ = forward_backward(model, x, target, t)
    path = os.path.join(ROOT, "tests", "fixtures", "torch_unet_golden.safetensors")
    save_file(out, path, metadata={"generator": "scripts/make_torch_golden.py", "torch": torch.__version__})
    print(f"wrote {path}: loss {loss.item():.6f}, {len(out)} tensors")


if __name__ == "__main__":
    main()
