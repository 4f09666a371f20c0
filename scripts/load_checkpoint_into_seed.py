#!/usr/bin/env python3
"""Load one of our checkpoints into the seed tutorial's own PyTorch class and run it: the proof
that a network trained here goes back to the seed code.

  python3 scripts/load_checkpoint_into_seed.py --net seed003 runs/x/checkpoint.safetensors
  python3 scripts/load_checkpoint_into_seed.py --net seed004 ck.safetensors --config '{"T": 150}'

--net: seed000 (benches/peer/torch_unet.py, the reference U-Net of docs/design.md) or
seed001..seed004 (scripts/seed_nets.py, docs/seed_networks.md). The checkpoint is a
safetensors file under PyTorch state_dict names (docs/design.md section 5); Adam moments
(optim.*) are ignored, and EMA weights (ema.*) too unless --ema uses them as the model.

Constructor arguments come from, in rising precedence: the seed's defaults, the tensor shapes,
the checkpoint's metadata (t_max for T; any key of its `network` JSON that names a constructor
argument), and --config. The model is loaded with strict=True (every tensor present with its
exact shape, none left over) and run in eval mode on a fixed input, batch 2:
x[i] = sin(0.37 i + 0.1) over NCHW, t = [1, 37]. It prints the output's shape and mean.

Needs torch and safetensors.
"""
import argparse, inspect, json, math, os, sys

import torch
from safetensors import safe_open
from safetensors.torch import load_file

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "benches", "peer"))
import seed_nets  # noqa: E402

# The image side each seed trains at, for checkpoints whose metadata does not say.
DEFAULT_SIZE = {"seed000": 28, "seed001": 48, "seed002": 28, "seed003": 64, "seed004": 16}


def shape(sd, name):
    if name not in sd:
        raise SystemExit(f"checkpoint has no tensor '{name}': it is not a state_dict of this network")
    return list(sd[name].shape)


