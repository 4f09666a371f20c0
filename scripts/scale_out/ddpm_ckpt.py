"""A wgpu-ddpm training checkpoint read into PyTorch objects and written back (docs/design.md
section 5; src/model/checkpoint_io.rs, src/train/mod.rs `checkpoint()`), and the per-step
rules of src/train/optim.rs and src/diffusion/schedule.rs that a continued run must follow.

Layout of a training checkpoint (format_version "1"):
  <name>                          model tensors under the seed's PyTorch state_dict names (F32),
                                  BatchNorm `num_batches_tracked` a 0-dim I64 holding the step
  optim.<param>.exp_avg|exp_avg_sq  Adam moments of every parameter
  ema.<name>                      EMA of every parameter and BatchNorm running statistic
                                  (only when the run keeps an EMA)
  metadata                        format_version, step, rng {"seed","step"}, schedule, t_max,
                                  network (JSON), train_config (JSON), class_names, and from
                                  the objective work `prediction` (absent = eps)
"""
import json
import math
import os
import re
import sys

import torch
from safetensors import safe_open
from safetensors.torch import load_file, save

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
import load_checkpoint_into_seed as seedload  # noqa: E402

FORMAT_VERSION = "1"
NETS = ("seed000", "seed001", "seed002", "seed003", "seed004")


class Ckpt:
    """Tensors and metadata of one checkpoint, checked for what continuing a run needs."""

    def __init__(self, path):
        if not os.path.isfile(path):
            raise SystemExit(f"checkpoint '{path}' does not exist (a run folder's is <out>/checkpoint.safetensors)")
        try:
            self.tensors = load_file(path)
            with safe_open(path, "pt") as f:
                self.meta = dict(f.metadata() or {})
        except Exception as e:  # safetensors raises its own error types
            raise SystemExit(f"'{path}' is not a readable safetensors checkpoint ({e})")
        self.path = path
        m = self.meta
        if m.get("format_version") != FORMAT_VERSION:
            raise SystemExit(
                f"'{path}': format_version {m.get('format_version')!r}, but this script reads version "
                f"{FORMAT_VERSION!r} (written by wgpu-ddpm train); a bare PyTorch state_dict has no training state")
        for key in ("step", "network", "train_config"):
            if key not in m:
                raise SystemExit(f"'{path}' has no '{key}' in its metadata: it is not a wgpu-ddpm training checkpoint")
        self.step = int(m["step"])
        self.network = json.loads(m["network"])
        self.cfg = json.loads(m["train_config"])
        self.net = self.network.get("net", "seed000")
        if self.net not in NETS:
            raise SystemExit(f"'{path}': network '{self.net}' is not one this script knows ({', '.join(NETS)})")
        if int(self.network.get("num_classes", 0)) > 0:
            raise SystemExit(
                f"'{path}' holds a class-conditional network ({self.network['num_classes']} classes); the seed's "
                "PyTorch classes have no label embedding of ours, so this script continues unconditional runs only")
        self.model_sd = {k: v for k, v in self.tensors.items() if not k.startswith(("optim.", "ema."))}
        self.ema_sd = {k[4:]: v for k, v in self.tensors.items() if k.startswith("ema.")}
        self.optim = {k[6:]: v for k, v in self.tensors.items() if k.startswith("optim.")}
        self.prediction = m.get("prediction") or self.cfg.get("prediction") or "eps"
        if self.prediction not in ("eps", "x0", "v"):
            raise SystemExit(f"'{path}': prediction {self.prediction!r} is not eps, x0 or v")
        self.min_snr_gamma = self.cfg.get("min_snr_gamma")

    def build_model(self):
        """The seed's own class, constructed as scripts/load_checkpoint_into_seed.py does and
        loaded strictly (every tensor present with its shape, none left over)."""
        model, _, _ = seedload.build(self.net, self.model_sd, self.meta)
        return model

    def moments(self, names):
        """{param name: (exp_avg, exp_avg_sq)}; refuses a checkpoint without optimizer state."""
        out = {}
        for n in names:
            a, b = self.optim.get(f"{n}.exp_avg"), self.optim.get(f"{n}.exp_avg_sq")
            if a is None or b is None:
                raise SystemExit(
                    f"'{self.path}' has no Adam moments for '{n}' (optim.{n}.exp_avg / exp_avg_sq): it is not a "
                    "training checkpoint (sample-only or exported weights); continue from the run folder's "
                    "checkpoint.safetensors that `wgpu-ddpm train` wrote")
            out[n] = (a, b)
        return out


def schedule_abar(kind, t_max):
    """abar[0..T] in float64 exactly as src/diffusion/schedule.rs computes it."""
    beta = [0.0] * (t_max + 1)
    if kind == "linear":
        for t in range(1, t_max + 1):
            beta[t] = 1e-4 + (0.02 - 1e-4) * (t - 1) / (t_max - 1.0)
    elif kind == "cosine":
        s = 0.008
        f = lambda t: math.cos(((t / t_max + s) / (1.0 + s)) * (math.pi / 2)) ** 2
        for t in range(1, t_max + 1):
            beta[t] = min(1.0 - f(float(t)) / f(t - 1.0), 0.999)
    else:
        raise SystemExit(f"unknown schedule {kind!r} in the checkpoint (linear or cosine)")
    abar = [1.0] * (t_max + 1)
    for t in range(1, t_max + 1):
        abar[t] = abar[t - 1] * (1.0 - beta[t])
    return torch.tensor(abar, dtype=torch.float64)


