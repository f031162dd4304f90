"""Multiple-choice log-likelihoods as lm-evaluation-harness computes them,
with transformers, for tests/train/test_task_eval.cpp.

Usage: choice_reference.py MODEL_DIR RECORDS_JSONL OUT_JSON

Each record: {"prompt", "choices", "answer"}. The continuation of a choice
is " " + choice; whitespace ending the prompt moves to the continuation;
the whole text and the prompt are tokenized without special tokens and the
continuation's ids are the whole's after the prompt's (lm-eval's
_encode_pair); a choice's log-likelihood is the sum of its ids' log-softmax
under the model given everything before. Writes {"ll": [[per choice] per
record], "accuracy": share, "accuracy_norm": share (ll over the choice's
UTF-8 bytes)}.
"""
import json
import sys

import torch
import transformers


def main():
    folder, records, out = sys.argv[1:4]
    torch.set_num_threads(1)
    model = transformers.AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32).eval()
    tok = transformers.AutoTokenizer.from_pretrained(folder)
    lls, acc, acc_norm, n = [], 0, 0, 0
    for line in open(records, encoding="utf-8"):
        r = json.loads(line)
        row = []
        for choice in r["choices"]:
            context, continuation = r["prompt"], " " + choice
            spaces = len(context) - len(context.rstrip())
            if spaces:
                continuation = context[-spaces:] + continuation
                context = context[:-spaces]
            whole = tok(context + continuation, add_special_tokens=False).input_ids
            ctx = tok(context, add_special_tokens=False).input_ids
            cont = whole[len(ctx):]
            with torch.no_grad():
                logp = torch.log_softmax(model(torch.tensor([whole])).logits[0].float(), -1)
            row.append(sum(logp[p - 1, whole[p]].item() for p in range(len(ctx), len(whole))))
        right = r["answer"] if isinstance(r["answer"], int) else r["choices"].index(r["answer"])
        best = max(range(len(row)), key=lambda k: (row[k], -k))
        best_norm = max(range(len(row)), key=lambda k: (row[k] / max(1, len(r["choices"][k].encode())), -k))
        acc += best == right
        acc_norm += best_norm == right
        n += 1
        lls.append(row)
    json.dump({"ll": lls, "accuracy": acc / n, "accuracy_norm": acc_norm / n}, open(out, "w"))


if __name__ == "__main__":
    main()
