"""The same GPT as saturn's `gpt` (lib/train/models/gpt.cpp), written in
PyTorch Python: learned positions, pre-LayerNorm blocks with causal
self-attention (scaled_dot_product_attention, is_causal) and a GELU MLP, tied
head; AdamW, gradient clipping at 1.0, cross-entropy. Trains on random tokens
and prints steps/s after warm-up. MODE: eager, or compile (torch.compile of
the model with the default inductor backend; compilation happens in the
warm-up steps).

Usage: python gpt_reference.py LAYERS WIDTH HEADS SEQ_LEN VOCAB BATCH STEPS WARMUP THREADS [MODE]
"""
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, width, heads):
        super().__init__()
        self.heads = heads
        self.ln1 = nn.LayerNorm(width)
        self.ln2 = nn.LayerNorm(width)
        self.qkv = nn.Linear(width, 3 * width)
        self.proj = nn.Linear(width, width)
        self.fc = nn.Linear(width, 4 * width)
        self.fc_proj = nn.Linear(4 * width, width)

    def attention(self, x):
        b, t, c = x.shape
        h, d = self.heads, c // self.heads
        q, k, v = self.qkv(x).view(b, t, 3, h, d).permute(2, 0, 3, 1, 4)
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        return self.proj(y.transpose(1, 2).reshape(b, t, c))

    def forward(self, x):
        x = x + self.attention(self.ln1(x))
        return x + self.fc_proj(F.gelu(self.fc(self.ln2(x))))


class GPT(nn.Module):
    def __init__(self, layers, width, heads, seq_len, vocab):
        super().__init__()
        self.tok = nn.Embedding(vocab, width)
        self.pos = nn.Embedding(seq_len, width)
        self.blocks = nn.ModuleList(Block(width, heads) for _ in range(layers))
        self.ln = nn.LayerNorm(width)

    def forward(self, idx):
        x = self.tok(idx) + self.pos(torch.arange(idx.shape[1]))
        for b in self.blocks:
            x = b(x)
        return F.linear(self.ln(x), self.tok.weight)


def main():
    layers, width, heads, seq_len, vocab, batch, steps, warmup, threads = map(int, sys.argv[1:10])
    mode = sys.argv[10] if len(sys.argv) > 10 else "eager"
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = GPT(layers, width, heads, seq_len, vocab)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.0)
    model.train()
    step_model = torch.compile(model) if mode == "compile" else model
    start = None
    for step in range(steps):
        if step == warmup:
            start = time.perf_counter()
        seq = torch.randint(0, vocab, (batch, seq_len + 1))
        x, y = seq[:, :-1], seq[:, 1:]
        opt.zero_grad()
        logits = step_model(x)
        loss = F.cross_entropy(logits.reshape(-1, vocab), y.reshape(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        loss.item()
    print("%.4f" % ((steps - warmup) / (time.perf_counter() - start)))


if __name__ == "__main__":
    main()
