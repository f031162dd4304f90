"""Reference models for saturn's Hugging Face tests, made with transformers.

Usage: reference.py FAMILY OUT_DIR [--shard BYTES]

Builds a small random model of FAMILY (gpt2, llama, llama-gqa, llama3-rope,
mistral, qwen2) from a fixed seed, saves it with save_pretrained (sharded
when --shard is given), and writes OUT_DIR/reference.safetensors with the
token ids it was run on ("tokens", int64 [2, 12]) and its float32 logits
("logits", [2, 12, vocab]); then fine-tunes it in PyTorch for 20 steps
(torch AdamW, lr 1e-3, weight decay 0.01, batches "train_tokens" [20, 4, 13]:
inputs all but the last token, targets all but the first) and adds each
step's loss before its update ("train_losses", float64 [20]).
"""
import argparse

import torch
from safetensors.torch import save_file
import transformers

CONFIGS = {
    "llama": (transformers.LlamaConfig, dict(num_key_value_heads=4)),
    "llama-gqa": (transformers.LlamaConfig, dict(num_key_value_heads=2, tie_word_embeddings=True)),
    "llama3-rope": (transformers.LlamaConfig, dict(
        num_key_value_heads=2, rope_theta=500000.0,
        rope_scaling={"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                      "high_freq_factor": 4.0, "original_max_position_embeddings": 16})),
    "mistral": (transformers.MistralConfig, dict(num_key_value_heads=2, sliding_window=64)),
    "qwen2": (transformers.Qwen2Config, dict(num_key_value_heads=2, tie_word_embeddings=True)),
}


def make_model(family):
    """The family's small random model (seed 0), in eval mode."""
    if family == "gpt2":  # GPT-2's own names; no dropout, a non-default epsilon
        config = transformers.GPT2Config(vocab_size=96, n_embd=64, n_layer=2, n_head=4, n_positions=64,
                                         resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0,
                                         layer_norm_epsilon=1e-4)
    else:
        cls, extra = CONFIGS[family]
        config = cls(vocab_size=96, hidden_size=64, intermediate_size=112, num_hidden_layers=2,
                     num_attention_heads=4, max_position_embeddings=64, rms_norm_eps=1e-5, **extra)
    torch.manual_seed(0)
    model = transformers.AutoModelForCausalLM.from_config(config).eval()
    with torch.no_grad():  # random biases and norm weights too, so every tensor matters
        for name, p in model.named_parameters():
            norm = "norm" in name or ".ln_" in name
            if name.endswith("bias") or norm:
                p.copy_(torch.randn_like(p) * 0.1 + (1.0 if norm and name.endswith("weight") else 0.0))
    return model


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("family", choices=sorted(CONFIGS) + ["gpt2"])
    ap.add_argument("out")
    ap.add_argument("--shard", type=int, default=0)
    a = ap.parse_args()
    model = make_model(a.family)
    kwargs = {"max_shard_size": a.shard} if a.shard else {}
    model.save_pretrained(a.out, **kwargs)
    tokens = torch.randint(0, 96, (2, 12), generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        logits = model(tokens).logits.float()
    batches = torch.randint(0, 96, (20, 4, 13), generator=torch.Generator().manual_seed(2))
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, betas=(0.9, 0.999), weight_decay=0.01)
    model.train()
    losses = []
    for b in batches:
        opt.zero_grad(set_to_none=True)
        out = model(b[:, :-1]).logits
        loss = torch.nn.functional.cross_entropy(out.reshape(-1, out.size(-1)), b[:, 1:].reshape(-1))
        loss.backward()
        opt.step()
        losses.append(loss.item())
    save_file({"tokens": tokens, "logits": logits.contiguous(), "train_tokens": batches,
               "train_losses": torch.tensor(losses, dtype=torch.float64)}, a.out + "/reference.safetensors")


if __name__ == "__main__":
    main()
