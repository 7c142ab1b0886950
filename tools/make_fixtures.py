#!/usr/bin/python3
"""Generate the PyTorch reference fixtures in tests/JepaSharp.Tests/Fixtures/.

Run by hand from the repository root with Debian's PyTorch (python3-torch), then commit the files:

    /usr/bin/python3 tools/make_fixtures.py [--out tests/JepaSharp.Tests/Fixtures]

CI never runs this script; the tests read the committed files. Output is deterministic for a given
PyTorch build (fixed seeds, one thread). The files are written with the minimal safetensors writer
below (struct + json), not the `safetensors` package, in the same layout as the engine's reader
expects: u64 header length, JSON header padded with spaces to a multiple of 8, data buffer.

Conventions
-----------
* Every tensor is float32 unless stated otherwise (labels and the dtype samples).
* Inputs, parameters and upstream gradients are drawn in float32 and stored as they are. The
  references (outputs and gradients) are computed in float64 from exactly those float32 values
  and only then rounded to float32, so they are as close to the exact answer as float32 can hold
  and an engine's float32 error is measured against the truth rather than against PyTorch's own
  float32 rounding.
* Gradients are those of the scalar sum(out * dout): `dout` is the upstream gradient. For losses
  `out` and `dout` are scalars (shape []); `dout` is not 1 so that scaling by it is tested.
* `grad.<name>` is the gradient with respect to the input or parameter `<name>`.

vit_block.safetensors -- one pre-norm ViT block as in timm / I-JEPA (D=64, H=4, Dh=16, B=2, T=10):
    h   = x + attn.proj(Attention(norm1(x)))
    out = h + mlp.fc2(GELU(mlp.fc1(norm2(h))))
  LayerNorm eps 1e-6 with affine; attn.qkv = Linear(D, 3D) whose output is reshaped to
  [B, T, 3, H, Dh] (q block, k block, v block, each head-major); per head
  softmax(q k^T * Dh^-0.5) v, heads concatenated back to [B, T, D]; MLP hidden 4D; exact (erf) GELU.
  Keys: x [2,10,64] input; dout [2,10,64] upstream gradient; out [2,10,64] output;
  grad.x [2,10,64]; the parameters under their state-dict names
    norm1.weight [64], norm1.bias [64], attn.qkv.weight [192,64], attn.qkv.bias [192],
    attn.proj.weight [64,64], attn.proj.bias [64], norm2.weight [64], norm2.bias [64],
    mlp.fc1.weight [256,64], mlp.fc1.bias [256], mlp.fc2.weight [64,256], mlp.fc2.bias [64]
  and grad.<parameter name> for each (same shapes). Linear weights are [out, in] as in PyTorch.
  Metadata: dim, heads, head_dim, eps, mlp_ratio, batch, tokens, gelu, seed, torch, reference.

ops.safetensors -- small per-op cases, keys "<op>.<tensor>" or "<op>.<case>.<tensor>":
  layernorm.<case>.*  over the last axis of x [5,33]; cases affine_eps1e-6, affine_eps1e-5
      (with weight [33] and bias [33]) and plain_eps1e-6, plain_eps1e-5 (no affine). Rows of x:
      0 standard normal, 1 mean 5 std 10, 2 std 3e-3 (variance comparable to eps, so eps
      matters), 3 constant (variance exactly 0), 4 mean 100 std 1 (cancellation in E[x^2]-E[x]^2).
      Tensors: x, [weight, bias,] dout, out, grad.x, [grad.weight, grad.bias].
      Metadata layernorm.<case>.eps.
  gelu.*  exact (erf) GELU on x [7,19]: a grid over [-6, 6] (both ends included), 0, +-1e-3,
      +-1e-6, +-8, then standard-normal fill. Tensors: x, dout, out, grad.x.
  softmax.*  softmax over the last axis of x [6,17]; row 4 has values around +100 (overflows
      exp without max subtraction), row 5 around -100. Tensors: x, dout, out, grad.x.
  smooth_l1.<case>.*  F.smooth_l1_loss(pred, target, beta, reduction='mean') on [4,9], cases
      beta1 (beta 1.0) and beta0_5 (beta 0.5); |pred - target| spans both sides of beta.
      Tensors: pred, target, dout [], out [], grad.pred, grad.target.
      Metadata smooth_l1.<case>.beta.
  mse.*  F.mse_loss(pred, target, reduction='mean') on [4,9]. Tensors as smooth_l1.
  l1.*  F.l1_loss(pred, target, reduction='mean') on [4,9]; element [0,0] has pred == target,
      where PyTorch's gradient is 0 (sign(0)). Tensors as smooth_l1.
  cross_entropy.*  F.cross_entropy(logits, labels, reduction='mean'): logits [8,10],
      labels [8] (I64, class indices), dout [], out [], grad.logits [8,10].
  attention.*  the attention core of the block above without the projections, H=2, Dh=8:
      qkv [2,7,48] (a qkv Linear's output, layout [B,T,3,H,Dh]) -> out [2,7,16] (heads
      concatenated, layout [B,T,H,Dh]); dout [2,7,16]; grad.qkv [2,7,48].
      Metadata attention.heads, attention.head_dim, attention.scale.
  variance_covariance.*  VICReg's variance hinge + off-diagonal covariance penalty over the
      rows of z [3,5,6] (15 samples, 6 features): var_weight*mean(relu(gamma - std)) +
      cov_weight*sum(offdiag(cov)^2)/6, std = sqrt(unbiased var + eps); dout [], out [],
      grad.z [3,5,6]. Metadata variance_covariance.{gamma,var_weight,cov_weight,eps}.
  view_invariance.*  VICReg's invariance term over 3 views of 4 images, m [12,5] view-major (row
      v*4 + i): weight * mean over view pairs of F.mse_loss(view a, view b); dout [], out [],
      grad.m [12,5]. Metadata view_invariance.{views,weight}.

adamw.safetensors -- torch.optim.AdamW (lr 1e-3, betas (0.9, 0.999), eps 1e-8, amsgrad off) with
  two parameter groups: weight [5,7] with weight_decay 0.05, bias [7] with weight_decay 0.
  Three steps with the saved gradients (the optimizer runs in float64 from the float32 values).
  Keys, for p in {weight, bias}:
    p.init        parameter before the first step
    p.grad.<k>    gradient applied at step k (k = 1, 2, 3); weight.grad.1 holds exact zeros at
                  [0,0] and [0,1] (no update but decay on the first step)
    p.step.<k>    parameter after step k
    p.exp_avg, p.exp_avg_sq   optimizer state after step 3
  Metadata: lr, beta1, beta2, eps, weight_decay.weight, weight_decay.bias, steps, torch.

dtypes.safetensors -- known values in non-F32 dtypes for the reader tests:
  f16 [2,4] F16    [[0, 1, -2, 0.5], [65504, 2^-14, 2^-24, -inf]]
  f16_empty [0,3] F16
  bf16 [2,3] BF16  [[1, -1.5, 3.140625], [2^100, 2^-130, -0.0078125]]
  f64 [4] F64      [1/3, -2.5, 1e-3, 123456.789]
  i64 [5] I64      [0, 1, -7, 1234567890123, -2^63]
  i64_scalar [] I64  42
  i32 [3] I32      [-2147483648, 0, 2147483647]
  i16 [3] I16      [-32768, -1, 32767]
  i8 [3] I8        [-128, 0, 127]
  u8 [3] U8        [0, 1, 255]
  bool [4] BOOL    [true, false, false, true]
  Metadata: purpose.
"""

