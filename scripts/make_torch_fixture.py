#!/usr/bin/env python3
"""Write tests/fixtures/torch_unet_tiny.safetensors: a seed U-Net state_dict laid out exactly
as `safetensors.torch.save_file(model.state_dict(), path)` writes it (F32 tensors, 0-dim I64
`num_batches_tracked`, no metadata), for channels (4, 6, 8), D = 6, one image channel.

Pure Python on purpose (no torch needed); with torch installed, benches/peer/torch_unet.py
can save a real model the same way. Values are deterministic: tensor j, element i holds
round(sin(1000*j + i), 4) (BatchNorm running_var: 1 + 0.5*|that|).
"""
import json, math, struct, sys

C, (C1, C2, C3), D = 1, (4, 6, 8), 6

def names():
    out = []
    for name, cin, cout in [("down1", C, C1), ("down2", C1, C2), ("bot1", C2, C3),
                            ("up2", C3 + C2, C2), ("up1", C2 + C1, C1)]:
        out += [(f"{name}.mlp.0.weight", [cin, D]), (f"{name}.mlp.0.bias", [cin]),
                (f"{name}.mlp.2.weight", [cin, cin]), (f"{name}.mlp.2.bias", [cin])]
        for conv, bn, ci in [(0, 1, cin), (3, 4, cout)]:
            out += [(f"{name}.convs.{conv}.weight", [cout, ci, 3, 3]), (f"{name}.convs.{conv}.bias", [cout]),
                    (f"{name}.convs.{bn}.weight", [cout]), (f"{name}.convs.{bn}.bias", [cout]),
                    (f"{name}.convs.{bn}.running_mean", [cout]), (f"{name}.convs.{bn}.running_var", [cout]),
                    (f"{name}.convs.{bn}.num_batches_tracked", [])]
    out += [("out.weight", [C, C1, 1, 1]), ("out.bias", [C])]
    return out

def main(path):
    header, blobs, offset = {}, [], 0
    # safetensors sorts tensors by name in the header and data.
    for j, (name, shape) in sorted(enumerate(names()), key=lambda p: p[1][0]):
        if name.endswith("num_batches_tracked"):
            data, dtype = struct.pack("<q", 1234), "I64"
        else:
            n = math.prod(shape)
            vals = [round(math.sin(1000 * j + i), 4) for i in range(n)]
            if name.endswith("running_var"):
                vals = [1 + 0.5 * abs(v) for v in vals]
            data, dtype = struct.pack(f"<{n}f", *vals), "F32"
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))

if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/torch_unet_tiny.safetensors")
