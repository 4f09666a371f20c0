#!/usr/bin/env python3
"""The seed U-Net of docs/design.md section 3 in PyTorch, timed the same way as
`cargo bench --bench train_step`: training step (add noise, forward, MSE, backward, Adam)
and DDPM sampling throughput. Optional to run; needs torch (and safetensors for
--save-state-dict / --load).

  python3 benches/peer/torch_unet.py --device cpu --threads 2 --batch 32 --channels 16,32,64
  python3 benches/peer/torch_unet.py --device cuda --batch 128        # TF32 off: fair FP32
  python3 benches/peer/torch_unet.py --net seed003 --channels 16 ...  # a seed's own network

--net seed001..seed004 times the seeds' own networks (scripts/seed_nets.py) on their seed's
image shape, as `BENCH_NET=... cargo bench --bench train_step` does; --channels then means
what `train --channels` means for that network.

Its state_dict names are the checkpoint names wgpu-ddpm reads and writes:
  --save-state-dict PATH   save safetensors.torch.save_file(model.state_dict(), PATH)
  --load PATH              load a wgpu-ddpm checkpoint (model tensors only) into this model
"""
import argparse, math, os, sys, time

import torch
import torch.nn as nn
import torch.nn.functional as F


def time_embedding(t, d):
    i = torch.arange(d, device=t.device, dtype=torch.float32)
    ang = t.float()[:, None] / (10000.0 ** (i / d))[None, :]
    return torch.where(i.long()[None, :] % 2 == 0, torch.sin(ang), torch.cos(ang))


class ConvBlock(nn.Module):
    def __init__(self, cin, cout, d):
        super().__init__()
        self.mlp = nn.Sequential(nn.Linear(d, cin), nn.ReLU(), nn.Linear(cin, cin))
        self.convs = nn.Sequential(
            nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU(),
            nn.Conv2d(cout, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU())

    def forward(self, x, v):
        return self.convs(x + self.mlp(v)[:, :, None, None])


class UNet(nn.Module):
    def __init__(self, c=1, ch=(64, 128, 256), d=100):
        super().__init__()
        c1, c2, c3 = ch
        self.d = d
        self.down1 = ConvBlock(c, c1, d)
        self.down2 = ConvBlock(c1, c2, d)
        self.bot1 = ConvBlock(c2, c3, d)
        self.up2 = ConvBlock(c3 + c2, c2, d)
        self.up1 = ConvBlock(c2 + c1, c1, d)
        self.out = nn.Conv2d(c1, c, 1)

    def forward(self, x, t):
        v = time_embedding(t, self.d)
        up = lambda h: F.interpolate(h, scale_factor=2, mode="bilinear", align_corners=False)
        x1 = self.down1(x, v)
        x2 = self.down2(F.max_pool2d(x1, 2), v)
        h = self.bot1(F.max_pool2d(x2, 2), v)
        h = self.up2(torch.cat([up(h), x2], 1), v)
        h = self.up1(torch.cat([up(h), x1], 1), v)
        return self.out(h)


# (image channels, side) of each seed's data, as NetKind::seed_image in src/model/network.rs.
SEED_IMAGE = {"seed000": (1, 28), "seed001": (3, 48), "seed002": (1, 28), "seed003": (3, 64), "seed004": (1, 16)}


def build(net, ch, c, size):
    if net == "seed000":
        return UNet(c, ch)
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "scripts"))
    import seed_nets
    cfg = {
        "seed001": dict(img_channels=c, channel_sequence=ch),
        "seed002": dict(),
        "seed003": dict(c_in=c, c_out=c, base=ch[0]),
        "seed004": dict(img_ch=c, img_size=size, down_chs=ch),
    }[net]
    return seed_nets.build(net, **cfg)


def schedule(T, device):
    beta = torch.linspace(1e-4, 0.02, T, dtype=torch.float64)
    abar = torch.cumprod(1 - beta, 0)
    return beta.float().to(device), abar.float().to(device)


def sync(device):
    if device == "cuda":
        torch.cuda.synchronize()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--net", default="seed000")
    ap.add_argument("--size", type=int, default=0, help="image side (default: the seed's)")
    ap.add_argument("--channels", default="64,128,256")
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--sample-batch", type=int, default=64)
    ap.add_argument("--sample-steps", type=int, default=20)
    ap.add_argument("--save-state-dict")
    ap.add_argument("--load")
    a = ap.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    if a.device == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
    torch.manual_seed(0)
    ch = tuple(int(c) for c in a.channels.split(","))
    c, size = SEED_IMAGE[a.net]
    size = a.size or size
    model = build(a.net, ch, c, size).to(a.device)
    if a.load:
        from safetensors.torch import load_file
        sd = {k: v for k, v in load_file(a.load).items() if not k.startswith(("optim.", "ema."))}
        model.load_state_dict(sd)
        print(f"loaded {a.load} into the PyTorch {a.net} ({len(sd)} tensors)")
    if a.save_state_dict:
        from safetensors.torch import save_file
        save_file(model.state_dict(), a.save_state_dict)
        print(f"saved {a.save_state_dict}")
        return
    T = 1000
    beta, abar = schedule(T, a.device)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x0 = torch.rand(a.batch, c, size, size, device=a.device) * 2 - 1

    def step():
        t = torch.randint(1, T + 1, (a.batch,), device=a.device)
        eps = torch.randn_like(x0)
        ab = abar[t - 1][:, None, None, None]
        xt = ab.sqrt() * x0 + (1 - ab).sqrt() * eps
        loss = F.mse_loss(model(xt, t), eps)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return loss

    model.train()
    for _ in range(2):
        step()
    sync(a.device)
    t0 = time.perf_counter()
    for _ in range(a.steps):
        step()
    sync(a.device)
    dt = (time.perf_counter() - t0) / a.steps
    print(f"train_step   batch {a.batch:>4}  {dt * 1e3:>9.2f} ms/step  {a.batch / dt:>9.1f} images/s  (PyTorch {torch.__version__}, {a.device}, {torch.get_num_threads()} threads)")

    model.eval()
    n = a.sample_batch
    with torch.no_grad():
        x = torch.randn(n, c, size, size, device=a.device)
        def denoise(x, tt):
            t = torch.full((n,), tt, device=a.device)
            e = model(x, t)
            b, ab = beta[tt - 1], abar[tt - 1]
            abp = abar[tt - 2] if tt > 1 else torch.tensor(1.0, device=a.device)
            mean = (x - b / (1 - ab).sqrt() * e) / (1 - b).sqrt()
            var = b * (1 - abp) / (1 - ab)
            return mean + (var.sqrt() * torch.randn_like(x) if tt > 1 else 0)
        x = denoise(x, T)
        sync(a.device)
        t0 = time.perf_counter()
        for k in range(a.sample_steps):
            x = denoise(x, T - 1 - k)
        sync(a.device)
        dt = (time.perf_counter() - t0) / a.sample_steps
    print(f"sample       batch {n:>4}  {dt * 1e3:>9.2f} ms/step  {1 / dt:>9.1f} denoise steps/s")


if __name__ == "__main__":
    main()
