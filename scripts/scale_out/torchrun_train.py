#!/usr/bin/env python3
"""Continue a wgpu-ddpm training checkpoint in PyTorch DistributedDataParallel, on as many
processes and machines as torchrun gives it, and write a checkpoint that `wgpu-ddpm sample`,
`eval` and `train --resume` read back (docs/scale_out.md).

  torchrun --nproc_per_node 2 scripts/scale_out/torchrun_train.py \\
      runs/a/checkpoint.safetensors --out runs/a/checkpoint_ddp.safetensors --steps 1000
  torchrun --nnodes 4 --nproc_per_node 8 --rdzv_backend c10d --rdzv_endpoint HOST:29500 \\
      scripts/scale_out/torchrun_train.py CKPT --out OUT --steps 100000
  python3 scripts/scale_out/torchrun_train.py CKPT --check              # dry run, writes nothing
  python3 scripts/scale_out/torchrun_train.py CKPT --eval --t 10 --t 500  # our `eval --t`

What carries over from the checkpoint: the network (the seed's own PyTorch class,
benches/peer/torch_unet.py or scripts/seed_nets.py, built by scripts/load_checkpoint_into_seed.py),
the schedule and T, the objective (metadata `prediction` eps|x0|v, train_config
`min_snr_gamma`), Adam/AdamW moments with the bias-correction step = the checkpoint's step,
the learning rate and its schedule with warmup, gradient clipping, the EMA with its warmup,
BatchNorm running statistics, gradient accumulation, flips and the data order.

Each optimizer step is the update of one batch of the checkpoint's size: each micro-batch of
train_config `batch` images is split across the processes (uneven splits allowed), BatchNorm
normalises over the whole micro-batch (its sums are all-reduced, as ours sees one batch), and
DDP averages the gradients. Batches, flips, timesteps and noise are ours (ported, with our
Philox generator), so the continued run is the one `wgpu-ddpm train --resume` would make, up
to float rounding, for any number of processes. Backend: nccl with CUDA, else gloo (CPU).
Needs torch, numpy and safetensors.
"""
import argparse
import contextlib
import os
import sys
import time

try:
    import numpy as np
    import torch
    import torch.distributed as dist
    import torch.nn as nn
except ImportError as e:
    raise SystemExit(f"this script needs torch, numpy and safetensors ({e}); e.g. pip install torch numpy safetensors")

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ddpm_ckpt as ckpt  # noqa: E402
import ddpm_data as ddata  # noqa: E402

class AllReduceSum(torch.autograd.Function):
    """Sum over processes whose backward sums the gradients too: each process's loss depends
    on every process's input through BatchNorm's statistics."""

    @staticmethod
    def forward(ctx, x, group):
        ctx.group = group
        x = x.clone()
        dist.all_reduce(x, group=group)
        return x

    @staticmethod
    def backward(ctx, g):
        g = g.clone()
        dist.all_reduce(g, group=ctx.group)
        return g, None


class GlobalBatchNorm2d(nn.BatchNorm2d):
    """BatchNorm over the micro-batch of all processes together: ours normalises over the
    whole batch, DDP's plain BatchNorm only over each process's share, and torch's
    SyncBatchNorm refuses CPU tensors. Sums go through AllReduceSum, so the
    backward is that of one BatchNorm over the union. Same statistics rules as PyTorch's
    (biased variance to normalise, unbiased into running_var, momentum)."""

    group = None

    def forward(self, x):
        if not self.training or self.group is None:
            return super().forward(x)
        n_local = x.shape[0] * x.shape[2] * x.shape[3]
        sums = torch.cat([x.sum((0, 2, 3)), x.new_tensor([float(n_local)])])
        sums = AllReduceSum.apply(sums, self.group)
        n = sums[-1]
        mean = sums[:-1] / n
        d = x - mean[None, :, None, None]
        var = AllReduceSum.apply(d.pow(2).sum((0, 2, 3)), self.group) / n
        y = d * torch.rsqrt(var + self.eps)[None, :, None, None]
        y = y * self.weight[None, :, None, None] + self.bias[None, :, None, None]
        with torch.no_grad():
            m = self.momentum
            self.running_mean.mul_(1 - m).add_(mean.detach(), alpha=m)
            self.running_var.mul_(1 - m).add_(var.detach() * (n / (n - 1)), alpha=m)
            self.num_batches_tracked.add_(1)
        return y


def split(n, world, rank):
    """[lo, hi) of process `rank`'s share of n images (the first n % world get one more)."""
    q, r = divmod(n, world)
    lo = rank * q + min(rank, r)
    return lo, lo + q + (rank < r)


