#!/usr/bin/env python3
"""Write tests/fixtures/golden_seed00N.safetensors (N = 1..4): what real PyTorch computes with
the seed tutorials' networks (scripts/seed_nets.py) at small configurations, so that
`cargo test` can check our ports against it without torch. Same conventions as the seed-000
golden (scripts/make_torch_golden.py; both run scripts/golden_pass.py): float64 on the
PyTorch side, stored as F32; inputs are formulas, over the NCHW index i of a batch of 3:
  x[i]      = sin(0.37 i + 0.1)
  target[i] = cos(0.23 i) * 0.8
and integer timesteps per network (TS below). The time input (sinusoidal embedding or t/T) is
computed in float32 as the seed's float32 model computes it, then widened, as the seed-000
golden does.

Weights: PyTorch's default initialisation under torch.manual_seed(0), then every parameter it
leaves constant (norm weights 1, norm and attention biases 0) is redrawn (weights U(0.5, 1.5),
biases U(-0.3, 0.3)) and BatchNorm running stats are drawn too (mean U(-0.3, 0.3), var
U(0.5, 1.5)), so a swapped or ignored affine parameter or statistic cannot pass.

Stored per file (F32 unless said):
  <name>                  every state_dict tensor as save_file(model.state_dict()) writes it
                          (num_batches_tracked: 0-dim I64), before the train-mode forward
  x, target, t            inputs (t as F32 holding the integer timesteps)
  eval_out                model.eval() output (BatchNorm running statistics)
  train_out               model.train() output (batch statistics)
  loss                    [1]: mean((train_out - target)^2)
  grad.<param name>       d loss / d parameter, for every named parameter
  after_train.<bn>.running_mean | running_var | num_batches_tracked
                          BatchNorm state after that one train-mode forward (momentum 0.1;
                          running_var takes the unbiased batch variance); BatchNorm nets only
Metadata: generator, torch version, network (seed00N), config (JSON constructor arguments of
seed_nets.build), input_shape (JSON), t_convention.

Needs torch and safetensors; never run by cargo test.
  python3 scripts/make_seed_goldens.py            # all four
  python3 scripts/make_seed_goldens.py seed003    # one
"""
import json, os, sys

import torch
import torch.nn as nn
from safetensors.torch import save_file

sys.path.insert(0, os.path.dirname(__file__))
import seed_nets  # noqa: E402
from golden_pass import forward_backward, inputs  # noqa: E402

ROOT = os.path.join(os.path.dirname(__file__), "..")
N = 3

# (constructor arguments, image (C, H, W), timesteps, how t enters the network)
CONFIGS = {
    "seed001": (dict(img_channels=3, time_dim=16, channel_sequence=[4, 8, 12]), (3, 16, 16),
                [1, 37, 999], "integer t (0..999 in the seed), sinusoidal: cat[sin(t f), cos(t f)], "
                "f_i = exp(-i ln(10000)/(dim/2 - 1))"),
    "seed002": (dict(T=300), (1, 12, 10), [1, 37, 299],
                "integer t (0..T-1 in the seed), an extra input channel holding t/T"),
    "seed003": (dict(c_in=3, c_out=3, time_dim=16, base=4, remove_deep_conv=False), (3, 16, 16), [1, 37, 999],
                "integer t (1..999 in the seed), sinusoidal: cat[sin(t f), cos(t f)], "
                "f_i = 10000^(-2i/dim)"),
    "seed004": (dict(img_ch=1, img_size=8, T=150, down_chs=[4, 8, 12]), (1, 8, 8), [1, 37, 149],
                "integer t (0..T-1 in the seed), divided once by T inside forward"),
}


def time_input_in_float32():
    """Widen the float32 time input of each seed network to the model's float64."""
    enc = seed_nets.TimePositionalEncoding.forward
    seed_nets.TimePositionalEncoding.forward = lambda self, ts: enc(self, ts).double()
    pos = seed_nets.UNet.pos_encoding
    seed_nets.UNet.pos_encoding = lambda self, t, c: pos(self, t.float(), c).double()
    emb = seed_nets.EmbedBlock.forward
    seed_nets.EmbedBlock.forward = lambda self, inp: emb(self, inp.double())
    # seed002 needs nothing: torch.cat promotes its float32 t/T channel to float64.


def randomise(model: nn.Module, gen: torch.Generator):
    with torch.no_grad():
        for p in model.parameters():
            if p.numel() > 0 and bool((p == p.flatten()[0]).all()):
                if p.flatten()[0].item() == 1.0:
                    p.copy_(torch.rand(p.shape, generator=gen) + 0.5)
                else:
                    p.copy_(torch.rand(p.shape, generator=gen) * 0.6 - 0.3)
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.copy_(torch.rand(m.running_mean.shape, generator=gen) * 0.6 - 0.3)
                m.running_var.copy_(torch.rand(m.running_var.shape, generator=gen) + 0.5)


def make(net: str):
    cfg, (c, h, w), ts, convention = CONFIGS[net]
    torch.manual_seed(0)
    model = seed_nets.build(net, **cfg)
    randomise(model, torch.Generator().manual_seed(1))
    state = {k: v.clone() for k, v in model.state_dict().items()}
    model = model.double()
    x, target = inputs((N, c, h, w))
    t = torch.tensor(ts, dtype=torch.int64)
    passed, loss, eval_out = forward_backward(model, x, target, t)
    out = dict(state)
    out.update(passed)
    for name, m in model.named_modules():
        if isinstance(m, nn.BatchNorm2d):
            out[f"after_train.{name}.running_mean"] = m.running_mean.float()
            out[f"after_train.{name}.running_var"] = m.running_var.float()
            out[f"after_train.{name}.num_batches_tracked"] = m.num_batches_tracked.clone()
    out = {k: v.contiguous() for k, v in out.items()}
    path = os.path.join(ROOT, "tests", "fixtures", f"golden_{net}.safetensors")
    save_file(out, path, metadata={
        "generator": "scripts/make_seed_goldens.py",
        "torch": torch.__version__,
        "network": net,
        "config": json.dumps(cfg),
        "input_shape": json.dumps([N, c, h, w]),
        "t_convention": convention,
    })
    params = sum(p.numel() for p in model.parameters())
    print(f"wrote {path}: {os.path.getsize(path)} bytes, {params} parameters, "
          f"loss {loss.item():.6f}, |eval_out| {eval_out.abs().mean().item():.4f}, {len(out)} tensors")


def main():
    torch.use_deterministic_algorithms(True)
    time_input_in_float32()
    for net in sys.argv[1:] or CONFIGS:
        if net not in CONFIGS:
            raise SystemExit(f"unknown network '{net}'; expected one of {', '.join(CONFIGS)}")
        make(net)


if __name__ == "__main__":
    main()
