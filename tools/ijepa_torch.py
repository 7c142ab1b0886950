#!/usr/bin/env python3
"""Compact PyTorch reference of JepaSharp's I-JEPA model and recipe (run with Debian's python3-torch;
never a runtime dependency). Yardstick for `jepa bench train` and a reference for parity fixtures.

  /usr/bin/python3 tools/ijepa_torch.py bench --config configs/fmnist-tiny.yaml [--batch 128] [--steps 12] [--warmup 3] [--threads 2]
  /usr/bin/python3 tools/ijepa_torch.py train --config configs/fmnist-tiny.yaml --steps 200 [--threads 2]

`bench` runs warmup + steps full training steps on random images of the config's shape and prints ONE
JSON line {"img_per_s": batch / median step time of the timed steps, "step_seconds", "peak_rss_mb"
(ru_maxrss), "loss_first" (first step, warm-up included), "loss_last", "torch", "threads", "config", ...}.
A step is everything `jepa train` does per batch except producing the images: mask sampling, schedules,
target and context forward, loss, backward, AdamW, EMA. `train` reads Fashion-MNIST (IDX, gzip) and prints
one JSON line every logging.log_every steps. The caller sets the environment, as for bench_torch.py: stock,
or tuned (OPENBLAS_CORETYPE unset, ATEN_CPU_CAPABILITY=avx512, tcmalloc preloaded, OpenMP OpenBLAS).

Everything follows the official facebookresearch/ijepa code (shared/reference/ijepa-recipe.md §1-§3):
module and parameter names as its state dicts, init (after init_model), 2-D sin-cos tables (column half
first), apply_masks / repeat_interleave_batch, the predictor's token layout, the four AdamW groups, the
three schedules and the EMA. The mask sampler is vectorized with torch ops; mask.mode fixed (our default)
matches MultiBlockMaskCollator's statistics (per-image sizes, independent scale/aspect uniforms,
inclusive positions, sizes clamped to the grid, random-subset truncation), faithful its official mode.
Its random stream is torch's, so masks are statistically, not bitwise, equal to ours.
"""
import argparse
import copy
import gzip
import json
import math
import os
import resource
import statistics
import struct
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

# ---------------------------------------------------------------------------------------------- config

VIT_SIZES = {  # name: (embed dim, depth, heads), as the official vit_* factories
    "vit_tiny": (192, 12, 3), "vit_small": (384, 12, 6), "vit_base": (768, 12, 12),
    "vit_large": (1024, 24, 16), "vit_huge": (1280, 32, 16), "vit_giant": (1408, 40, 16),
}
DATASET_SIZES = {"fashion-mnist": 60000, "mnist": 60000, "cifar10": 50000, "cifar100": 50000}


def _scalar(text):
    text = text.strip()
    if text in ("null", "~", ""):
        return None
    if text in ("true", "false"):
        return text == "true"
    if text.startswith("[") and text.endswith("]"):
        return [_scalar(t) for t in text[1:-1].split(",") if t.strip()]
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text.strip("'\"")


def _parse_flat_yaml(text):
    """Our configs' subset of YAML: `section:` lines, then indented `key: value` lines; # comments."""
    config, section = {}, None
    for line in text.splitlines():
        body = line.split("#", 1)[0].rstrip()
        if not body.strip():
            continue
        key, _, value = body.strip().partition(":")
        if not line[0].isspace():
            section = config.setdefault(key, {})
        else:
            section[key] = _scalar(value)
    return config


def load_config(path):
    with open(path) as f:
        text = f.read()
    try:
        import yaml
        return yaml.safe_load(text)
    except ImportError:
        return _parse_flat_yaml(text)


# ------------------------------------------------------------------------- model (src/models/vision_transformer.py)

