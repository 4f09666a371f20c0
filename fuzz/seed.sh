#!/bin/sh
# Fill fuzz/corpus/<target>/ with valid inputs: the checkpoints and the IDX file of
# tests/fixtures, the images in fuzz/seeds/image, and small made-up files. Run from the
# repository root; the corpus is not committed (fuzz/.gitignore).
set -eu
exec python3 - "$@" <<'PY'
import glob, gzip, json, os, struct

fix, seeds, out = "tests/fixtures", "fuzz/seeds", "fuzz/corpus"

def put(target, name, data):
    os.makedirs(f"{out}/{target}", exist_ok=True)
    with open(f"{out}/{target}/{name}", "wb") as f:
        f.write(data)

for p in sorted(glob.glob(f"{fix}/*.safetensors")):
    put("checkpoint", os.path.basename(p), open(p, "rb").read())

net = {"net": "seed000", "image_channels": 1, "image_size": 28, "channels": [4, 6, 8],
       "temb_dim": 8, "num_classes": 0, "t_max": 1000}
train = {"network": net, "schedule": "linear", "t_max": 1000, "batch": 8, "lr": 1e-3,
         "seed": 0, "weight_decay": 0.0, "ema_decay": None, "label_dropout": 0.0,
         "grad_clip": None}
values = [json.dumps(net), json.dumps(train), "linear", "1000", "5", '["a","b"]', "1",
          json.dumps({"seed": 0, "step": 5})]
put("checkpoint_metadata", "ours", "\0".join(values).encode())
put("checkpoint_metadata", "classifier", "\0".join([""] * 8 + ["quality-classifier", "1", "28", "10"]).encode())
put("checkpoint_metadata", "cosine", "\0".join(["", "", "cosine", "300", "12"]).encode())

def idx_images(n, rows, cols):
    return struct.pack(">IIII", 0x803, n, rows, cols) + bytes((i * 7) % 256 for i in range(n * rows * cols))

def idx_labels(n):
    return struct.pack(">II", 0x801, n) + bytes(i % 10 for i in range(n))

def idx_input(flags, size, images, labels):
    return bytes([flags, size]) + struct.pack("<H", len(images)) + images + labels

eval8 = open(f"{fix}/eval8-images-idx3-ubyte", "rb").read()
small = idx_images(3, 4, 8)
for name, images, labels in [("eval8", eval8, idx_labels(8)), ("small", small, idx_labels(3))]:
    for flags in range(4):
        put("idx", f"{name}-{flags}", idx_input(flags, 5, images, labels))
    put("idx", f"{name}-gz", idx_input(3, 2, gzip.compress(images), gzip.compress(labels)))

for p in sorted(glob.glob(f"{seeds}/image/*")):
    fmt = 1 if p.endswith(".jpg") else 0
    data = open(p, "rb").read()
    for shape in (3, 0x85):
        put("image", f"{os.path.basename(p)}-{shape}", bytes([fmt, shape]) + data)
        put("image", f"{os.path.basename(p)}-{shape}-guess", bytes([2, shape]) + data)

config = {"network": net, "schedule": "linear", "t_max": 1000, "batch": 8,
          "changed_on_resume": {"step 100": {"lr": {"checkpoint": 1e-3, "now": 5e-4}}}}
put("run_config", "config.json", json.dumps(config, indent=2).encode())
put("run_config", "fresh.json", json.dumps(net).encode())
PY
