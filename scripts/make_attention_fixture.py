#!/usr/bin/env python3
"""Write tests/fixtures/torch_attention.safetensors: what real PyTorch computes for the
seed-003 network's self-attention core on tiny shapes, so `cargo test --test kernels
attention_graph` checks ours against it without needing torch.

The chain (dome272 Diffusion-Models-pytorch `SelfAttention` without its LayerNorms and
feed-forward, which other ops cover):
    t = x.view(N, C, H*W).swapaxes(1, 2)                       # [N, L, C] tokens
    a = nn.MultiheadAttention(C, HEADS, batch_first=True)(t, t, t)[0]
    y = a.swapaxes(2, 1).reshape(N, C, H, W)
    loss = mean((y - target) ** 2)
N = 2, C = 12, HEADS = 4 (d = 3), H = 3, W = 2 (L = 6), computed in float64, stored as F32:
x, target, in_proj_weight, in_proj_bias, out_proj.weight, out_proj.bias (the layer's own
random initialisation, biases made nonzero), y, loss, and grad.<name> for x and each weight.

Needs torch and safetensors; never run by cargo test.
  python3 scripts/make_attention_fixture.py
"""
import os

import torch
from safetensors.torch import save_file

ROOT = os.path.join(os.path.dirname(__file__), "..")
N, C, HEADS, H, W = 2, 12, 4, 3, 2


def main():
    torch.manual_seed(3)
    mha = torch.nn.MultiheadAttention(C, HEADS, batch_first=True).double()
    with torch.no_grad():
        # PyTorch initialises both biases to zero; nonzero ones test that they are added.
        mha.in_proj_bias.normal_(0.0, 0.5)
        mha.out_proj.bias.normal_(0.0, 0.5)
    # Scale 2 makes the softmax rows far from uniform.
    x = (2.0 * torch.randn(N, C, H, W, dtype=torch.float64)).requires_grad_()
    target = torch.randn(N, C, H, W, dtype=torch.float64)
    t = x.view(N, C, H * W).swapaxes(1, 2)
    a, _ = mha(t, t, t, need_weights=False)
    y = a.swapaxes(2, 1).reshape(N, C, H, W)
    loss = torch.mean((y - target) ** 2)
    loss.backward()
    params = {
        "in_proj_weight": mha.in_proj_weight,
        "in_proj_bias": mha.in_proj_bias,
        "out_proj.weight": mha.out_proj.weight,
        "out_proj.bias": mha.out_proj.bias,
    }
    out = {
        "x": x.detach().float(),
        "target": target.float(),
        "y": y.detach().float().contiguous(),
        "loss": loss.detach().float().reshape(1),
        "grad.x": x.grad.float().contiguous(),
    }
    for name, p in params.items():
        out[name] = p.detach().float().contiguous()
        out[f"grad.{name}"] = p.grad.float().contiguous()
    path = os.path.join(ROOT, "tests", "fixtures", "torch_attention.safetensors")
    meta = {"generator": "scripts/make_attention_fixture.py", "torch": torch.__version__}
    save_file(out, path, metadata=meta)
    print(f"wrote {path}: loss {loss.item():.6f}, {len(out)} tensors")


if __name__ == "__main__":
    main()