import argparse
import json
import math
import os
import struct
import sys
from collections import OrderedDict

import torch
import torch.nn as nn
import torch.nn.functional as F

DTYPE_NAMES = {
    torch.float32: "F32",
    torch.float16: "F16",
    torch.bfloat16: "BF16",
    torch.float64: "F64",
    torch.int64: "I64",
    torch.int32: "I32",
    torch.int16: "I16",
    torch.int8: "I8",
    torch.uint8: "U8",
    torch.bool: "BOOL",
}


def tensor_bytes(t):
    t = t.detach().contiguous().cpu()
    # numpy has no bfloat16; the raw 16-bit patterns are what the file stores anyway.
    if t.dtype == torch.bfloat16:
        t = t.view(torch.int16)
    return t.numpy().tobytes()


def save_safetensors(path, tensors, metadata=None):
    """Writes tensors (name -> torch.Tensor, in order) and string metadata as a safetensors file."""
    header = OrderedDict()
    if metadata:
        header["__metadata__"] = OrderedDict((str(k), str(v)) for k, v in metadata.items())
    blobs = []
    offset = 0
    for name, t in tensors.items():
        if t.dtype not in DTYPE_NAMES:
            raise ValueError(f"{name}: unsupported dtype {t.dtype}")
        data = tensor_bytes(t)
        header[name] = OrderedDict(
            dtype=DTYPE_NAMES[t.dtype], shape=list(t.shape), data_offsets=[offset, offset + len(data)]
        )
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for data in blobs:
            f.write(data)
    os.replace(tmp, path)
    print(f"wrote {path}: {len(tensors)} tensors, {os.path.getsize(path)} bytes")