def load_data(a, ck, size, seed):
    if a.data == "builtin":
        imgs, _ = ddata.builtin(size, a.data_count, seed)
        return imgs
    imgs = ddata.idx(a.data, size)
    if imgs.shape[1] != ck.network.get("image_channels", 1):
        raise SystemExit(f"--data {a.data}: images have {imgs.shape[1]} channels, the network {ck.network.get('image_channels')}")
    return imgs


def setup_dist(a):
    if "RANK" not in os.environ:
        return 0, 1, 0, torch.device("cuda" if torch.cuda.is_available() and not a.cpu else "cpu")
    cuda = torch.cuda.is_available() and not a.cpu
    dist.init_process_group(backend="nccl" if cuda else "gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
    local = int(os.environ.get("LOCAL_RANK", 0))
    dev = torch.device(f"cuda:{local}") if cuda else torch.device("cpu")
    if cuda:
        torch.cuda.set_device(dev)
    return rank, world, local, dev


def ema_names(ck, model):
    sd = model.state_dict()
    if ck.ema_sd and ck.cfg.get("ema_decay") is None:
        raise SystemExit(f"'{ck.path}' holds ema.* tensors but its train_config has no ema_decay to continue them with")
    if ck.ema_sd:
        bad = [n for n in ck.ema_sd if n not in sd or n.endswith("num_batches_tracked")]
        if bad:
            raise SystemExit(f"'{ck.path}': EMA tensors {bad[:3]} name nothing in the network")
        return sorted(ck.ema_sd)
    if ck.cfg.get("ema_decay") is None:
        return []
    # Ours starts an EMA from the model weights when the checkpoint carries none.
    return sorted(n for n in sd if not n.endswith("num_batches_tracked"))


def train(a, ck):
    rank, world, _, dev = setup_dist(a)
    torch.set_num_threads(a.threads or max(1, (os.cpu_count() or 1) // int(os.environ.get("LOCAL_WORLD_SIZE", 1))))
    cfg = ck.cfg
    batch, acc = int(cfg["batch"]), int(cfg.get("grad_accum", 1) or 1)
    if batch < world:
        raise SystemExit(f"the checkpoint's batch of {batch} cannot be shared by {world} processes (each needs one image)")
    steps = a.steps
    if not a.check and (steps is None or steps <= ck.step):
        raise SystemExit(f"--steps {steps}: the checkpoint is at step {ck.step}; pass a larger total, e.g. --steps {ck.step + 100}")
    seed, t_max = int(cfg.get("seed", 0)), int(ck.meta.get("t_max", cfg.get("t_max", 1000)))
    abar64 = ckpt.schedule_abar(ck.meta.get("schedule", cfg.get("schedule", "linear")), t_max)
    # The f32 columns of our schedule table (1 - abar rounded from f64, not from f32 abar).
    abar, one_minus = abar64.float(), (1 - abar64).float()
    size = int(ck.network["image_size"])
    imgs = load_data(a, ck, size, seed)
    chw = imgs[0].size
    order = ddata.BatchOrder(len(imgs), seed, batch * acc)

    model = ck.build_model().to(dev)
    for mod in model.modules():
        if type(mod) is nn.BatchNorm2d:
            mod.__class__ = GlobalBatchNorm2d
    GlobalBatchNorm2d.group = dist.new_group() if world > 1 else None
    names = [n for n, _ in model.named_parameters()]
    moments = ck.moments(names)
    opt = torch.optim.AdamW(model.parameters(), lr=float(cfg["lr"]), betas=(0.9, 0.999), eps=1e-8,
                            weight_decay=float(cfg.get("weight_decay") or 0.0), foreach=False)
    for (n, p) in model.named_parameters():
        m, v = moments[n]
        opt.state[p] = {"step": torch.tensor(float(ck.step)), "exp_avg": m.to(dev).clone(),
                        "exp_avg_sq": v.to(dev).clone()}
    sd = model.state_dict()
    ema = {n: (ck.ema_sd[n] if n in ck.ema_sd else sd[n]).to(dev).clone() for n in ema_names(ck, model)}
    ddp = nn.parallel.DistributedDataParallel(model) if world > 1 else model
    sched, clip = cfg.get("lr_schedule") or {"kind": "constant", "warmup_steps": 0}, cfg.get("grad_clip")
    flip = bool(cfg.get("random_flip"))
    if rank == 0:
        print(f"continuing {ck.path} ({ck.net}, step {ck.step}) on {world} process(es), backend "
              f"{dist.get_backend() if world > 1 else 'none'}, {dev}: batch {batch} x {acc} accumulated, "
              f"{split(batch, world, 0)[1]} images per process, prediction {ck.prediction}, "
              f"min-SNR {ck.min_snr_gamma}, EMA {cfg.get('ema_decay')} {cfg.get('ema_warmup')}, "
              f"lr {cfg['lr']:.3g} {sched.get('kind')}, clip {clip}, flip {flip}, {len(imgs)} images", flush=True)
    if a.check and rank == 0:
        check_roundtrip(ck, model, opt, ema)
    metrics = open(a.metrics, "a") if a.metrics and rank == 0 else None
    step, last = ck.step, steps if not a.check else ck.step + 1
    t0 = time.time()
    while step < last:
        idx = order.indices(step)
        x0 = imgs[idx].copy()
        if flip:
            for j in range(len(idx)):
                if ddata.flipped(seed, step, j):
                    x0[j] = x0[j][..., ::-1]
        lr = float(cfg["lr"])
        if sched.get("kind", "constant") != "constant" or int(sched.get("warmup_steps", 0)) > 0:
            lr *= ckpt.lr_factor(sched, step, steps if steps else ck.step + 1)
        for g in opt.param_groups:
            g["lr"] = lr
        opt.zero_grad(set_to_none=True)
        total = torch.zeros((), dtype=torch.float64, device=dev)
        for m in range(acc):
            lo, hi = split(batch, world, rank)
            x = torch.from_numpy(x0[m * batch + lo:m * batch + hi]).to(dev)
            # Our add-noise step's own draws (Philox keyed by seed and step, indexed by the
            # image's place in the step): any number of processes makes the run ours makes.
            a0, a1 = m * batch + lo, m * batch + hi
            t = torch.from_numpy(ddata.timesteps(seed, step, a0, a1, t_max))
            eps = torch.from_numpy(ddata.normals(seed, step, a0 * chw, a1 * chw)).view(x.shape).to(dev)
            ab, om = abar[t].to(dev), one_minus[t].to(dev)
            xt = ab.sqrt().view(-1, 1, 1, 1) * x + om.sqrt().view(-1, 1, 1, 1) * eps
            sync = ddp.no_sync() if (world > 1 and m < acc - 1) else contextlib.nullcontext()
            with sync:
                out = ddp(xt, t.to(dev))
                target, w = ckpt.target_and_weight(ck.prediction, ck.min_snr_gamma, x, eps, ab, om)
                per = ((out - target) ** 2).mean((1, 2, 3)) * w
                # DDP averages gradients over processes: scale so the average is the mean
                # over the whole step's batch * acc images.
                (per.sum() * (world / (batch * acc))).backward()
            total += per.detach().double().sum()
        if world > 1:
            dist.all_reduce(total)
        if clip is not None:
            torch.nn.utils.clip_grad_norm_(model.parameters(), float(clip))
        if a.check:
            break
        opt.step()
        step += 1
        if ema:
            d = ckpt.ema_decay(float(cfg["ema_decay"]), cfg.get("ema_warmup"), step)
            cur = model.state_dict()
            with torch.no_grad():
                for n, e in ema.items():
                    e.mul_(d).add_(cur[n], alpha=1 - d)
        loss = total.item() / (batch * acc)
        if loss != loss or abs(loss) == float("inf"):
            raise SystemExit(f"step {step}: the loss is {loss}; the run diverged (nothing written for this step)")
        if rank == 0:
            if metrics:
                metrics.write(f"{step},{loss:.7f}\n")
            if step % a.log_every == 0 or step == last:
                rate = (step - ck.step) * batch * acc / (time.time() - t0)
                print(f"step {step} loss {loss:.5f} lr {lr:.3g} ({rate:.1f} images/s)", flush=True)
            if step == last or (a.checkpoint_every and step % a.checkpoint_every == 0):
                prov = {"script": "scripts/scale_out/torchrun_train.py", "from_step": ck.step,
                        "world_size": world, "backend": dist.get_backend() if world > 1 else "none",
                        "torch": torch.__version__}
                ckpt.save_checkpoint(a.out, ck, model, opt, ema, step, steps, prov)
                print(f"wrote {a.out} at step {step}", flush=True)
        if world > 1 and a.checkpoint_every and step % a.checkpoint_every == 0:
            dist.barrier()
    if a.check and rank == 0:
        print(f"check ok: first-step loss {total.item() / (batch * acc):.5f} (one batch, not applied); nothing written")
    if metrics:
        metrics.close()
    if world > 1:
        dist.destroy_process_group()


def check_roundtrip(ck, model, opt, ema):
    """--check: everything read maps back to the same names, shapes and values."""
    import tempfile
    from safetensors import safe_open
    from safetensors.torch import load_file
    with tempfile.TemporaryDirectory() as d:
        p = os.path.join(d, "roundtrip.safetensors")
        ckpt.save_checkpoint(p, ck, model, opt, ema, ck.step, int(ck.cfg.get("steps", ck.step)), {"check": True})
        back = load_file(p)
        with safe_open(p, "pt") as f:
            meta = dict(f.metadata())
    # `scale_out` records the latest continuation, so it is the one key allowed to change.
    old = {k: v for k, v in ck.meta.items() if k != "scale_out"}
    meta.pop("scale_out")
    if meta != old:
        diff = sorted(k for k in set(meta) | set(old) if meta.get(k) != old.get(k))
        raise SystemExit(f"--check failed: metadata {diff} would not round-trip")
    bad = [n for n in ck.tensors if n not in back or back[n].shape != ck.tensors[n].shape
           or back[n].dtype != ck.tensors[n].dtype or not torch.equal(back[n], ck.tensors[n])]
    extra = sorted(set(back) - set(ck.tensors))
    if bad or extra:
        raise SystemExit(f"--check failed: tensors that do not round-trip {bad[:5]}, extra {extra[:5]}")
    print(f"check: {len(back)} tensors and {len(meta)} metadata keys round-trip unchanged")


def evaluate(a, ck):
    """Our `eval --t`: mean noise-prediction MSE of the model weights at fixed t over the
    first --count images of the eval data (builtin seed 0, as ours), BatchNorm in eval mode,
    averaged over --draws eps draws; prints the spread of one draw, which is what separates
    ours (one draw from its own RNG) from this mean."""
    size = int(ck.network["image_size"])
    imgs = load_data(a, ck, size, 0)[:a.count]
    model = ck.build_model().eval()
    t_max = int(ck.meta.get("t_max", 1000))
    abar = ckpt.schedule_abar(ck.meta.get("schedule", "linear"), t_max)
    gen = torch.Generator().manual_seed(a.eval_seed)
    x0 = torch.from_numpy(imgs)
    for t in a.t:
        if not 1 <= t <= t_max:
            raise SystemExit(f"--t {t}: a timestep must be in 1..={t_max}")
        ab, om = abar[t].float(), (1 - abar[t]).float()
        per_draw = []
        with torch.no_grad():
            for _ in range(a.draws):
                s = 0.0
                for i in range(0, len(x0), a.batch):
                    x = x0[i:i + a.batch]
                    eps = torch.randn(x.shape, generator=gen)
                    xt = ab.sqrt() * x + om.sqrt() * eps
                    out = model(xt, torch.full((len(x),), t, dtype=torch.int64))
                    target, _ = ckpt.target_and_weight(ck.prediction, None, x, eps, ab.expand(len(x)), om.expand(len(x)))
                    s += ((out - target).double() ** 2).sum().item()
                per_draw.append(s / x0.numel())
        v = np.array(per_draw)
        sd = v.std(ddof=1) if len(v) > 1 else float("nan")
        print(f"eval: t {t} mean MSE {v.mean():.6f} over {len(x0)} images x {a.draws} draws; "
              f"one draw's std {sd:.6f}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("checkpoint", help="a training checkpoint written by `wgpu-ddpm train`")
    ap.add_argument("--out", help="where to write the continued checkpoint (atomically)")
    ap.add_argument("--steps", type=int, help="train until this total step (as `train --steps`)")
    ap.add_argument("--data", default="builtin", help="builtin (ported exactly) or an IDX image file at the network's size")
    ap.add_argument("--data-count", type=int, default=10_000, help="builtin images (ours: 10000)")
    ap.add_argument("--log-every", type=int, default=10)
    ap.add_argument("--metrics", help="append step,loss per step to this CSV (rank 0)")
    ap.add_argument("--checkpoint-every", type=int, default=0, help="also write --out every N steps")
    ap.add_argument("--threads", type=int, default=0, help="torch threads per process (default: cores / local processes)")
    ap.add_argument("--cpu", action="store_true", help="stay on the CPU (gloo) even where CUDA is available")
    ap.add_argument("--check", action="store_true", help="read and map everything, run one batch without applying it, write nothing")
    ap.add_argument("--eval", action="store_true", help="our `eval --t` on the checkpoint's model weights (one process)")
    ap.add_argument("--t", type=int, action="append", default=[], help="--eval: a fixed timestep (repeatable)")
    ap.add_argument("--count", type=int, default=1024, help="--eval: images (the first N)")
    ap.add_argument("--draws", type=int, default=8, help="--eval: eps draws per t")
    ap.add_argument("--batch", type=int, default=256, help="--eval: images per forward pass")
    ap.add_argument("--eval-seed", type=int, default=0)
    a = ap.parse_args()
    ck = ckpt.Ckpt(a.checkpoint)
    if a.eval:
        if not a.t:
            raise SystemExit("--eval needs at least one --t T (as `wgpu-ddpm eval --t`)")
        return evaluate(a, ck)
    if not a.check and not a.out:
        raise SystemExit("--out PATH is required: where the continued checkpoint goes (the input is never overwritten unless you name it)")
    if a.log_every < 1:
        raise SystemExit("--log-every must be at least 1")
    train(a, ck)


if __name__ == "__main__":
    main()
