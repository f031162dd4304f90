"""The same GPT as saturn's `gpt` (lib/train/models/gpt.cpp), written in
PyTorch Python: learned positions, pre-LayerNorm blocks with causal
self-attention and a GELU MLP, tied head; AdamW, gradient clipping at 1.0,
cross-entropy. Trains on random tokens and prints steps/s after warm-up.

Usage: python3 gpt_reference.py LAYERS WIDTH HEADS SEQ_LEN VOCAB BATCH STEPS WARMUP THREADS
"""
import math
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, width, heads, seq_len):
        super().__init__()
        self.heads = heads
        self.ln1 = nn.LayerNorm(width)
        self.ln2 = nn.LayerNorm(width)
        self.qkv = nn.Linear(width, 3 * width)
        self.proj = nn.Linear(width, width)
        self.fc = nn.Linear(width, 4 * width)
        self.fc_proj = nn.Linear(4 * width, width)
        self.register_buffer("mask", torch.ones(seq_len, seq_len, dtype=torch.bool).tril())

    def attention(self, x):
        b, t, c = x.shape
        h, d = self.heads, c // self.heads
        q, k, v = self.qkv(x).view(b, t, 3, h, d).permute(2, 0, 3, 1, 4)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(d))
        att = att.masked_fill(self.mask[:t, :t].logical_not(), float("-inf"))
        y = torch.softmax(att, -1) @ v
        return self.proj(y.transpose(1, 2).reshape(b, t, c))

    def forward(self, x):
        x = x + self.attention(self.ln1(x))
        return x + self.fc_proj(F.gelu(self.fc(self.ln2(x))))


class GPT(nn.Module):
    def __init__(self, layers, width, heads, seq_len, vocab):
        super().__init__()
        self.tok = nn.Embedding(vocab, width)
        self.pos = nn.Embedding(seq_len, width)
        self.blocks = nn.ModuleList(Block(width, heads, seq_len) for _ in range(layers))
        self.ln = nn.LayerNorm(width)

    def forward(self, idx):
        x = self.tok(idx) + self.pos(torch.arange(idx.shape[1]))
        for b in self.blocks:
            x = b(x)
        return F.linear(self.ln(x), self.tok.weight)


def main():
    layers, width, heads, seq_len, vocab, batch, steps, warmup, threads = map(int, sys.argv[1:10])
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = GPT(layers, width, heads, seq_len, vocab)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.0)
    model.train()
    start = None
    for step in range(steps):
        if step == warmup:
            start = time.perf_counter()
        seq = torch.randint(0, vocab, (batch, seq_len + 1))
        x, y = seq[:, :-1], seq[:, 1:]
        opt.zero_grad()
        logits = model(x)
        loss = F.cross_entropy(logits.reshape(-1, vocab), y.reshape(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        loss.item()
    print("%.4f" % ((steps - warmup) / (time.perf_counter() - start)))


if __name__ == "__main__":
    main()
