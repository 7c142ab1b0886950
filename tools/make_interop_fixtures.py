#!/usr/bin/python3
"""Generate the checkpoint-interop fixtures in tests/JepaSharp.Tests/Fixtures/interop/.

Run by hand from the repository root with Debian's PyTorch (python3-torch), then commit the files:

    /usr/bin/python3 tools/make_interop_fixtures.py [--out tests/JepaSharp.Tests/Fixtures/interop]
    /usr/bin/python3 tools/make_interop_fixtures.py --large DIR [--large-depth 32]   # ViT-H-shaped, ~5 GB

The models are written here in plain torch following the official I-JEPA code (recipe §2): patch
embedding Conv2d, fixed 2-D sin-cos pos_embed stored as a non-trainable Parameter, pre-norm blocks
with qkv bias and exact GELU, LayerNorm eps 1e-6, a final per-token LayerNorm; the predictor embeds
the context, adds its positions, appends mask_token + target positions, and projects back.
Weights are random (seeded), with non-trivial LayerNorm weights and biases so a mapping that drops
or swaps a tensor shows up in the outputs. The target encoder gets its own random weights (not a
copy of the encoder) so that reading the wrong dictionary fails the parity test.

Small model: image 16x16x3, patch 4 (4x4 grid, 16 tokens), width 32, depth 2, 2 heads (the head
count is not recoverable from shapes: the tests pass it), MLP ratio 4; predictor width 16, depth 1,
2 heads.

Files
-----
official_zip.pth      torch.save (zip) of the official training checkpoint: {encoder, predictor,
                      target_encoder} state dicts with the DDP `module.` prefix, opt (AdamW state
                      after one step, 4 parameter groups), scaler None, epoch, loss, batch_size,
                      world_size, lr.
official_legacy.pth   the same three state dicts (no opt) with _use_new_zipfile_serialization=False.
official_fp16.pth     the three state dicts in float16 (zip); official_bf16.pth in bfloat16.
hf.safetensors        the context encoder under HF IJepaModel names (qkv split into query/key/value),
                      with hf_config.json beside it (the hidden sizes and head count HF stores).
timm.pth              the context encoder under timm names (final norm as fc_norm), plain state dict.
strided.pth           tensors that share storages: w [3,5], wt = w.t() (stride (1,5)), row = w[1]
                      (storage offset 5), col = w[:, 2] (offset 2, stride 5), block = base[2:4, 1:3]
                      of a [4,5] half tensor, scalar (0-d), ids (int64), flag (bool).
outputs.safetensors   input [2,3,16,16]; encoder.out, target_encoder.out [2,16,32] (full tokens);
                      ctx_idx [2,6] and tgt_idx [4,3] (I64; 2 target blocks, mask-major) and
                      predictor.out [4,3,32] = predictor(encoder(input, ctx), ctx, tgt);
                      fp16.encoder.out, bf16.encoder.out (models built from the rounded weights);
                      interp.pos_embed [1,36,32] = F.interpolate(pos_embed grid 4x4 -> 6x6,
                      bicubic, align_corners False) and interp.encoder.out [2,36,32] on
                      interp.input [2,3,24,24]; strided.<name> = the contiguous values of
                      strided.pth's tensors (F32).
"""

import argparse
import json
import os
import sys
from collections import OrderedDict

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ijepa_torch import VisionTransformer, VisionTransformerPredictor  # noqa: E402
from make_fixtures import save_safetensors  # noqa: E402

EPS = 1e-6  # the official LayerNorm eps, which the reference modules use


def Predictor(grid, dim, pdim, depth, heads):
    """The official predictor over a grid×grid patch layout."""
    return VisionTransformerPredictor(grid * grid, dim, pdim, depth, heads)


