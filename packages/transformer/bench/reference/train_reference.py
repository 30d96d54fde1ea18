"""PyTorch reference for bench/train.ts: the same three configs (LLaMA-style MiniGPT with RoPE, RMSNorm and
SwiGLU; a 2-layer LSTM LM), synthetic tokens, forward + backward + clip + AdamW per step, one thread
(LM_STACK_TORCH_THREADS=2 for two).
Prints one JSON line per config: {"config": name, "tokensPerSecond": ...}.
Needs Debian's python3-torch (with libopenblas0-openmp, or torch uses the slow reference BLAS)."""
import json
import os
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(int(os.environ.get('LM_STACK_TORCH_THREADS', '1')))
torch.manual_seed(0)


class RMSNorm(nn.Module):
    def __init__(self, dim, eps=1e-5):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.eps = eps

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rope(x, cos, sin):
    # x: [batch, heads, seq, head_dim]; adjacent pairs (2i, 2i+1), as llama.cpp and our MiniGPT
    x0, x1 = x[..., 0::2], x[..., 1::2]
    return torch.stack((x0 * cos - x1 * sin, x1 * cos + x0 * sin), dim=-1).flatten(-2)


class Block(nn.Module):
    def __init__(self, d, heads, ff):
        super().__init__()
        self.heads = heads
        self.attn_norm, self.ffn_norm = RMSNorm(d), RMSNorm(d)
        self.q, self.k, self.v, self.o = (nn.Linear(d, d, bias=False) for _ in range(4))
        self.gate, self.up = nn.Linear(d, ff, bias=False), nn.Linear(d, ff, bias=False)
        self.down = nn.Linear(ff, d, bias=False)

    def forward(self, x, cos, sin):
        b, t, d = x.shape
        h = self.attn_norm(x)
        q, k, v = (m(h).view(b, t, self.heads, d // self.heads).transpose(1, 2) for m in (self.q, self.k, self.v))
        q, k = rope(q, cos, sin), rope(k, cos, sin)
        scores = (q @ k.transpose(-2, -1)) / (d // self.heads) ** 0.5  # torch 1.13 has no scaled_dot_product_attention
        scores = scores.masked_fill(torch.ones(t, t, dtype=torch.bool).triu(1), float("-inf"))
        y = F.softmax(scores, dim=-1) @ v
        x = x + self.o(y.transpose(1, 2).reshape(b, t, d))
        h = self.ffn_norm(x)
        return x + self.down(F.silu(self.gate(h)) * self.up(h))


class MiniGpt(nn.Module):
    def __init__(self, vocab, d, layers, heads, ff, context):
        super().__init__()
        self.embed = nn.Embedding(vocab, d)
        self.blocks = nn.ModuleList(Block(d, heads, ff) for _ in range(layers))
        self.norm = RMSNorm(d)
        self.head = nn.Linear(d, vocab, bias=False)
        hd = d // heads
        angles = torch.arange(context)[:, None] * 10000.0 ** (-torch.arange(0, hd, 2) / hd)
        self.register_buffer("cos", angles.cos())
        self.register_buffer("sin", angles.sin())

    def forward(self, ids):
        x = self.embed(ids)
        t = ids.shape[1]
        for block in self.blocks:
            x = block(x, self.cos[:t], self.sin[:t])
        return self.head(self.norm(x))


class LstmLm(nn.Module):
    def __init__(self, vocab, embedding, hidden, layers):
        super().__init__()
        self.embed = nn.Embedding(vocab, embedding)
        self.lstm = nn.LSTM(embedding, hidden, layers, batch_first=True)
        self.head = nn.Linear(hidden, vocab)

    def forward(self, ids):
        return self.head(self.lstm(self.embed(ids))[0])


CONFIGS = {
    "tiny": (lambda: MiniGpt(512, 128, 4, 4, 512, 128), 512, 128, 16),
    "small": (lambda: MiniGpt(4096, 256, 6, 8, 1024, 256), 4096, 256, 8),
    "lstm": (lambda: LstmLm(512, 128, 256, 2), 512, 128, 16),
}

for name in sys.argv[1:] or CONFIGS:
    make, vocab, context, batch = CONFIGS[name]
    model = make()
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-4, weight_decay=0.1)
    data = torch.randint(0, vocab, (batch, context + 1))

    def step():
        logits = model(data[:, :-1])
        loss = F.cross_entropy(logits.reshape(-1, vocab), data[:, 1:].reshape(-1))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()

    step()
    steps = 5
    start = time.perf_counter()
    for _ in range(steps):
        step()
    seconds = (time.perf_counter() - start) / steps
    print(json.dumps({"config": name, "tokensPerSecond": batch * context / seconds}), flush=True)