def lr_factor(sched, step, total):
    """LrSchedule::factor: diffusers' LambdaLR value of optimizer step `step` (0-based)."""
    kind, w = sched.get("kind", "constant"), int(sched.get("warmup_steps", 0))
    if step < w:
        return step / max(1.0, w)
    if kind == "constant":
        return 1.0
    if kind == "linear":
        return max(0.0, (total - step) / max(1.0, total - w))
    if kind == "cosine":
        return max(0.0, 0.5 * (1.0 + math.cos(math.pi * (step - w) / max(1.0, total - w))))
    raise SystemExit(f"unknown lr_schedule kind {kind!r} in the checkpoint's train_config")


def ema_decay(max_decay, warmup, step):
    """optim::ema_decay: the decay after optimizer step `step` (1-based)."""
    if not warmup:
        return max_decay
    s = max(step - 1, 0)
    if s == 0:
        return 0.0
    v = 1.0 - (1.0 + s / warmup["inv_gamma"]) ** -warmup["power"]
    return max(min(v, max_decay), 0.0)


def target_and_weight(prediction, gamma, x0, eps, abar_t, one_minus=None):
    """The regression target of the network output, and the per-image loss weight of min-SNR
    (Hang et al. 2023, the same weights as ours, docs/design.md section 2: min(snr, gamma) / snr for eps,
    min(snr, gamma) for x0, min(snr, gamma) / (snr + 1) for v; 1 without gamma).
    `one_minus`: 1 - abar_t as our table holds it (rounded from f64), when given."""
    one_minus = 1 - abar_t if one_minus is None else one_minus
    a, o = abar_t.view(-1, 1, 1, 1), one_minus.view(-1, 1, 1, 1)
    if prediction == "eps":
        target = eps
    elif prediction == "x0":
        target = x0
    else:
        target = a.sqrt() * eps - o.sqrt() * x0
    if gamma is None:
        return target, torch.ones_like(abar_t)
    snr = abar_t / one_minus
    w = torch.clamp(snr, max=float(gamma))
    w = {"eps": w / snr, "x0": w, "v": w / (snr + 1)}[prediction]
    return target, w


def write_atomic(path, data):
    """Temp file beside `path`, fsync, rename over it: a crash leaves the old file intact."""
    d = os.path.dirname(os.path.abspath(path))
    os.makedirs(d, exist_ok=True)
    tmp = os.path.join(d, f".{os.path.basename(path)}.tmp-{os.getpid()}")
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    fd = os.open(d, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def with_total_steps(text, total):
    """train_config with the run's new length (`steps`, and the decaying LR schedules'
    `decay_to_zero_at`), edited as text: re-serialising through Python floats would change
    f32-derived values such as 0.9990000128746033 in the last digit, which serde_json then
    reads as a different number, and `train --resume` warns that the EMA decay changed."""
    text = re.sub(r'"steps":\s*\d+', f'"steps":{int(total)}', text, count=1)
    return re.sub(r'"decay_to_zero_at":\s*\d+', f'"decay_to_zero_at":{int(total)}', text)


def save_checkpoint(path, ck, model, optimizer, ema, step, total_steps, provenance):
    """Write the continued run in our format: the same tensor names, dtypes and metadata keys
    as `ck`, with the new step (num_batches_tracked included), and refuse to write anything
    that would drop a tensor the input had."""
    out = {}
    for name, t in model.state_dict().items():
        if name.endswith("num_batches_tracked"):
            out[name] = torch.tensor(step, dtype=torch.int64)
        else:
            out[name] = t.detach().to(torch.float32).contiguous().clone()
    params = dict(model.named_parameters())
    for name, p in params.items():
        st = optimizer.state[p]
        out[f"optim.{name}.exp_avg"] = st["exp_avg"].detach().float().contiguous().clone()
        out[f"optim.{name}.exp_avg_sq"] = st["exp_avg_sq"].detach().float().contiguous().clone()
    for name, t in ema.items():
        out[f"ema.{name}"] = t.detach().float().contiguous().clone()
    missing = sorted(set(ck.tensors) - set(out))
    if missing:
        raise SystemExit(f"internal error: the continued checkpoint would drop {missing[:5]}; nothing written")
    for name, t in out.items():
        if t.is_floating_point() and not torch.isfinite(t).all():
            raise SystemExit(f"tensor '{name}' holds NaN or Inf at step {step}: the run diverged; nothing written")
    meta = dict(ck.meta)
    meta["step"] = str(step)
    rng = json.loads(meta.get("rng", "{}") or "{}")
    rng.update({"seed": ck.cfg.get("seed", 0), "step": step})
    meta["rng"] = json.dumps(rng, separators=(",", ":"))
    meta["train_config"] = with_total_steps(meta["train_config"], total_steps)
    meta["scale_out"] = json.dumps(provenance, separators=(",", ":"), sort_keys=True)
    write_atomic(path, save(out, metadata=meta))