def from_shapes(net, sd):
    """Constructor arguments that the weights determine, plus the image size when they fix it."""
    if net == "seed000":
        c1, c = shape(sd, "down1.convs.0.weight")[:2]
        return dict(c=c, ch=(c1, shape(sd, "down2.convs.0.weight")[0], shape(sd, "bot1.convs.0.weight")[0]),
                    d=shape(sd, "down1.mlp.0.weight")[1]), None
    if net == "seed001":
        chans = [shape(sd, "stem.weight")[0]]
        i = 0
        while f"down_blocks.{i}.conv_in.weight" in sd:
            chans.append(shape(sd, f"down_blocks.{i}.conv_in.weight")[0])
            i += 1
        return dict(img_channels=shape(sd, "stem.weight")[1], channel_sequence=tuple(chans),
                    time_dim=shape(sd, "down_blocks.0.time_proj.weight")[1],
                    label_conditioning="down_blocks.0.label_proj.weight" in sd), None
    if net == "seed002":
        shape(sd, "net.0.weight")
        return {}, None
    if net == "seed003":
        b, c_in = shape(sd, "inc.double_conv.0.weight")[:2]
        return dict(c_in=c_in, c_out=shape(sd, "outc.weight")[0], base=b,
                    time_dim=shape(sd, "down1.emb_layer.1.weight")[1],
                    remove_deep_conv="bot2.double_conv.0.weight" not in sd), None
    if net == "seed004":
        chs = [shape(sd, "down0.0.weight")[0], shape(sd, "down1.model.0.weight")[0],
               shape(sd, "down2.model.0.weight")[0]]
        latent = math.isqrt(shape(sd, "dense_emb.0.weight")[1] // chs[2])
        return dict(img_ch=shape(sd, "down0.0.weight")[1], img_size=4 * latent, down_chs=tuple(chs)), 4 * latent
    raise SystemExit(f"unknown network '{net}'; expected seed000 .. seed004")


def constructor(net):
    if net == "seed000":
        import torch_unet
        return torch_unet.UNet
    return {"seed001": seed_nets.DiffusionUNet, "seed002": seed_nets.SimpleUNet,
            "seed003": seed_nets.UNet, "seed004": seed_nets.UNet004}[net]


def network_of(meta):
    """The checkpoint's `network` metadata JSON as a dict ({} when absent or unreadable)."""
    try:
        network = json.loads(meta.get("network", "{}"))
    except json.JSONDecodeError:
        return {}
    return network if isinstance(network, dict) else {}


def build(net, sd, meta, config=None):
    """The seed class `net` constructed from, in rising precedence, its defaults, the shapes
    of `sd`, the metadata `meta` and `config`, with `sd` loaded strictly. Returns (model,
    constructor arguments, where each came from). scripts/scale_out/ imports this."""
    cls = constructor(net)
    params = inspect.signature(cls.__init__).parameters
    cfg, _ = from_shapes(net, sd)
    sources = {k: "shapes" for k in cfg}
    network = network_of(meta)
    if "T" in params and "t_max" in meta:
        cfg["T"] = int(meta["t_max"])
        sources["T"] = "metadata t_max"
    for k, v in network.items():
        if k in params:
            cfg[k], sources[k] = v, "metadata network"
    for k, v in (config or {}).items():
        cfg[k], sources[k] = v, "--config"
    unknown = [k for k in cfg if k not in params]
    if unknown:
        raise SystemExit(f"{net} takes no argument {unknown}; it takes {[p for p in params if p != 'self']}")
    if net == "seed001" and "channel_sequence" in cfg:
        cfg["channel_sequence"] = tuple(cfg["channel_sequence"])
    model = cls(**cfg)
    model.load_state_dict(sd, strict=True)
    return model, cfg, sources


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--net", required=True, choices=["seed000", "seed001", "seed002", "seed003", "seed004"])
    ap.add_argument("checkpoint")
    ap.add_argument("--config", help="JSON object of constructor arguments (overrides the rest)")
    ap.add_argument("--image-size", type=int, help="side of the fixed test input")
    ap.add_argument("--ema", action="store_true", help="load the ema.* weights as the model")
    a = ap.parse_args()

    tensors = load_file(a.checkpoint)
    with safe_open(a.checkpoint, "pt") as f:
        meta = f.metadata() or {}
    if a.ema:
        sd = {k[4:]: v for k, v in tensors.items() if k.startswith("ema.")}
        if not sd:
            raise SystemExit(f"{a.checkpoint} has no ema.* tensors (train with --ema DECAY)")
        # EMA holds parameters and running statistics; the counters stay the model's.
        sd.update({k: v for k, v in tensors.items() if k.endswith("num_batches_tracked") and k not in sd})
    else:
        sd = {k: v for k, v in tensors.items() if not k.startswith(("optim.", "ema."))}

    model, cfg, sources = build(a.net, sd, meta, json.loads(a.config) if a.config else None)
    network = network_of(meta)
    size = a.image_size or from_shapes(a.net, sd)[1] or network.get("image_size") or DEFAULT_SIZE[a.net]
    model.eval()
    c = {"seed000": lambda: cfg["c"], "seed001": lambda: cfg["img_channels"], "seed002": lambda: 1,
         "seed003": lambda: cfg["c_in"], "seed004": lambda: cfg["img_ch"]}[a.net]()
    n = 2 * c * size * size
    x = torch.tensor([math.sin(0.37 * i + 0.1) for i in range(n)]).view(2, c, size, size)
    t = torch.tensor([1, 37])
    with torch.no_grad():
        out = model(x, t)
    used = ", ".join(f"{k}={cfg[k]!r} ({sources.get(k, '?')})" for k in cfg)
    print(f"loaded {a.checkpoint} into {a.net} {type(model).__name__}({used}): {len(sd)} tensors, strict")
    print(f"eval output shape {list(out.shape)}, mean {out.mean().item():.6f}")


if __name__ == "__main__":
    main()
