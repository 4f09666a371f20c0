#!/usr/bin/env python3
"""Print the state_dict tables of docs/seed_networks.md: for each seed network, every tensor
name with its shape at the golden configuration (scripts/make_seed_goldens.py) and at the
seed's defaults, and the parameter counts. Needs torch.
  python3 scripts/seed_net_tables.py > /tmp/tables.md
"""
import os, sys

sys.path.insert(0, os.path.dirname(__file__))
import seed_nets  # noqa: E402
from make_seed_goldens import CONFIGS  # noqa: E402

# The seed's own construction; seed003 also at the 09bbcecd bottleneck the golden uses.
DEFAULTS = {
    "seed001": [("default", {})],
    "seed002": [("default", {})],
    "seed003": [("default", {}), ("default, remove_deep_conv", {"remove_deep_conv": True})],
    "seed004": [("default", {})],
}


def fmt(shape):
    return "[" + ", ".join(str(s) for s in shape) + "]" if shape is not None else "-"


def main():
    for i, (net, (golden_cfg, *_rest)) in enumerate(CONFIGS.items()):
        if i:
            print()
        models = [("golden", seed_nets.build(net, **dict(golden_cfg)))]
        models += [(label, seed_nets.build(net, **cfg)) for label, cfg in DEFAULTS[net]]
        sds = [(label, m.state_dict()) for label, m in models]
        names = list(sds[-1][1])
        for _, sd in sds:
            names += [n for n in sd if n not in names]
        print(f"### {net}\n")
        print("| tensor | " + " | ".join(label for label, _ in sds) + " |")
        print("|---" * (1 + len(sds)) + "|")
        for n in names:
            cells = [fmt(sd[n].shape if n in sd else None) for _, sd in sds]
            print(f"| `{n}` | " + " | ".join(cells) + " |")
        counts = [f"{label}: {sum(p.numel() for p in m.parameters()):,}" for label, m in models]
        print("\nParameters: " + "; ".join(counts) + ".")


if __name__ == "__main__":
    main()