def reference(fn, inputs, dout, constants=()):
    """Runs fn in float64 on the float32 inputs; returns (out, {name: grad}) rounded to float32.

    The gradient is that of sum(out * dout), i.e. dout is the upstream gradient.
    """
    leaves = OrderedDict((k, v.detach().double().requires_grad_(True)) for k, v in inputs.items())
    out = fn(*leaves.values(), *constants)
    (out * dout.double()).sum().backward()
    return out.detach().float(), OrderedDict((k, v.grad.float()) for k, v in leaves.items())


# --- the ViT block, written as in I-JEPA's src/models/vision_transformer.py (timm layout) ---


class Attention(nn.Module):
    def __init__(self, dim, num_heads):
        super().__init__()
        self.num_heads = num_heads
        self.scale = (dim // num_heads) ** -0.5
        self.qkv = nn.Linear(dim, dim * 3, bias=True)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        return self.proj(attention_core(self.qkv(x), self.num_heads))


def attention_core(qkv, num_heads):
    B, N, C3 = qkv.shape
    C = C3 // 3
    qkv = qkv.reshape(B, N, 3, num_heads, C // num_heads).permute(2, 0, 3, 1, 4)
    q, k, v = qkv[0], qkv[1], qkv[2]
    attn = (q @ k.transpose(-2, -1)) * (C // num_heads) ** -0.5
    attn = attn.softmax(dim=-1)
    return (attn @ v).transpose(1, 2).reshape(B, N, C)


class Mlp(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class Block(nn.Module):
    def __init__(self, dim, num_heads, mlp_ratio, eps):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=eps)
        self.attn = Attention(dim, num_heads)
        self.norm2 = nn.LayerNorm(dim, eps=eps)
        self.mlp = Mlp(dim, int(dim * mlp_ratio))

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


def make_vit_block(out_dir):
    dim, heads, mlp_ratio, eps, batch, tokens, seed = 64, 4, 4, 1e-6, 2, 10, 1234
    torch.manual_seed(seed)
    block = Block(dim, heads, mlp_ratio, eps)
    # Non-trivial values everywhere (no unit LN weights, no zero biases) so that every gradient
    # term, LayerNorm's affine included, contributes and a dropped term shows up.
    with torch.no_grad():
        for name, p in block.named_parameters():
            if name.startswith("norm") and name.endswith("weight"):
                p.copy_(1 + 0.1 * torch.randn_like(p))
            elif name.endswith("bias"):
                p.copy_(0.1 * torch.randn_like(p))
            else:
                p.copy_(0.15 * torch.randn_like(p))
    x = torch.randn(batch, tokens, dim)
    dout = torch.randn(batch, tokens, dim)

    block64 = Block(dim, heads, mlp_ratio, eps).double()
    block64.load_state_dict({k: v.double() for k, v in block.state_dict().items()})
    x64 = x.double().requires_grad_(True)
    out64 = block64(x64)
    (out64 * dout.double()).sum().backward()

    # The float32 module must agree with the float64 reference to float32 accuracy; otherwise
    # something in the float64 copy differs from the block being described.
    with torch.no_grad():
        out32 = block(x)
    gap = (out32.double() - out64.detach()).abs().max().item()
    assert gap < 1e-4, f"float32 and float64 blocks disagree by {gap}"

    tensors = OrderedDict()
    tensors["x"] = x
    tensors["dout"] = dout
    tensors["out"] = out64.detach().float()
    tensors["grad.x"] = x64.grad.float()
    params64 = dict(block64.named_parameters())
    for name, p in block.named_parameters():
        tensors[name] = p.detach()
    for name in dict(block.named_parameters()):
        tensors["grad." + name] = params64[name].grad.float()
    metadata = OrderedDict(
        dim=dim,
        heads=heads,
        head_dim=dim // heads,
        eps=eps,
        mlp_ratio=mlp_ratio,
        batch=batch,
        tokens=tokens,
        gelu="exact (erf)",
        seed=seed,
        torch=torch.__version__,
        reference="float64 from the stored float32 values, rounded to float32",
    )
    save_safetensors(os.path.join(out_dir, "vit_block.safetensors"), tensors, metadata)


# --- per-op cases ---


def layernorm_input():
    x = torch.empty(5, 33)
    x[0] = torch.randn(33)
    x[1] = 5 + 10 * torch.randn(33)
    x[2] = 0.7 + 3e-3 * torch.randn(33)
    x[3] = 0.25
    x[4] = 100 + torch.randn(33)
    return x


def make_ops(out_dir):
    torch.manual_seed(2024)
    t = OrderedDict()
    meta = OrderedDict(torch=torch.__version__, reference="float64 from the stored float32 values, rounded to float32")

    def add_case(prefix, inputs, dout, out, grads, constants=None):
        for k, v in inputs.items():
            t[f"{prefix}.{k}"] = v
        for k, v in (constants or {}).items():
            t[f"{prefix}.{k}"] = v
        t[f"{prefix}.dout"] = dout
        t[f"{prefix}.out"] = out
        for k, v in grads.items():
            t[f"{prefix}.grad.{k}"] = v

    for eps, eps_name in ((1e-6, "1e-6"), (1e-5, "1e-5")):
        for affine in (True, False):
            prefix = f"layernorm.{'affine' if affine else 'plain'}_eps{eps_name}"
            inputs = OrderedDict(x=layernorm_input())
            if affine:
                inputs["weight"] = 1 + 0.2 * torch.randn(33)
                inputs["bias"] = 0.1 * torch.randn(33)
            dout = torch.randn(5, 33)
            if affine:
                fn = lambda x, w, b, eps=eps: F.layer_norm(x, (33,), w, b, eps)
            else:
                fn = lambda x, eps=eps: F.layer_norm(x, (33,), None, None, eps)
            out, grads = reference(fn, inputs, dout)
            add_case(prefix, inputs, dout, out, grads)
            meta[f"{prefix}.eps"] = eps

    grid = torch.linspace(-6, 6, 61)
    specials = torch.tensor([0.0, 1e-3, -1e-3, 1e-6, -1e-6, 8.0, -8.0])
    x = torch.cat([grid, specials, torch.randn(7 * 19 - 61 - 7)]).reshape(7, 19)
    dout = torch.randn(7, 19)
    out, grads = reference(lambda x: F.gelu(x), OrderedDict(x=x), dout)
    add_case("gelu", OrderedDict(x=x), dout, out, grads)

    x = 3 * torch.randn(6, 17)
    x[4] = 100 + torch.randn(17)
    x[5] = -100 + torch.randn(17)
    dout = torch.randn(6, 17)
    out, grads = reference(lambda x: torch.softmax(x, dim=-1), OrderedDict(x=x), dout)
    add_case("softmax", OrderedDict(x=x), dout, out, grads)

    def regression_inputs():
        target = torch.randn(4, 9)
        diff = torch.linspace(-3, 3, 36)[torch.randperm(36)].reshape(4, 9)
        return OrderedDict(pred=target + diff, target=target)

    for beta, case in ((1.0, "beta1"), (0.5, "beta0_5")):
        inputs = regression_inputs()
        dout = torch.tensor(0.75)
        out, grads = reference(lambda p, q, beta=beta: F.smooth_l1_loss(p, q, beta=beta), inputs, dout)
        add_case(f"smooth_l1.{case}", inputs, dout, out, grads)
        meta[f"smooth_l1.{case}.beta"] = beta

    inputs = regression_inputs()
    dout = torch.tensor(1.25)
    out, grads = reference(lambda p, q: F.mse_loss(p, q), inputs, dout)
    add_case("mse", inputs, dout, out, grads)

    inputs = regression_inputs()
    inputs["pred"][0, 0] = inputs["target"][0, 0]
    dout = torch.tensor(-0.5)
    out, grads = reference(lambda p, q: F.l1_loss(p, q), inputs, dout)
    add_case("l1", inputs, dout, out, grads)

    logits = 2 * torch.randn(8, 10)
    labels = torch.randint(0, 10, (8,), dtype=torch.int64)
    dout = torch.tensor(0.9)
    out, grads = reference(lambda z, y: F.cross_entropy(z, y), OrderedDict(logits=logits), dout, constants=(labels,))
    add_case("cross_entropy", OrderedDict(logits=logits), dout, out, grads, constants=OrderedDict(labels=labels))

    heads, head_dim = 2, 8
    qkv = torch.randn(2, 7, 3 * heads * head_dim)
    dout = torch.randn(2, 7, heads * head_dim)
    out, grads = reference(lambda q: attention_core(q, heads), OrderedDict(qkv=qkv), dout)
    add_case("attention", OrderedDict(qkv=qkv), dout, out, grads)
    meta["attention.heads"] = heads
    meta["attention.head_dim"] = head_dim
    meta["attention.scale"] = head_dim ** -0.5

    # VICReg variance hinge + off-diagonal covariance on [3, 5, 6] (15 samples x 6 features); some features
    # scaled up so their std clears gamma and the hinge is inactive for them.
    z = torch.randn(3, 5, 6) * torch.tensor([0.3, 0.5, 0.8, 1.6, 2.0, 0.1])
    dout = torch.tensor(0.8)
    gamma, var_w, cov_w, vc_eps = 1.0, 1.0, 0.04, 1e-4
    def vicreg(z):
        x = z.reshape(-1, z.shape[-1])
        c = x - x.mean(0)
        std = torch.sqrt(c.var(0) + vc_eps)
        cov = c.T @ c / (x.shape[0] - 1)
        off = cov - torch.diag(torch.diag(cov))
        d = x.shape[1]
        return var_w * torch.relu(gamma - std).mean() + cov_w * (off ** 2).sum() / d
    out, grads = reference(vicreg, OrderedDict(z=z), dout)
    add_case("variance_covariance", OrderedDict(z=z), dout, out, grads)
    meta.update({"variance_covariance.gamma": gamma, "variance_covariance.var_weight": var_w,
                 "variance_covariance.cov_weight": cov_w, "variance_covariance.eps": vc_eps})

    # VICReg invariance across 3 views of 4 images ([12, 5], view-major): the weighted mean of F.mse_loss over the
    # view pairs, written pair by pair (the kernel uses the equivalent deviation-from-the-view-mean form).
    m = torch.randn(12, 5)
    dout = torch.tensor(1.3)
    inv_views, inv_w = 3, 0.7
    def invariance(m):
        v = m.reshape(inv_views, -1, m.shape[-1])
        pairs = [F.mse_loss(v[a], v[b]) for a in range(inv_views) for b in range(a + 1, inv_views)]
        return inv_w * torch.stack(pairs).mean()
    out, grads = reference(invariance, OrderedDict(m=m), dout)
    add_case("view_invariance", OrderedDict(m=m), dout, out, grads)
    meta.update({"view_invariance.views": inv_views, "view_invariance.weight": inv_w})

    save_safetensors(os.path.join(out_dir, "ops.safetensors"), t, meta)


def make_adamw(out_dir):
    torch.manual_seed(7)
    lr, betas, eps, wd, steps = 1e-3, (0.9, 0.999), 1e-8, 0.05, 3
    weight = torch.randn(5, 7)
    bias = 0.1 * torch.randn(7)
    grads = []
    for k in range(steps):
        # Magnitudes change from step to step so that the moment averaging matters.
        gw = (0.5 + k) * torch.randn(5, 7)
        gb = 0.1 * (k + 1) * torch.randn(7)
        if k == 0:
            gw[0, :2] = 0
        grads.append((gw, gb))

    w64 = weight.double().clone().requires_grad_(True)
    b64 = bias.double().clone().requires_grad_(True)
    opt = torch.optim.AdamW(
        [{"params": [w64], "weight_decay": wd}, {"params": [b64], "weight_decay": 0.0}],
        lr=lr, betas=betas, eps=eps, amsgrad=False,
    )
    t = OrderedDict()
    t["weight.init"] = weight
    t["bias.init"] = bias
    for k, (gw, gb) in enumerate(grads, start=1):
        t[f"weight.grad.{k}"] = gw
        t[f"bias.grad.{k}"] = gb
    for k, (gw, gb) in enumerate(grads, start=1):
        w64.grad = gw.double()
        b64.grad = gb.double()
        opt.step()
        t[f"weight.step.{k}"] = w64.detach().float()
        t[f"bias.step.{k}"] = b64.detach().float()
    for name, p in (("weight", w64), ("bias", b64)):
        state = opt.state[p]
        t[f"{name}.exp_avg"] = state["exp_avg"].float()
        t[f"{name}.exp_avg_sq"] = state["exp_avg_sq"].float()
    meta = OrderedDict(
        lr=lr, beta1=betas[0], beta2=betas[1], eps=eps,
        **{"weight_decay.weight": wd, "weight_decay.bias": 0.0},
        steps=steps, torch=torch.__version__,
        reference="float64 from the stored float32 values, rounded to float32",
    )
    save_safetensors(os.path.join(out_dir, "adamw.safetensors"), t, meta)


def make_dtypes(out_dir):
    t = OrderedDict()
    t["f16"] = torch.tensor([[0.0, 1.0, -2.0, 0.5], [65504.0, 2.0 ** -14, 2.0 ** -24, -math.inf]], dtype=torch.float16)
    t["f16_empty"] = torch.zeros(0, 3, dtype=torch.float16)
    t["bf16"] = torch.tensor([[1.0, -1.5, 3.140625], [2.0 ** 100, 2.0 ** -130, -0.0078125]], dtype=torch.bfloat16)
    t["f64"] = torch.tensor([1 / 3, -2.5, 1e-3, 123456.789], dtype=torch.float64)
    t["i64"] = torch.tensor([0, 1, -7, 1234567890123, -(2 ** 63)], dtype=torch.int64)
    t["i64_scalar"] = torch.tensor(42, dtype=torch.int64)
    t["i32"] = torch.tensor([-(2 ** 31), 0, 2 ** 31 - 1], dtype=torch.int32)
    t["i16"] = torch.tensor([-(2 ** 15), -1, 2 ** 15 - 1], dtype=torch.int16)
    t["i8"] = torch.tensor([-128, 0, 127], dtype=torch.int8)
    t["u8"] = torch.tensor([0, 1, 255], dtype=torch.uint8)
    t["bool"] = torch.tensor([True, False, False, True])
    # The values above must survive the conversion exactly; check before writing them down.
    assert t["bf16"].float().tolist() == [[1.0, -1.5, 3.140625], [2.0 ** 100, 2.0 ** -130, -0.0078125]]
    assert t["f16"][1, 2].item() == 2.0 ** -24
    save_safetensors(os.path.join(out_dir, "dtypes.safetensors"), t, {"purpose": "reader dtype conversion tests"})


def sincos_1d(dim, positions):
    """The official get_1d_sincos_pos_embed_from_grid, in float64 numpy-style torch ops."""
    omega = torch.arange(dim // 2, dtype=torch.float64) / (dim / 2.0)
    omega = 1.0 / 10000 ** omega
    out = positions.reshape(-1, 1).double() * omega.reshape(1, -1)
    return torch.cat([torch.sin(out), torch.cos(out)], dim=1)


def make_pos_embed(out_dir):
    """I-JEPA's get_2d_sincos_pos_embed(embed_dim, grid_size): meshgrid(grid_w, grid_h) puts the
    column index in the first plane, which feeds channels [0, D/2) (recipe Q10)."""
    t = OrderedDict()
    for dim, g in ((16, 4), (96, 7)):
        grid_h = torch.arange(g, dtype=torch.float64)
        grid_w = torch.arange(g, dtype=torch.float64)
        # np.meshgrid(grid_w, grid_h) with default 'xy' indexing: plane 0 varies along columns.
        plane0 = grid_w.reshape(1, g).expand(g, g)
        plane1 = grid_h.reshape(g, 1).expand(g, g)
        emb = torch.cat([sincos_1d(dim // 2, plane0), sincos_1d(dim // 2, plane1)], dim=1)
        t[f"pos_embed.d{dim}_g{g}"] = emb.float().reshape(1, g * g, dim)
    save_safetensors(os.path.join(out_dir, "pos_embed.safetensors"), t, {"reference": "ijepa src/models/vision_transformer.py get_2d_sincos_pos_embed"})


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.path.join(root, "tests", "JepaSharp.Tests", "Fixtures"))
    args = parser.parse_args()
    if sys.byteorder != "little":
        sys.exit("safetensors is little-endian; run this on a little-endian machine")
    torch.set_num_threads(1)
    os.makedirs(args.out, exist_ok=True)
    make_vit_block(args.out)
    make_ops(args.out)
    make_adamw(args.out)
    make_dtypes(args.out)
    make_pos_embed(args.out)


if __name__ == "__main__":
    main()
