"""The networks of the seed tutorials (/work/shared/seeds/00[1-4]_*.txt), copied into PyTorch
as the tutorials write them, so that their state_dict names, shapes and forward passes are
the reference for our ports (docs/seed_networks.md) and the goldens
(scripts/make_seed_goldens.py). Constructor defaults are the seed's own values; arguments
exist only where the seed hard-codes a size that the small test configurations must change.
Every departure from the seed text is marked "Ours:".

  seed001  DiffusionUNet  (001_*.txt: TimePositionalEncoding, UNetStage, DiffusionUNet)
  seed002  SimpleUNet     (002_*.txt)
  seed003  UNet           (003_*.txt links dome272/Diffusion-Models-pytorch; its modules.py
                           at commit 09bbcecd: SelfAttention, DoubleConv, Down, Up, UNet,
                           with upstream's own fixes of 4856d20 and the bottleneck of main)
  seed004  UNet           (004_*.txt: the final EmbedBlock, DownBlock, UpBlock, UNet)

Needs torch only.
"""
import math
from typing import Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F


# ---------------------------------------------------------------- seed001 (001_*.txt)

class TimePositionalEncoding(nn.Module):
    """emb = cat[sin(t f), cos(t f)], f_i = exp(-i ln(10000) / (dim/2 - 1)), i < dim/2."""

    def __init__(self, dim: int):
        super().__init__()
        self.dim = dim

    def forward(self, timesteps: torch.Tensor) -> torch.Tensor:
        device = timesteps.device
        half_dim = self.dim // 2
        scale = math.log(10000) / (half_dim - 1)
        exponents = torch.exp(torch.arange(half_dim, device=device) * -scale)
        args = timesteps[:, None] * exponents[None, :]
        emb = torch.cat([args.sin(), args.cos()], dim=-1)
        return emb


class UNetStage(nn.Module):
    """Down: (B, C_in, H, W) -> (B, C_out, H/2, W/2); up: (B, 2 C_in, H, W) -> (B, C_out, 2H, 2W)."""

    def __init__(self, in_ch: int, out_ch: int, time_dim: int, use_label_cond: bool = False,
                 kernel_size: int = 3, downsample: bool = True):
        super().__init__()
        self.use_label_cond = use_label_cond
        self.is_down = downsample
        self.time_encoder = TimePositionalEncoding(time_dim)
        self.time_proj = nn.Linear(time_dim, out_ch)
        if use_label_cond:
            self.label_proj = nn.Linear(1, out_ch)
        if downsample:
            self.conv_in = nn.Conv2d(in_ch, out_ch, kernel_size, padding=1)
            self.spatial = nn.Conv2d(out_ch, out_ch, 4, stride=2, padding=1)
        else:
            self.conv_in = nn.Conv2d(2 * in_ch, out_ch, kernel_size, padding=1)
            self.spatial = nn.ConvTranspose2d(out_ch, out_ch, 4, stride=2, padding=1)
        self.bn1 = nn.BatchNorm2d(out_ch)
        self.bn2 = nn.BatchNorm2d(out_ch)
        self.conv_feat = nn.Conv2d(out_ch, out_ch, 3, padding=1)
        self.act = nn.ReLU()

    def forward(self, x: torch.Tensor, timesteps: torch.Tensor,
                labels: Optional[torch.Tensor] = None) -> torch.Tensor:
        # The seed's order: ReLU before BatchNorm, twice.
        out = self.bn1(self.act(self.conv_in(x)))
        t_emb = self.act(self.time_proj(self.time_encoder(timesteps)))
        out = out + t_emb[..., None, None]
        if self.use_label_cond:
            if labels is None:
                raise ValueError("label conditioning is on but no labels were given")
            lbl_emb = self.act(self.label_proj(labels))
            out = out + lbl_emb[..., None, None]
        out = self.bn2(self.act(self.conv_feat(out)))
        return self.spatial(out)


class DiffusionUNet(nn.Module):
    def __init__(self, img_channels: int = 3, time_dim: int = 128, label_conditioning: bool = False,
                 channel_sequence: Sequence[int] = (64, 128, 256, 512, 1024)):
        super().__init__()
        self.time_dim = time_dim
        self.label_conditioning = label_conditioning
        self.stem = nn.Conv2d(img_channels, channel_sequence[0], 3, padding=1)
        self.down_blocks = nn.ModuleList([
            UNetStage(c_in, c_out, time_dim, label_conditioning, downsample=True)
            for c_in, c_out in zip(channel_sequence, channel_sequence[1:])
        ])
        rev_channels = channel_sequence[::-1]
        self.up_blocks = nn.ModuleList([
            UNetStage(c_in, c_out, time_dim, label_conditioning, downsample=False)
            for c_in, c_out in zip(rev_channels, rev_channels[1:])
        ])
        self.head = nn.Conv2d(channel_sequence[0], img_channels, 1)

    def forward(self, x: torch.Tensor, timesteps: torch.Tensor,
                labels: Optional[torch.Tensor] = None) -> torch.Tensor:
        skips = []
        h = self.stem(x)
        for down in self.down_blocks:
            h = down(h, timesteps, labels=labels)
            skips.append(h)
        # The first up stage's skip is the last down stage's output, i.e. h itself.
        for up, skip in zip(self.up_blocks, reversed(skips)):
            h = up(torch.cat([h, skip], dim=1), timesteps, labels=labels)
        return self.head(h)


