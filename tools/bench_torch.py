#!/usr/bin/env python3
"""PyTorch yardsticks for `jepa bench` (run by the benchmark with Debian's python3-torch; never a runtime dependency).

  /usr/bin/python3 tools/bench_torch.py block --batch 128 --tokens 49 --dim 192 --heads 3 [--threads 2]

prints one JSON line {"seconds": median forward+backward time, "torch": version, ...}. The caller
sets the environment (stock, or tuned: OPENBLAS_CORETYPE unset, ATEN_CPU_CAPABILITY=avx512,
tcmalloc preloaded) and keeps the best figure.
"""
import argparse
import json
import os
import statistics
import time

import torch
import torch.nn as nn


class Block(nn.Module):
    """Pre-norm ViT block as in I-JEPA/timm (qkv bias, LN eps 1e-6, exact GELU)."""

    def __init__(self, dim, heads, mlp_ratio=4.0):
        super().__init__()
        self.heads = heads
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.fc1 = nn.Linear(dim, int(dim * mlp_ratio))
        self.fc2 = nn.Linear(int(dim * mlp_ratio), dim)
        self.act = nn.GELU()

    def attn(self, x):
        b, t, c = x.shape
        qkv = self.qkv(x).reshape(b, t, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        a = (q @ k.transpose(-2, -1)) * (c // self.heads) ** -0.5
        a = a.softmax(dim=-1)
        return self.proj((a @ v).transpose(1, 2).reshape(b, t, c))

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.fc2(self.act(self.fc1(self.norm2(x))))


def median_time(fn, warmup=3, repeats=10):
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


def bench_block(args):
    torch.manual_seed(0)
    block = Block(args.dim, args.heads)
    x = torch.randn(args.batch, args.tokens, args.dim, requires_grad=True)
    g = torch.randn(args.batch, args.tokens, args.dim)

    def step():
        block.zero_grad(set_to_none=False)
        x.grad = None
        block(x).backward(g)

    return {"seconds": median_time(step, repeats=args.repeats)}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("what", choices=["block"])
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--tokens", type=int, default=49)
    p.add_argument("--dim", type=int, default=192)
    p.add_argument("--heads", type=int, default=3)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeats", type=int, default=10)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    result = bench_block(args)
    result.update(torch=torch.__version__, threads=torch.get_num_threads(),
                  capability=os.environ.get("ATEN_CPU_CAPABILITY", "default"),
                  preload=os.environ.get("LD_PRELOAD", ""))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
