"""What both golden generators compute (scripts/make_torch_golden.py for seed 000,
scripts/make_seed_goldens.py for seeds 001-004); tests/golden.rs builds the same inputs.

Needs torch; imported by those scripts, never run by cargo test.
"""
import math

import torch


def inputs(shape):
    """x[i] = sin(0.37 i + 0.1) and target[i] = cos(0.23 i) * 0.8 over the NCHW index i, float32."""
    n = math.prod(shape)
    x = torch.tensor([math.sin(0.37 * i + 0.1) for i in range(n)], dtype=torch.float32)
    target = torch.tensor([math.cos(0.23 * i) * 0.8 for i in range(n)], dtype=torch.float32)
    return x.view(shape), target.view(shape)


def forward_backward(model, x, target, t):
    """The float64 `model` on x and target widened to float64 (so the golden values carry no
    rounding error of their own): eval_out in eval mode, then train_out in train mode,
    loss = mean((train_out - target)^2) and its backward.

    Returns (tensors to store, as F32: x, target, t, eval_out, train_out, loss, grad.<name> for
    every parameter; the loss; eval_out).
    """
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
    return out, loss, eval_out