# ---------------------------------------------------------------- seed002 (002_*.txt)

class SimpleUNet(nn.Module):
    def __init__(self, T: int = 300):
        super().__init__()
        self.T = T  # Ours: the seed reads the global T (= 300).
        self.net = nn.Sequential(
            nn.Conv2d(1 + 1, 32, 3, padding=1), nn.ReLU(),  # image + time channel
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(),
            nn.Conv2d(64, 32, 3, padding=1), nn.ReLU(),
            nn.Conv2d(32, 1, 3, padding=1),
        )

    def forward(self, x, t):
        t = t.float() / self.T
        # Ours: the seed expands to (B, 1, 28, 28), its MNIST size; x's own H, W here.
        t = t.view(-1, 1, 1, 1).expand(x.shape[0], 1, x.shape[2], x.shape[3])
        x = torch.cat([x, t], dim=1)
        return self.net(x)


# ---------------------------------------------------------------- seed003 (dome272 modules.py)

def one_param(m):
    # Ours: 09bbcecd calls one_param without defining it; 4856d20 adds this definition.
    return next(iter(m.parameters()))


class SelfAttention(nn.Module):
    def __init__(self, channels):
        super(SelfAttention, self).__init__()
        self.channels = channels
        self.mha = nn.MultiheadAttention(channels, 4, batch_first=True)
        self.ln = nn.LayerNorm([channels])
        self.ff_self = nn.Sequential(nn.LayerNorm([channels]), nn.Linear(channels, channels),
                                     nn.GELU(), nn.Linear(channels, channels))

    def forward(self, x):
        # The side comes from x (square inputs only), not from a constructor argument.
        size = x.shape[-1]
        x = x.view(-1, self.channels, size * size).swapaxes(1, 2)
        x_ln = self.ln(x)
        attention_value, _ = self.mha(x_ln, x_ln, x_ln)
        attention_value = attention_value + x
        attention_value = self.ff_self(attention_value) + attention_value
        return attention_value.swapaxes(2, 1).view(-1, self.channels, size, size)


class DoubleConv(nn.Module):
    def __init__(self, in_channels, out_channels, mid_channels=None, residual=False):
        super().__init__()
        self.residual = residual
        if not mid_channels:
            mid_channels = out_channels
        self.double_conv = nn.Sequential(
            nn.Conv2d(in_channels, mid_channels, kernel_size=3, padding=1, bias=False),
            nn.GroupNorm(1, mid_channels), nn.GELU(),
            nn.Conv2d(mid_channels, out_channels, kernel_size=3, padding=1, bias=False),
            nn.GroupNorm(1, out_channels))

    def forward(self, x):
        if self.residual:
            return F.gelu(x + self.double_conv(x))
        else:
            return self.double_conv(x)


class Down(nn.Module):
    def __init__(self, in_channels, out_channels, emb_dim=256):
        super().__init__()
        self.maxpool_conv = nn.Sequential(nn.MaxPool2d(2), DoubleConv(in_channels, in_channels, residual=True),
                                          DoubleConv(in_channels, out_channels))
        self.emb_layer = nn.Sequential(nn.SiLU(), nn.Linear(emb_dim, out_channels))

    def forward(self, x, t):
        x = self.maxpool_conv(x)
        emb = self.emb_layer(t)[:, :, None, None].repeat(1, 1, x.shape[-2], x.shape[-1])
        return x + emb