def sincos_1d(dim, pos):
    omega = 1.0 / 10000 ** (np.arange(dim // 2, dtype=np.float64) / (dim / 2.0))
    out = np.einsum("m,d->md", pos.reshape(-1), omega)
    return np.concatenate([np.sin(out), np.cos(out)], axis=1)


def sincos_2d(dim, grid_size):
    """Official get_2d_sincos_pos_embed: channels [0, D/2) encode the column, [D/2, D) the row (Q10)."""
    grid = np.meshgrid(np.arange(grid_size, dtype=np.float64), np.arange(grid_size, dtype=np.float64))
    table = np.concatenate([sincos_1d(dim // 2, grid[0]), sincos_1d(dim // 2, grid[1])], axis=1)
    return torch.from_numpy(table).float().unsqueeze(0)


def apply_masks(x, masks):
    """Gathers the tokens of each mask [B, K] and stacks the results mask-major: [len(masks)·B, K, D]."""
    return torch.cat([torch.gather(x, 1, m.unsqueeze(-1).repeat(1, 1, x.size(-1))) for m in masks], dim=0)


def repeat_interleave_batch(x, b, repeat):
    n = len(x) // b
    return torch.cat([torch.cat([x[i * b:(i + 1) * b] for _ in range(repeat)], dim=0) for i in range(n)], dim=0)


class Mlp(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class Attention(nn.Module):
    def __init__(self, dim, num_heads):
        super().__init__()
        self.num_heads = num_heads
        self.scale = (dim // num_heads) ** -0.5
        self.qkv = nn.Linear(dim, dim * 3, bias=True)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        b, n, c = x.shape
        qkv = self.qkv(x).reshape(b, n, 3, self.num_heads, c // self.num_heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        attn = ((q @ k.transpose(-2, -1)) * self.scale).softmax(dim=-1)
        return self.proj((attn @ v).transpose(1, 2).reshape(b, n, c))


class Block(nn.Module):
    def __init__(self, dim, num_heads, mlp_ratio=4.0):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = Attention(dim, num_heads)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = Mlp(dim, int(dim * mlp_ratio))

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class PatchEmbed(nn.Module):
    def __init__(self, patch_size, in_chans, embed_dim):
        super().__init__()
        self.proj = nn.Conv2d(in_chans, embed_dim, kernel_size=patch_size, stride=patch_size)

    def forward(self, x):
        return self.proj(x).flatten(2).transpose(1, 2)


class VisionTransformer(nn.Module):
    def __init__(self, img_size, patch_size, in_chans, embed_dim, depth, num_heads):
        super().__init__()
        grid = img_size // patch_size
        self.patch_embed = PatchEmbed(patch_size, in_chans, embed_dim)
        self.pos_embed = nn.Parameter(sincos_2d(embed_dim, grid), requires_grad=False)
        self.blocks = nn.ModuleList([Block(embed_dim, num_heads) for _ in range(depth)])
        self.norm = nn.LayerNorm(embed_dim, eps=1e-6)

    def forward(self, x, masks=None, last_blocks=1):
        """The normed output; with last_blocks = k > 1 the outputs of the last k blocks (the last one normed)."""
        x = self.patch_embed(x) + self.pos_embed
        if masks is not None:
            x = apply_masks(x, masks)
        outputs = []
        for i, blk in enumerate(self.blocks):
            x = blk(x)
            if i >= len(self.blocks) - last_blocks:
                outputs.append(self.norm(x) if i == len(self.blocks) - 1 else x)
        return outputs[0] if last_blocks == 1 else outputs


class VisionTransformerPredictor(nn.Module):
    def __init__(self, num_patches, embed_dim, predictor_embed_dim, depth, num_heads):
        super().__init__()
        self.predictor_embed = nn.Linear(embed_dim, predictor_embed_dim, bias=True)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, predictor_embed_dim))
        self.predictor_pos_embed = nn.Parameter(
            sincos_2d(predictor_embed_dim, int(num_patches ** 0.5)), requires_grad=False)
        self.predictor_blocks = nn.ModuleList([Block(predictor_embed_dim, num_heads) for _ in range(depth)])
        self.predictor_norm = nn.LayerNorm(predictor_embed_dim, eps=1e-6)
        self.predictor_proj = nn.Linear(predictor_embed_dim, embed_dim, bias=True)

    def forward(self, x, masks_x, masks):
        b = len(x) // len(masks_x)
        x = self.predictor_embed(x)
        x = x + apply_masks(self.predictor_pos_embed.repeat(b, 1, 1), masks_x)
        n_ctxt = x.shape[1]
        pos_embs = apply_masks(self.predictor_pos_embed.repeat(b, 1, 1), masks)
        pos_embs = repeat_interleave_batch(pos_embs, b, repeat=len(masks_x))
        pred_tokens = self.mask_token.repeat(pos_embs.size(0), pos_embs.size(1), 1) + pos_embs
        x = torch.cat([x.repeat(len(masks), 1, 1), pred_tokens], dim=1)
        for blk in self.predictor_blocks:
            x = blk(x)
        return self.predictor_proj(self.predictor_norm(x)[:, n_ctxt:])


def init_weights(model, rescaled):
    """Official init_model: trunc_normal(0.02, absolute bounds ±2) + zero bias on Linear/Conv2d, LN 1/0.
    meta.init rescaled: what the constructors intended instead (proj/fc2 / sqrt(2·layer), ±2σ)."""
    bound = 0.04 if rescaled else 2.0
    for m in model.modules():
        if isinstance(m, (nn.Linear, nn.Conv2d)):
            nn.init.trunc_normal_(m.weight, std=0.02, a=-bound, b=bound)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.LayerNorm):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
    if hasattr(model, "mask_token"):
        nn.init.trunc_normal_(model.mask_token, std=0.02, a=-bound, b=bound)
    if rescaled:
        blocks = model.blocks if hasattr(model, "blocks") else model.predictor_blocks
        with torch.no_grad():
            for layer_id, blk in enumerate(blocks, 1):
                blk.attn.proj.weight.div_(math.sqrt(2.0 * layer_id))
                blk.mlp.fc2.weight.div_(math.sqrt(2.0 * layer_id))


def build_models(cfg):
    meta, data, mask = cfg["meta"], cfg["data"], cfg["mask"]
    dim, depth, heads = VIT_SIZES[meta["model_name"]]
    dim = meta.get("enc_embed_dim") or dim
    depth = meta.get("enc_depth") or depth
    heads = meta.get("enc_heads") or heads
    crop, patch = data["crop_size"], mask["patch_size"]
    encoder = VisionTransformer(crop, patch, data.get("channels") or 3, dim, depth, heads)
    predictor = VisionTransformerPredictor((crop // patch) ** 2, dim, meta["pred_emb_dim"], meta["pred_depth"],
                                           meta.get("pred_num_heads") or heads)
    rescaled = meta.get("init", "faithful") == "rescaled"
    init_weights(encoder, rescaled)
    init_weights(predictor, rescaled)
    return encoder, predictor, copy.deepcopy(encoder)


# -------------------------------------------------------------------------- masks (src/masks/multiblock.py)

class MaskSampler:
    """Vectorized multi-block sampler. Per image: num_pred_masks target blocks, then num_enc_masks context
    blocks minus the image's targets (valid iff more than min_keep patches; after 20 failed placements one
    more target exclusion is dropped, from the last); then every list is cut to the batch minimum."""
    RETRIES = 20

    def __init__(self, cfg, generator):
        m = cfg["mask"]
        self.grid = cfg["data"]["crop_size"] // m["patch_size"]
        self.npred, self.nenc = m["num_pred_masks"], m["num_enc_masks"]
        self.pred_scale, self.enc_scale = tuple(m["pred_mask_scale"]), tuple(m["enc_mask_scale"])
        self.aspect = tuple(m["aspect_ratio"])
        self.min_keep = m["min_keep"]
        self.allow_overlap = m["allow_overlap"]
        self.faithful = m.get("mode", "fixed") == "faithful"
        self.g = generator

    def _rand(self, n):
        return torch.rand(n, generator=self.g, dtype=torch.float64)

    def _sizes(self, n, scale, aspect):
        # faithful: one size per batch, one uniform for scale and aspect (Q3), "while h >= H: h -= 1" (Q2)
        u = self._rand(1 if self.faithful else n)
        v = u if self.faithful else self._rand(n)
        keep = torch.floor(self.grid * self.grid * (scale[0] + u * (scale[1] - scale[0])))
        ar = aspect[0] + v * (aspect[1] - aspect[0])
        top = self.grid - 1 if self.faithful else self.grid
        h = torch.round(torch.sqrt(keep * ar)).clamp(max=top).long()  # torch.round: half to even, as Python
        w = torch.round(torch.sqrt(keep / ar)).clamp(max=top).long()
        return h.expand(n), w.expand(n)

    def _place(self, h, w):
        slack = 0 if self.faithful else 1  # faithful: exclusive upper bound (Q1)
        top = (self._rand(len(h)) * (self.grid - h + slack)).long()
        left = (self._rand(len(w)) * (self.grid - w + slack)).long()
        r = torch.arange(self.grid)
        rows = (r >= top[:, None]) & (r < (top + h)[:, None])
        cols = (r >= left[:, None]) & (r < (left + w)[:, None])
        return (rows[:, :, None] & cols[:, None, :]).reshape(len(h), -1)

    def _truncate(self, masks):
        keep = int(masks.sum(1).min())
        # fixed: a random subset of each list (Q4); faithful: the raster prefix. Either way sorted.
        score = torch.arange(masks.shape[1], dtype=torch.float32).expand_as(masks) if self.faithful else \
            torch.rand(masks.shape, generator=self.g)
        score = score.masked_fill(~masks, float("inf"))
        return score.topk(keep, dim=1, largest=False).indices.sort(dim=1).values

    def __call__(self, b):
        th, tw = self._sizes(b, self.pred_scale, self.aspect)
        ch, cw = self._sizes(b, self.enc_scale, (1.0, 1.0))
        for kind, h, w in (("target", th, tw), ("context", ch, cw)):
            if int((h * w).min()) <= self.min_keep:
                raise ValueError(f"min_keep {self.min_keep} cannot be met: a {kind} block has {int((h * w).min())} patches")
        targets = self._place(th.repeat(self.npred), tw.repeat(self.npred)).view(self.npred, b, -1)
        # unions[k] = union of the image's first k targets: the exclusion after dropping npred - k of them
        unions = torch.zeros(self.npred + 1, b, targets.shape[-1], dtype=torch.bool)
        if not self.allow_overlap:
            for k in range(self.npred):
                unions[k + 1] = unions[k] | targets[k]
        rows = self.nenc * b
        context = torch.zeros(rows, targets.shape[-1], dtype=torch.bool)
        pending = torch.arange(rows)
        relaxed = torch.zeros(rows, dtype=torch.long)
        failures = torch.zeros(rows, dtype=torch.long)
        while len(pending):
            image = pending % b
            block = self._place(ch[image], cw[image])
            n_excl = (0 if self.allow_overlap else self.npred) - relaxed[pending]
            cand = block & ~unions[n_excl.clamp(min=0), image]
            ok = cand.sum(1) > self.min_keep
            context[pending[ok]] = cand[ok]
            failed = pending[~ok]
            failures[failed] += 1
            relax = failed[failures[failed] == self.RETRIES]
            relaxed[relax] += 1
            failures[relax] = 0
            pending = failed
        masks_pred = self._truncate(targets.view(self.npred * b, -1)).view(self.npred, b, -1)
        masks_enc = self._truncate(context).view(self.nenc, b, -1)
        return list(masks_enc.unbind(0)), list(masks_pred.unbind(0))


# ------------------------------------------------------------------ training (src/train.py, src/helper.py)

class Schedules:
    """WarmupCosineSchedule, CosineWDSchedule and the momentum generator, as src/utils/schedulers.py / train.py."""

    def __init__(self, opt_cfg, ipe):
        epochs, scale = opt_cfg["epochs"], opt_cfg["ipe_scale"]
        self.t = int(scale * epochs * ipe)
        self.wu = int(opt_cfg["warmup"] * ipe)
        self.c = opt_cfg
        self.s = 0
        self.ema_i = 0
        self.ema_n = ipe * epochs * scale

    def step(self):
        """lr and wd of the next iteration (step counter incremented before use: first s = 1)."""
        c = self.c
        self.s += 1
        s = self.s
        if s < self.wu:
            lr = c["start_lr"] + s / max(1, self.wu) * (c["lr"] - c["start_lr"])
        else:
            p = (s - self.wu) / max(1, self.t - self.wu)
            lr = max(c["final_lr"], c["final_lr"] + (c["lr"] - c["final_lr"]) * 0.5 * (1.0 + math.cos(math.pi * p)))
        ref, final = c["weight_decay"], c["final_weight_decay"]
        wd = final + (ref - final) * 0.5 * (1.0 + math.cos(math.pi * s / self.t))
        wd = max(final, wd) if final <= ref else min(final, wd)
        return lr, wd

    def momentum(self):
        e0, e1 = self.c["ema"]
        m = e0 + self.ema_i * (e1 - e0) / self.ema_n
        self.ema_i += 1
        return m


class Trainer:
    def __init__(self, cfg, ipe, seed):
        torch.manual_seed(seed)
        self.cfg = cfg
        self.encoder, self.predictor, self.target_encoder = build_models(cfg)
        for p in self.target_encoder.parameters():
            p.requires_grad = False
        enc, pred = list(self.encoder.named_parameters()), list(self.predictor.named_parameters())
        decay = lambda n, p: "bias" not in n and len(p.shape) != 1
        self.optimizer = torch.optim.AdamW([
            {"params": [p for n, p in enc if decay(n, p)]},
            {"params": [p for n, p in pred if decay(n, p)]},
            {"params": [p for n, p in enc if not decay(n, p)], "WD_exclude": True, "weight_decay": 0},
            {"params": [p for n, p in pred if not decay(n, p)], "WD_exclude": True, "weight_decay": 0},
        ])
        self.schedules = Schedules(cfg["optimization"], ipe)
        self.masks = MaskSampler(cfg, torch.Generator().manual_seed(seed))
        self.ema_pairs = (list(self.encoder.parameters()), list(self.target_encoder.parameters()))
        opt = cfg["optimization"]
        self.target_eps = opt.get("target_norm_eps", 1e-5)
        self.target_blocks = opt.get("target_blocks", 1)  # data2vec-style top-k targets when > 1
        kind, beta = opt.get("loss", "smooth_l1"), opt.get("smooth_l1_beta", 1.0)
        self.loss_fn = {"smooth_l1": lambda z, h: F.smooth_l1_loss(z, h, beta=beta),
                        "l2": F.mse_loss, "l1": F.l1_loss}[kind]
        # JepaSharp's optional VICReg terms on the context encoder's outputs (tokens or per-image means).
        self.var_weight, self.cov_weight = opt.get("var_weight", 0.0), opt.get("cov_weight", 0.0)
        self.reg_pooled = opt.get("reg_samples", "tokens") == "pooled"
        # VICReg's invariance between the pooled context outputs of each image's views (batch is view-major).
        self.views, self.inv_weight = cfg["data"].get("views", 1), opt.get("inv_weight", 0.0)

    def variance_covariance(self, x):
        x = (x.mean(1) if self.reg_pooled else x).reshape(-1, x.size(-1))
        c = x - x.mean(0)
        std = torch.sqrt(c.var(0) + 1e-4)
        cov = c.T @ c / (x.size(0) - 1)
        off = cov - torch.diag(torch.diag(cov))
        return self.var_weight * torch.relu(1 - std).mean() + self.cov_weight * (off ** 2).sum() / x.size(1)

    def invariance(self, context, images):
        pooled = context.mean(1)
        groups = pooled.size(0) // (images // self.views)  # every context row of one image counts as a view
        p = pooled.view(groups, -1, pooled.size(-1))
        return self.inv_weight * 2 * groups / (groups - 1) * ((p - p.mean(0)) ** 2).mean()

    def step(self, imgs):
        """One iteration of the official loop; returns (loss, K_enc, K_pred)."""
        masks_enc, masks_pred = self.masks(len(imgs))
        lr, wd = self.schedules.step()
        for group in self.optimizer.param_groups:
            group["lr"] = lr
            if not group.get("WD_exclude"):
                group["weight_decay"] = wd
        with torch.no_grad():
            norm = lambda t: F.layer_norm(t, (t.size(-1),), eps=self.target_eps)
            if self.target_blocks == 1:
                h = norm(self.target_encoder(imgs))
            else:
                h = norm(sum(norm(o) for o in self.target_encoder(imgs, last_blocks=self.target_blocks)))
            h = repeat_interleave_batch(apply_masks(h, masks_pred), len(imgs), repeat=len(masks_enc))
        context = self.encoder(imgs, masks_enc)
        z = self.predictor(context, masks_enc, masks_pred)
        loss = self.loss_fn(z, h)
        if self.var_weight or self.cov_weight:
            loss = loss + self.variance_covariance(context)
        if self.inv_weight and self.views > 1:
            loss = loss + self.invariance(context, len(imgs))
        loss.backward()
        self.optimizer.step()
        self.optimizer.zero_grad()
        with torch.no_grad():  # θ̄ ← m·θ̄ + (1 − m)·θ over all encoder parameters (pos_embed included)
            m = self.schedules.momentum()
            torch._foreach_mul_(self.ema_pairs[1], m)
            torch._foreach_add_(self.ema_pairs[1], self.ema_pairs[0], alpha=1.0 - m)
        return float(loss), masks_enc[0].shape[1], masks_pred[0].shape[1]


# -------------------------------------------------------------------------------------------- commands

def iterations_per_epoch(cfg, batch):
    data = cfg["data"]
    n = data.get("train_subset") or DATASET_SIZES.get(data.get("dataset"), 60000)
    return max(1, n // batch)


def environment(args):
    return {"torch": torch.__version__, "threads": torch.get_num_threads(), "config": args.config,
            "capability": os.environ.get("ATEN_CPU_CAPABILITY", "default"),
            "preload": os.environ.get("LD_PRELOAD", ""), "blas_lib_path": os.environ.get("LD_LIBRARY_PATH", "")}


def bench(args, cfg):
    data = cfg["data"]
    batch = args.batch or data["batch_size"]
    trainer = Trainer(cfg, iterations_per_epoch(cfg, batch), cfg["meta"].get("seed", 0))
    batch *= data.get("views", 1)  # images the networks see per step
    shape = (batch, data.get("channels") or 3, data["crop_size"], data["crop_size"])
    images = [torch.randn(shape) for _ in range(2)]
    times, losses, kenc, kpred = [], [], [], []
    for i in range(args.warmup + args.steps):
        imgs = images[i % 2]
        t0 = time.perf_counter()
        loss, ke, kp = trainer.step(imgs)
        dt = time.perf_counter() - t0
        losses.append(loss)
        if i >= args.warmup:
            times.append(dt)
            kenc.append(ke)
            kpred.append(kp)
    step = statistics.median(times)
    result = {"img_per_s": round(batch / step, 2), "step_seconds": round(step, 5),
              "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
              "loss_first": losses[0], "loss_last": losses[-1]}
    result.update(environment(args))
    result.update(batch=batch, steps=args.steps, warmup=args.warmup,
                  step_seconds_min=round(min(times), 5), keep_enc_mean=statistics.mean(kenc),
                  keep_pred_mean=statistics.mean(kpred))
    print(json.dumps(result))


def read_idx_images(path):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    magic, n, rows, cols = struct.unpack(">IIII", raw[:16])
    if magic != 0x803:
        raise ValueError(f"{path}: not an IDX image file (magic {magic:#x})")
    return torch.frombuffer(bytearray(raw[16:]), dtype=torch.uint8).view(n, 1, rows, cols)


def crop_params(h, w, scale, g, ratio=(3.0 / 4.0, 4.0 / 3.0)):
    """torchvision RandomResizedCrop.get_params."""
    area = h * w
    log_ratio = (math.log(ratio[0]), math.log(ratio[1]))
    for _ in range(10):
        target = area * (scale[0] + float(torch.rand(1, generator=g)) * (scale[1] - scale[0]))
        ar = math.exp(log_ratio[0] + float(torch.rand(1, generator=g)) * (log_ratio[1] - log_ratio[0]))
        cw, ch = int(round(math.sqrt(target * ar))), int(round(math.sqrt(target / ar)))
        if 0 < cw <= w and 0 < ch <= h:
            top = int(torch.randint(0, h - ch + 1, (1,), generator=g))
            left = int(torch.randint(0, w - cw + 1, (1,), generator=g))
            return top, left, ch, cw
    in_ratio = w / h
    if in_ratio < ratio[0]:
        cw, ch = w, int(round(w / ratio[0]))
    elif in_ratio > ratio[1]:
        ch, cw = h, int(round(h * ratio[1]))
    else:
        cw, ch = w, h
    return (h - ch) // 2, (w - cw) // 2, ch, cw


def train(args, cfg):
    data, opt = cfg["data"], cfg["optimization"]
    batch = args.batch or data["batch_size"]
    images = read_idx_images(os.path.join(data["root_path"], "train-images-idx3-ubyte.gz"))
    if data.get("train_subset"):
        images = images[:data["train_subset"]]
    ipe = len(images) // batch  # drop_last
    seed = cfg["meta"].get("seed", 0)
    trainer = Trainer(cfg, ipe, seed)
    g = torch.Generator().manual_seed(seed + 1)
    size, scale = data["crop_size"], tuple(data["crop_scale"])
    mean = torch.tensor(data["normalize_mean"]).view(1, -1, 1, 1)
    std = torch.tensor(data["normalize_std"]).view(1, -1, 1, 1)
    log_every = args.log_every or cfg["logging"].get("log_every", 10)
    flip = data.get("use_horizontal_flip")
    steps, window, t_start = 0, [], time.perf_counter()
    while steps < args.steps:
        order = torch.randperm(len(images), generator=g)
        for it in range(ipe):
            if steps >= args.steps:
                break
            src = images[order[it * batch:(it + 1) * batch]].float().div_(255)
            views = data.get("views", 1)
            out = torch.empty(batch * views, src.shape[1], size, size)  # view-major: row v*batch + i
            for i in range(batch):  # RandomResizedCrop (bilinear, align_corners False), ToTensor, Normalize
                for v in range(views):
                    top, left, ch, cw = crop_params(src.shape[2], src.shape[3], scale, g)
                    view = F.interpolate(src[i:i + 1, :, top:top + ch, left:left + cw], size=(size, size),
                                         mode="bilinear", align_corners=False)
                    if flip and float(torch.rand(1, generator=g)) < 0.5:
                        view = view.flip(-1)
                    out[v * batch + i] = view[0]
            loss, ke, kp = trainer.step((out - mean) / std)
            steps += 1
            window.append(loss)
            if steps % log_every == 0 or steps == args.steps:
                lr, wd = trainer.optimizer.param_groups[0]["lr"], trainer.optimizer.param_groups[0]["weight_decay"]
                elapsed = time.perf_counter() - t_start
                print(json.dumps({"step": steps, "loss": loss, "loss_window": statistics.mean(window),
                                  "lr": lr, "wd": wd, "keep_enc": ke, "keep_pred": kp,
                                  "img_per_s": round(steps * len(out) / elapsed, 1)}), flush=True)
                window = []
    result = {"steps": steps, "seconds": round(time.perf_counter() - t_start, 2),
              "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}
    result.update(environment(args))
    print(json.dumps(result))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("what", choices=["bench", "train"])
    p.add_argument("--config", required=True)
    p.add_argument("--batch", type=int, default=None, help="default: data.batch_size")
    p.add_argument("--steps", type=int, default=None, help="bench: timed steps (12); train: steps to run (100)")
    p.add_argument("--warmup", type=int, default=3, help="bench: untimed steps before the timed ones")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--log-every", type=int, default=None, help="train: default logging.log_every")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    cfg = load_config(args.config)
    if args.what == "bench":
        args.steps = args.steps or 12
        bench(args, cfg)
    else:
        args.steps = args.steps or 100
        train(args, cfg)


if __name__ == "__main__":
    main()