def randomize(module, seed):
    """Non-trivial values everywhere except the fixed position tables."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in module.named_parameters():
            if "pos_embed" in name:
                continue
            r = torch.randn(p.shape, generator=g)
            if "norm" in name and name.endswith("weight"):
                p.copy_(1 + 0.1 * r)
            elif name.endswith("bias"):
                p.copy_(0.05 * r)
            else:
                p.copy_(0.1 * r)


def prefixed(module):
    return OrderedDict(("module." + k, v) for k, v in module.state_dict().items())


def hf_keys(sd, dim):
    """convert_ijepa_to_hf.py renames; qkv rows split into query / key / value."""
    out = OrderedDict()
    for k, v in sd.items():
        if k == "pos_embed":
            out["embeddings.position_embeddings"] = v
        elif k.startswith("patch_embed.proj."):
            out["embeddings.patch_embeddings.projection." + k.split(".")[-1]] = v
        elif k.startswith("norm."):
            out["layernorm." + k.split(".")[-1]] = v
        else:
            _, i, rest = k.split(".", 2)
            base = f"encoder.layer.{i}."
            if rest.startswith("attn.qkv."):
                kind = rest.split(".")[-1]
                for j, part in enumerate(("query", "key", "value")):
                    out[f"{base}attention.attention.{part}.{kind}"] = v[j * dim:(j + 1) * dim].clone()
            else:
                for old, new in (("norm1.", "layernorm_before."), ("norm2.", "layernorm_after."),
                                 ("attn.proj.", "attention.output.dense."), ("mlp.fc1.", "intermediate.dense."),
                                 ("mlp.fc2.", "output.dense.")):
                    if rest.startswith(old):
                        out[base + new + rest[len(old):]] = v
    return out


def timm_keys(sd):
    return OrderedDict(("fc_norm." + k[5:] if k.startswith("norm.") else k, v) for k, v in sd.items())


def official_opt(encoder, predictor):
    """AdamW over the 4 official groups (src/helper.py:init_opt), one step with random gradients."""
    def groups(m, decay):
        return [p for n, p in m.named_parameters() if ("bias" not in n and len(p.shape) != 1) == decay]
    opt = torch.optim.AdamW([
        {"params": groups(encoder, True)}, {"params": groups(predictor, True)},
        {"params": groups(encoder, False), "WD_exclude": True, "weight_decay": 0},
        {"params": groups(predictor, False), "WD_exclude": True, "weight_decay": 0},
    ], lr=1e-3)
    for m in (encoder, predictor):
        for p in m.parameters():
            p.grad = torch.randn_like(p) if p.requires_grad else None
    before = {k: v.clone() for k, v in encoder.state_dict().items()}
    pbefore = {k: v.clone() for k, v in predictor.state_dict().items()}
    opt.step()
    # The step must not change the weights the outputs are computed from.
    encoder.load_state_dict(before)
    predictor.load_state_dict(pbefore)
    return opt.state_dict()


def make_small(out):
    img, patch, chans, dim, depth, heads = 16, 4, 3, 32, 2, 2
    grid = img // patch
    pdim, pdepth = 16, 1
    torch.manual_seed(0)
    encoder = VisionTransformer(img, patch, chans, dim, depth, heads)
    target = VisionTransformer(img, patch, chans, dim, depth, heads)
    predictor = Predictor(grid, dim, pdim, pdepth, heads)
    randomize(encoder, 1)
    randomize(target, 2)
    randomize(predictor, 3)
    for m in (encoder, target, predictor):
        m.eval()

    ckpt = OrderedDict()
    ckpt["encoder"] = prefixed(encoder)
    ckpt["predictor"] = prefixed(predictor)
    ckpt["target_encoder"] = prefixed(target)
    ckpt["opt"] = official_opt(encoder, predictor)
    ckpt["scaler"] = None
    ckpt["epoch"] = 7
    ckpt["loss"] = 0.1234
    ckpt["batch_size"] = 16
    ckpt["world_size"] = 2
    ckpt["lr"] = 1e-3
    torch.save(ckpt, os.path.join(out, "official_zip.pth"))
    nets = OrderedDict((k, ckpt[k]) for k in ("encoder", "predictor", "target_encoder"))
    legacy = OrderedDict(nets, epoch=7)
    torch.save(legacy, os.path.join(out, "official_legacy.pth"), _use_new_zipfile_serialization=False)
    for name, dtype in (("fp16", torch.float16), ("bf16", torch.bfloat16)):
        torch.save(OrderedDict((k, OrderedDict((n, t.to(dtype)) for n, t in sd.items())) for k, sd in nets.items()),
                   os.path.join(out, f"official_{name}.pth"))

    save_safetensors(os.path.join(out, "hf.safetensors"), hf_keys(encoder.state_dict(), dim), {"format": "pt"})
    with open(os.path.join(out, "hf_config.json"), "w") as f:
        json.dump({"model_type": "ijepa", "hidden_size": dim, "num_hidden_layers": depth, "num_attention_heads": heads,
                   "intermediate_size": dim * 4, "image_size": img, "patch_size": patch, "num_channels": chans,
                   "layer_norm_eps": EPS, "qkv_bias": True, "hidden_act": "gelu"}, f, indent=2)
    torch.save(timm_keys(encoder.state_dict()), os.path.join(out, "timm.pth"))

    # Outputs on fixed inputs.
    g = torch.Generator().manual_seed(4)
    x = torch.randn(2, chans, img, img, generator=g)
    ctx = torch.tensor([[0, 1, 2, 4, 5, 6], [3, 7, 8, 9, 12, 13]])
    tgt = [torch.tensor([[10, 11, 15], [0, 1, 4]]), torch.tensor([[3, 7, 14], [2, 5, 6]])]
    res = OrderedDict()
    res["input"] = x
    with torch.no_grad():
        res["encoder.out"] = encoder(x)
        res["target_encoder.out"] = target(x)
        res["ctx_idx"] = ctx
        res["tgt_idx"] = torch.cat(tgt, dim=0)
        res["predictor.out"] = predictor(encoder(x, [ctx]), [ctx], tgt)
        for name, dtype in (("fp16", torch.float16), ("bf16", torch.bfloat16)):
            copy = VisionTransformer(img, patch, chans, dim, depth, heads)
            copy.load_state_dict({k: v.to(dtype).float() for k, v in encoder.state_dict().items()})
            res[f"{name}.encoder.out"] = copy(x)
        # Position-table interpolation to a 6x6 grid (24 px), without a class token (recipe Q12).
        big = VisionTransformer(24, patch, chans, dim, depth, heads)
        sd = encoder.state_dict()
        table = sd["pos_embed"].reshape(1, grid, grid, dim).permute(0, 3, 1, 2)
        table = F.interpolate(table, size=(6, 6), mode="bicubic", align_corners=False)
        sd["pos_embed"] = table.permute(0, 2, 3, 1).reshape(1, 36, dim)
        big.load_state_dict(sd)
        xi = torch.randn(2, chans, 24, 24, generator=g)
        res["interp.pos_embed"] = sd["pos_embed"]
        res["interp.input"] = xi
        res["interp.encoder.out"] = big(xi)

    # Views sharing storages, with offsets and strides.
    w = torch.randn(3, 5, generator=g)
    base = torch.randn(4, 5, generator=g).half()
    strided = OrderedDict(w=w, wt=w.t(), row=w[1], col=w[:, 2], block=base[2:4, 1:3],
                          scalar=torch.tensor(3.5), ids=torch.tensor([1, -2, 3 << 40]),
                          flag=torch.tensor([True, False, True]))
    torch.save(strided, os.path.join(out, "strided.pth"))
    for k, v in strided.items():
        res["strided." + k] = v.float().contiguous()
    save_safetensors(os.path.join(out, "outputs.safetensors"), res,
                     {"heads": heads, "pred_heads": heads, "torch": torch.__version__})


def make_large(out, depth):
    """ViT-H/14-shaped encoder + target encoder + predictor (depth 12, width 384), random weights."""
    img, patch, chans, dim, heads = 224, 14, 3, 1280, 16
    torch.manual_seed(0)
    encoder = VisionTransformer(img, patch, chans, dim, depth, heads)
    randomize(encoder, 1)
    predictor = Predictor(img // patch, dim, 384, 12, heads)
    randomize(predictor, 3)
    encoder.eval()
    ckpt = OrderedDict(encoder=prefixed(encoder), predictor=prefixed(predictor), target_encoder=prefixed(encoder), epoch=1)
    torch.save(ckpt, os.path.join(out, "vith14.pth"))
    x = torch.randn(1, chans, img, img, generator=torch.Generator().manual_seed(4))
    with torch.no_grad():
        res = OrderedDict(input=x, **{"encoder.out": encoder(x)[:, :16]})
    save_safetensors(os.path.join(out, "vith14_outputs.safetensors"), res, {"heads": heads, "depth": depth})


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.path.join(root, "tests", "JepaSharp.Tests", "Fixtures", "interop"))
    parser.add_argument("--large", metavar="DIR", help="write the ViT-H-shaped case into DIR instead")
    parser.add_argument("--large-depth", type=int, default=32)
    args = parser.parse_args()
    torch.set_num_threads(1)
    if args.large:
        os.makedirs(args.large, exist_ok=True)
        make_large(args.large, args.large_depth)
        return
    os.makedirs(args.out, exist_ok=True)
    make_small(args.out)


if __name__ == "__main__":
    main()
