"""PEFT references for saturn's LoRA tests.

Usage: lora_reference.py FAMILY OUT_DIR
       lora_reference.py --logits BASE_DIR ADAPTER_DIR TOKENS OUT

The first form saves FAMILY's small random model (reference.py's) to
OUT_DIR, wraps it with peft (LoraConfig r=4, lora_alpha=8, dropout 0, the
default targets: llama's seven projections, GPT-2's c_attn, c_proj, c_fc),
draws lora_B too (seed 4) so adapters change the output from the start, and
saves that adapter with save_pretrained to OUT_DIR/adapter-init; then
fine-tunes it for 20 steps (torch AdamW over the adapters, lr 1e-3, weight
decay 0.01, batches "train_tokens" [20, 4, 13]) and writes
OUT_DIR/lora_reference.safetensors with the batches and each step's loss
before its update ("train_losses", float64 [20]).

The second form loads BASE_DIR with the adapter in ADAPTER_DIR
(PeftModel.from_pretrained) and writes OUT with its float32 logits on the
int64 "tokens" of TOKENS ("logits") and those of merge_and_unload()
("merged_logits").
"""
import sys

import torch
from safetensors.torch import load_file, save_file
import transformers
import peft

from reference import make_model

TARGETS = {"gpt2": ["c_attn", "c_proj", "c_fc"]}
LLAMA = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


def make(family, out):
    model = make_model(family)
    model.save_pretrained(out)
    config = peft.LoraConfig(r=4, lora_alpha=8, lora_dropout=0.0, target_modules=TARGETS.get(family, LLAMA),
                             fan_in_fan_out=family == "gpt2")
    torch.manual_seed(3)
    pm = peft.get_peft_model(model, config)
    g = torch.Generator().manual_seed(4)
    with torch.no_grad():
        for name, p in pm.named_parameters():
            if "lora_B" in name:
                p.copy_(torch.randn(p.shape, generator=g) * 0.1)
    pm.save_pretrained(out + "/adapter-init")
    batches = torch.randint(0, 96, (20, 4, 13), generator=torch.Generator().manual_seed(2))
    params = [p for p in pm.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=1e-3, betas=(0.9, 0.999), weight_decay=0.01)
    pm.train()
    losses = []
    for b in batches:
        opt.zero_grad(set_to_none=True)
        logits = pm(b[:, :-1]).logits
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.size(-1)), b[:, 1:].reshape(-1))
        loss.backward()
        opt.step()
        losses.append(loss.item())
    save_file({"train_tokens": batches, "train_losses": torch.tensor(losses, dtype=torch.float64)},
              out + "/lora_reference.safetensors")


def logits(base, adapter, tokens_file, out):
    model = transformers.AutoModelForCausalLM.from_pretrained(base, torch_dtype=torch.float32)
    pm = peft.PeftModel.from_pretrained(model, adapter).eval()
    tokens = load_file(tokens_file)["tokens"]
    with torch.no_grad():
        with_adapter = pm(tokens).logits.float()
        merged = pm.merge_and_unload()(tokens).logits.float()
    save_file({"logits": with_adapter.contiguous(), "merged_logits": merged.contiguous()}, out)


if __name__ == "__main__":
    if sys.argv[1] == "--logits":
        logits(*sys.argv[2:6])
    else:
        make(sys.argv[1], sys.argv[2])