class Up(nn.Module):
    def __init__(self, in_channels, out_channels, emb_dim=256):
        super().__init__()
        self.up = nn.Upsample(scale_factor=2, mode="bilinear", align_corners=True)
        self.conv = nn.Sequential(DoubleConv(in_channels, in_channels, residual=True),
                                  DoubleConv(in_channels, out_channels, in_channels // 2))
        self.emb_layer = nn.Sequential(nn.SiLU(), nn.Linear(emb_dim, out_channels))

    def forward(self, x, skip_x, t):
        x = self.up(x)
        x = torch.cat([skip_x, x], dim=1)
        x = self.conv(x)
        emb = self.emb_layer(t)[:, :, None, None].repeat(1, 1, x.shape[-2], x.shape[-1])
        return x + emb


class UNet(nn.Module):
    """modules.py's UNet. Ours: `base` (64 upstream) scales every width: channels base, 2b,
    4b, 4b; Down and Up get emb_dim=time_dim (upstream leaves their default 256, equal to its
    time_dim). `remove_deep_conv` is upstream's own switch (commit af3a9c7): False (default)
    is the bottleneck of dome272 main, which the seed links (bot1 4b->8b, bot2 8b->8b,
    bot3 8b->4b); True is the one of commit 09bbcecd (bot1 and bot3 4b->4b, no bot2)."""

    def __init__(self, c_in=3, c_out=3, time_dim=256, base=64, remove_deep_conv=False):
        super().__init__()
        b = base
        self.time_dim = time_dim
        self.remove_deep_conv = remove_deep_conv
        self.inc = DoubleConv(c_in, b)
        self.down1 = Down(b, 2 * b, time_dim)
        self.sa1 = SelfAttention(2 * b)
        self.down2 = Down(2 * b, 4 * b, time_dim)
        self.sa2 = SelfAttention(4 * b)
        self.down3 = Down(4 * b, 4 * b, time_dim)
        self.sa3 = SelfAttention(4 * b)
        if remove_deep_conv:
            self.bot1 = DoubleConv(4 * b, 4 * b)
            self.bot3 = DoubleConv(4 * b, 4 * b)
        else:
            self.bot1 = DoubleConv(4 * b, 8 * b)
            self.bot2 = DoubleConv(8 * b, 8 * b)
            self.bot3 = DoubleConv(8 * b, 4 * b)
        self.up1 = Up(8 * b, 2 * b, time_dim)
        self.sa4 = SelfAttention(2 * b)
        self.up2 = Up(4 * b, b, time_dim)
        self.sa5 = SelfAttention(b)
        self.up3 = Up(2 * b, b, time_dim)
        self.sa6 = SelfAttention(b)
        self.outc = nn.Conv2d(b, c_out, kernel_size=1)

    def pos_encoding(self, t, channels):
        inv_freq = 1.0 / (10000 ** (torch.arange(0, channels, 2, device=one_param(self).device).float() / channels))
        pos_enc_a = torch.sin(t.repeat(1, channels // 2) * inv_freq)
        pos_enc_b = torch.cos(t.repeat(1, channels // 2) * inv_freq)
        return torch.cat([pos_enc_a, pos_enc_b], dim=-1)

    def unet_forwad(self, x, t):
        x1 = self.inc(x)
        x2 = self.down1(x1, t)
        x2 = self.sa1(x2)
        x3 = self.down2(x2, t)
        x3 = self.sa2(x3)
        x4 = self.down3(x3, t)
        x4 = self.sa3(x4)
        x4 = self.bot1(x4)
        if not self.remove_deep_conv:
            x4 = self.bot2(x4)
        x4 = self.bot3(x4)
        # Ours: 09bbcecd passes (x, x4), (x, x3), (x, x2) here, one level too deep: the
        # upsampled x never matches its skip in size and the net cannot run. Upstream's next
        # commit (4856d20, "fix unet") and main use these skips; no weight changes.
        x = self.up1(x4, x3, t)
        x = self.sa4(x)
        x = self.up2(x, x2, t)
        x = self.sa5(x)
        x = self.up3(x, x1, t)
        x = self.sa6(x)
        return self.outc(x)

    def forward(self, x, t):
        # Ours: 09bbcecd writes `.asdtype(x.dtype)`, which does not exist; 4856d20 has `.to`.
        t = t.unsqueeze(-1).type(x.dtype)
        t = self.pos_encoding(t, self.time_dim)
        return self.unet_forwad(x, t)


# ---------------------------------------------------------------- seed004 (004_*.txt)

class EmbedBlock(nn.Module):
    def __init__(self, input_dim, emb_dim):
        super().__init__()
        self.input_dim = input_dim
        layers = [nn.Linear(input_dim, emb_dim), nn.ReLU(), nn.Linear(emb_dim, emb_dim),
                  nn.Unflatten(1, (emb_dim, 1, 1))]
        self.model = nn.Sequential(*layers)

    def forward(self, input):
        input = input.view(-1, self.input_dim)
        return self.model(input)


class DownBlock(nn.Module):
    def __init__(self, in_chs, out_chs):
        kernel_size, stride, padding = 3, 1, 1
        super().__init__()
        layers = [
            nn.Conv2d(in_chs, out_chs, kernel_size, stride, padding), nn.BatchNorm2d(out_chs), nn.ReLU(),
            nn.Conv2d(out_chs, out_chs, kernel_size, stride, padding), nn.BatchNorm2d(out_chs), nn.ReLU(),
            nn.MaxPool2d(2),
        ]
        self.model = nn.Sequential(*layers)

    def forward(self, x):
        return self.model(x)


class UpBlock(nn.Module):
    def __init__(self, in_chs, out_chs):
        kernel_size, stride, padding = 3, 1, 1
        strideT, out_paddingT = 2, 1
        super().__init__()
        # 2 * in_chs for the concatenated skip connection
        layers = [
            nn.ConvTranspose2d(2 * in_chs, out_chs, kernel_size, strideT, padding, out_paddingT),
            nn.BatchNorm2d(out_chs), nn.ReLU(),
            nn.Conv2d(out_chs, out_chs, kernel_size, stride, padding), nn.BatchNorm2d(out_chs), nn.ReLU(),
        ]
        self.model = nn.Sequential(*layers)

    def forward(self, x, skip):
        x = torch.cat((x, skip), 1)
        x = self.model(x)
        return x


class UNet004(nn.Module):
    """The seed's `UNet` (renamed here only to tell it from seed003's). Ours: IMG_CH, IMG_SIZE
    and T are the seed's globals (1, 16, 150), down_chs its local (16, 32, 64).

    forward takes the integer timestep and divides by T once. The seed's get_loss calls
    model(x_noisy, t/T), so its training divided twice (t/T^2) while its sampler passes the
    integer t; our port follows the sampler, the convention forward itself states."""

    def __init__(self, img_ch=1, img_size=16, T=150, down_chs=(16, 32, 64)):
        super().__init__()
        self.T = T
        img_chs = img_ch
        down_chs = tuple(down_chs)
        up_chs = down_chs[::-1]
        latent_image_size = img_size // 4
        t_dim = 1
        self.down0 = nn.Sequential(
            nn.Conv2d(img_chs, down_chs[0], 3, padding=1),
            nn.BatchNorm2d(down_chs[0]),
            nn.ReLU(),
        )
        self.down1 = DownBlock(down_chs[0], down_chs[1])
        self.down2 = DownBlock(down_chs[1], down_chs[2])
        self.to_vec = nn.Sequential(nn.Flatten(), nn.ReLU())
        self.dense_emb = nn.Sequential(
            nn.Linear(down_chs[2] * latent_image_size ** 2, down_chs[1]),
            nn.ReLU(),
            nn.Linear(down_chs[1], down_chs[1]),
            nn.ReLU(),
            nn.Linear(down_chs[1], down_chs[2] * latent_image_size ** 2),
            nn.ReLU(),
        )
        self.temb_1 = EmbedBlock(t_dim, up_chs[0])
        self.temb_2 = EmbedBlock(t_dim, up_chs[1])
        self.up0 = nn.Sequential(
            nn.Unflatten(1, (up_chs[0], latent_image_size, latent_image_size)),
            nn.Conv2d(up_chs[0], up_chs[0], 3, padding=1),
            nn.BatchNorm2d(up_chs[0]),
            nn.ReLU(),
        )
        self.up1 = UpBlock(up_chs[0], up_chs[1])
        self.up2 = UpBlock(up_chs[1], up_chs[2])
        self.out = nn.Sequential(
            nn.Conv2d(up_chs[-1], up_chs[-1], 3, 1, 1),
            nn.BatchNorm2d(up_chs[-1]),
            nn.ReLU(),
            nn.Conv2d(up_chs[-1], img_chs, 3, 1, 1),
        )

    def forward(self, x, t):
        down0 = self.down0(x)
        down1 = self.down1(down0)
        down2 = self.down2(down1)
        latent_vec = self.to_vec(down2)
        t = t.float() / self.T  # Convert from [0, T] to [0, 1]
        latent_vec = self.dense_emb(latent_vec)
        temb_1 = self.temb_1(t)
        temb_2 = self.temb_2(t)
        up0 = self.up0(latent_vec)
        up1 = self.up1(up0 + temb_1, down2)
        up2 = self.up2(up1 + temb_2, down1)
        return self.out(up2)


# ---------------------------------------------------------------- by name

def build(net: str, **cfg) -> nn.Module:
    """The seed network `net` (seed001..seed004) with constructor arguments `cfg`."""
    classes = {"seed001": DiffusionUNet, "seed002": SimpleUNet, "seed003": UNet, "seed004": UNet004}
    if net not in classes:
        raise SystemExit(f"unknown network '{net}'; expected one of {', '.join(classes)}")
    return classes[net](**cfg)
