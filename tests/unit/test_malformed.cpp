// Malformed workloads: each gives exactly one positioned line and an exit code.
#include <catch2/catch.hpp>

#include "workload_text.h"
#include "source_dir.h"

using namespace saturn;
using namespace saturn::test;

namespace {

struct Case {
  std::string name;
  std::string text;
  std::string error;
  int exit_code = 65;
  bool check_files = false;
};

std::string repeat_list(int n) {
  std::string r = "[";
  for (int i = 0; i < n; ++i) r += (i ? ", " : "") + std::to_string(i);
  return r + "]";
}

const std::string kSrc = source_dir();

std::vector<Case> cases() {
  return {
      {"lr not a number", with_line(13, "    lr: [1e-3, fast]"),
       "w.yaml:13:16: search.grid.lr[1]: expected a positive number, got \"fast\""},
      {"lr scalar not a number", with_line(13, "    lr: fast"),
       "w.yaml:13:9: search.grid.lr: expected a positive number, got \"fast\""},
      {"random: lr also in the grid", with_line(13, "    lr: [1e-3]\n  random: {trials: 4, lr: {log: [1e-4, 1e-2]}}"),
       "w.yaml:14:23: search.random.lr: lr is also in search.grid: search a key one way"},
      {"random: no trials", with_line(13, "    lr: [1e-3]\n  random: {weight_decay: {uniform: [0, 0.1]}}"),
       "w.yaml:14:11: search.random: missing required key \"trials\""},
      {"random: int on a real key", with_line(13, "    lr: [1e-3]\n  random: {trials: 2, weight_decay: {int: [0, 1]}}"),
       "w.yaml:14:38: search.random.weight_decay.int: weight_decay is a real number: use log or uniform"},
      {"random: log from 0", with_line(13, "    lr: [1e-3]\n  random: {trials: 2, weight_decay: {log: [0, 0.1]}}"),
       "w.yaml:14:44: search.random.weight_decay.log[0]: a log range starts above 0"},
      {"random: lo above hi", with_line(13, "    lr: [1e-3]\n  random: {trials: 2, weight_decay: {uniform: [0.2, 0.1]}}"),
       "w.yaml:14:47: search.random.weight_decay.uniform: expected lo < hi, got [0.2, 0.1]"},
      {"random: unknown distribution", with_line(13, "    lr: [1e-3]\n  random: {trials: 2, weight_decay: {normal: [0, 1]}}"),
       "w.yaml:14:38: search.random.weight_decay.normal: expected one of log, uniform, int, choice, got \"normal\""},
      {"random: no keys", with_line(13, "    lr: [1e-3]\n  random: {trials: 2}"),
       "w.yaml:14:11: search.random: no key to sample: give at least one, e.g. lr: {log: [1e-4, 1e-2]}"},
      {"early stopping: unknown rule", with_line(13, "    lr: [1e-3]\n  early_stopping: hyperband"),
       "w.yaml:14:19: search.early_stopping: expected one of asha, median, got \"hyperband\""},
      {"early stopping: eta 1", with_line(13, "    lr: [1e-3]\n  early_stopping: {rule: asha, eta: 1}"),
       "w.yaml:14:37: search.early_stopping.eta: expected a whole number from 2 to 1000, got \"1\""},
      {"early stopping: brackets with median", with_line(13, "    lr: [1e-3]\n  early_stopping: {rule: median, brackets: 2}"),
       "w.yaml:14:44: search.early_stopping.brackets: brackets apply to rule asha"},
      {"early stopping: min_jobs with asha", with_line(13, "    lr: [1e-3]\n  early_stopping: {rule: asha, min_jobs: 2}"),
       "w.yaml:14:42: search.early_stopping.min_jobs: min_jobs applies to rule median"},
      {"early stopping: first rung at the end", with_line(13, "    lr: [1e-3]\n  early_stopping: {rule: asha, min_steps: 10}"),
       "w.yaml:14:43: search.early_stopping.min_steps: the first rung (step 10) is not below the jobs' 10 steps: no job would ever be compared"},
      {"early stopping: no validation data",
       with_line(7, "  train: {format: synthetic, samples: 100}\n  valid_fraction: 0",
                 with_line(13, "    lr: [1e-3]\n  early_stopping: {rule: asha, metric: valid_loss}")),
       "w.yaml:15:40: search.early_stopping.metric: metric valid_loss needs validation data, and model \"m\" has none (data.valid_fraction is 0): give data.valid, or use metric: train_loss"},
      {"early stopping: unknown metric", with_line(13, "    lr: [1e-3]\n  early_stopping: {rule: asha, metric: accuracy}"),
       "w.yaml:14:40: search.early_stopping.metric: expected valid_loss, train_loss, or a task's eval.NAME.METRIC, got \"accuracy\""},
      {"lr negative", with_line(13, "    lr: [-1e-3]"),
       "w.yaml:13:10: search.grid.lr[0]: expected a positive number, got \"-1e-3\""},
      {"misspelt top-level key", with_line(1, "nmae: t"),
       "w.yaml:1:1: nmae: unknown key, did you mean \"name\"?"},
      {"missing name", with_line(1, ""), "w.yaml:1:1: missing required key \"name\""},
      {"unknown device kind", with_line(5, "      devices: {kind: gpu, count: 2}"),
       "w.yaml:5:23: cluster.nodes[0].devices.kind: unknown value \"gpu\", did you mean \"cpu\"?"},
      {"zero devices", with_line(5, "      devices: {kind: cpu, count: 0}"),
       "w.yaml:5:35: cluster.nodes[0].devices.count: expected a whole number from 1 to 1024, got \"0\""},
      {"cuda without model or memory", with_line(5, "      devices: {kind: cuda, count: 2}"),
       "w.yaml:5:16: cluster.nodes[0].devices: a cuda device needs a catalog model or a memory size"},
      {"unknown GPU model", with_line(5, "      devices: {kind: cuda, count: 2, model: H100}"),
       "w.yaml:5:46: cluster.nodes[0].devices.model: unknown device model \"H100\", did you mean \"H100-80GB\"?"},
      {"bad memory size", with_line(5, "      devices: {kind: cpu, count: 2, memory: lots}"),
       "w.yaml:5:46: cluster.nodes[0].devices.memory: expected a size like 8GiB, 512MiB or 16GB, got \"lots\""},
      {"threads on cuda", with_line(5, "      devices: {kind: cuda, count: 2, model: A100-40GB, threads: 4}"),
       "w.yaml:5:66: cluster.nodes[0].devices.threads: applies to cpu devices only"},
      {"duplicate node name",
       with_line(5, "      devices: {kind: cpu, count: 2}\n    - name: local\n      devices: {kind: cpu, count: 1}"),
       "w.yaml:6:13: cluster.nodes[1].name: duplicate node name \"local\""},
      {"no nodes", with_lines(3, 5, "  nodes: []"),
       "w.yaml:3:10: cluster.nodes: expected at least one node, got an empty list"},
      {"cluster neither nodes nor slurm", with_lines(2, 5, "cluster: local"),
       "w.yaml:2:10: cluster: expected a mapping with nodes (or slurm), got \"local\""},
      {"slurm beside nodes", with_line(3, "  slurm: {}\n  nodes:"),
       "w.yaml:5:5: cluster.nodes: give either nodes or slurm, not both"},
      {"slurm misspelt key", with_lines(3, 5, "  slurm: {node: 2}"),
       "w.yaml:3:11: cluster.slurm.node: unknown key, did you mean \"nodes\"?"},
      {"slurm zero nodes", with_lines(3, 5, "  slurm: {nodes: 0}"),
       "w.yaml:3:18: cluster.slurm.nodes: expected a whole number from 1 to 4096, got \"0\""},
      {"slurm cuda without model", with_lines(3, 5, "  slurm:\n    devices: {kind: cuda}"),
       "w.yaml:4:14: cluster.slurm.devices: a cuda device needs a catalog model or a memory size"},
      {"slurm unknown GPU model", with_lines(3, 5, "  slurm:\n    devices: {model: A100-40G}"),
       "w.yaml:4:22: cluster.slurm.devices.model: unknown device model \"A100-40G\", did you mean \"A100-40GB\"?"},
      {"zero replicas", with_line(4, "    - name: local\n      replicas: 0"),
       "w.yaml:5:17: cluster.nodes[0].replicas: expected a whole number from 1 to 4096, got \"0\""},
      {"missing models", with_lines(8, 10, ""), "w.yaml:1:1: missing required key \"models\""},
      {"unknown arch", with_line(10, "    arch: transformer"),
       "w.yaml:10:11: models[0].arch: expected one of gpt, mlp, vit, resnet, torchscript, llama, got \"transformer\""},
      {"misspelt config key", with_line(10, "    arch: gpt\n    config: {layer: 2}"),
       "w.yaml:11:14: models[0].config.layer: unknown key, did you mean \"layers\"?"},
      {"width not a multiple of heads", with_line(10, "    arch: gpt\n    config: {width: 100, heads: 3}"),
       "w.yaml:11:13: models[0].config: width (100) must be a multiple of heads (3)"},
      {"fractional layers", with_line(10, "    arch: gpt\n    config: {layers: 2.5}"),
       "w.yaml:11:22: models[0].config.layers: expected a whole number from 1 to 1024, got \"2.5\""},
      {"dropout out of range", with_line(10, "    arch: gpt\n    config: {dropout: 1.5}"),
       "w.yaml:11:23: models[0].config.dropout: expected a number in [0, 0.99], got \"1.5\""},
      {"flag not a boolean", with_line(10, "    arch: gpt\n    config: {tied_head: maybe}"),
       "w.yaml:11:25: models[0].config.tied_head: expected true or false, got \"maybe\""},
      {"duplicate model name", with_line(10, "    arch: gpt\n  - name: m\n    arch: mlp"),
       "w.yaml:11:11: models[1].name: duplicate model name \"m\""},
      {"vit on token data",
       with_line(7, "  train: {format: tokens, path: x.bin}", with_line(10, "    arch: vit")),
       "w.yaml:10:11: models[0].arch: vit needs image data (idx, cifar or synthetic), but its data is tokens"},
      {"torchscript without path", with_line(10, "    arch: torchscript"),
       "w.yaml:9:5: models[0]: missing required key \"path\" (the saved TorchScript module)"},
      {"path on a gpt model", with_line(10, "    arch: gpt\n    path: m.pt"),
       "w.yaml:11:11: models[0].path: applies to arch torchscript only"},
      {"misspelt grid key", with_line(13, "    lrr: [1e-3]"),
       "w.yaml:13:5: search.grid.lrr: not a hyperparameter nor a config key of model \"m\" (arch gpt), "
       "did you mean \"lr\"?"},
      {"a hyperparameter under another name", with_line(13, "    learning_rate: [1e-3]"),
       "w.yaml:13:5: search.grid.learning_rate: not a hyperparameter nor a config key of model \"m\" (arch gpt), "
       "did you mean \"lr\"?"},
      {"Hugging Face's batch size name", with_line(13, "    per_device_train_batch_size: [8]"),
       "w.yaml:13:5: search.grid.per_device_train_batch_size: not a hyperparameter nor a config key of model \"m\" "
       "(arch gpt), did you mean \"batch_size\"?"},
      {"a job id's abbreviation", with_line(13, "    wd: [0.1]"),
       "w.yaml:13:5: search.grid.wd: not a hyperparameter nor a config key of model \"m\" (arch gpt), "
       "did you mean \"weight_decay\"?"},
      {"duplicate grid value", with_line(13, "    lr: [1e-3, 0.001]"),
       "w.yaml:13:16: search.grid.lr[1]: duplicate value 1e-3"},
      {"zero batch size", with_line(13, "    batch_size: [0]"),
       "w.yaml:13:18: search.grid.batch_size[0]: expected a whole number from 1 to 16777216, got \"0\""},
      {"config axis missing from a model",
       with_line(10, "    arch: gpt\n  - name: n\n    arch: mlp", with_line(13, "    heads: [2, 4]")),
       "w.yaml:15:5: search.grid.heads: not a hyperparameter nor a config key of model \"n\" (arch mlp)"},
      {"grid point with an inconsistent config", with_line(13, "    heads: [4, 3]"),
       "w.yaml:13:5: search.grid: model \"m\" at heads=3: width (128) must be a multiple of heads (3)"},
      {"steps and epochs", with_line(15, "  steps: 10\n  epochs: 2"),
       "w.yaml:16:11: train.epochs: give steps or epochs, not both"},
      {"neither steps nor epochs", with_line(15, "  optimizer: adamw"),
       "w.yaml:15:3: train: missing required key \"steps\" (or \"epochs\")"},
      {"misspelt optimizer", with_line(15, "  steps: 10\n  optimizer: adam"),
       "w.yaml:16:14: train.optimizer: unknown value \"adam\", did you mean \"adamw\"?"},
      {"checkpoint_every neither steps nor a duration", with_line(15, "  steps: 10\n  checkpoint_every: often"),
       "w.yaml:16:21: train.checkpoint_every: expected steps (a whole number, 0: none) or a duration above zero like 10m, got \"often\""},
      {"checkpoint_every a zero duration", with_line(15, "  steps: 10\n  checkpoint_every: 0s"),
       "w.yaml:16:21: train.checkpoint_every: expected steps (a whole number, 0: none) or a duration above zero like 10m, got \"0s\""},
      {"stall_factor below 2", with_line(15, "  steps: 10\n  stall_factor: 1.5"),
       "w.yaml:16:17: train.stall_factor: expected a number >= 2 (step times a group may go without progress), got \"1.5\""},
      {"stall_floor zero", with_line(15, "  steps: 10\n  stall_floor: 0s"),
       "w.yaml:16:16: train.stall_floor: expected a duration above zero, got \"0s\""},
      {"zero steps", with_line(15, "  steps: 0"),
       "w.yaml:15:10: train.steps: expected a whole number >= 1, got \"0\""},
      {"unknown data format", with_line(7, "  train: {format: tsv}"),
       "w.yaml:7:19: data.train.format: unknown value \"tsv\", did you mean \"csv\"?"},
      {"no format, and a path that does not say", with_line(7, "  train: {path: data/corpus.bin}"),
       "w.yaml:7:10: data.train: format: missing, and the path does not say it (.jsonl, .json, .csv, .parquet, .arrow, "
       ".txt, a datasets folder): give one of text, tokens, synthetic, idx, cifar, jsonl, json, csv, parquet, arrow"},
      {"fields.roles to an unknown role", with_line(7, "  train: {path: c.jsonl, fields: {roles: {human: person}}}"),
       "w.yaml:7:50: data.train.fields.roles.human: expected user, assistant, system or tool, got \"person\""},
      {"chat fields on pairs", with_line(7, "  train: {format: jsonl, path: c.jsonl, fields: {prompt: p, completion: c, role: r}}"),
       "w.yaml:7:49: data.train.fields: role, content and roles apply to chats (messages)"},
      {"jsonl prompt without completion", with_line(7, "  train: {format: jsonl, path: d.jsonl, fields: {prompt: q}}"),
       "w.yaml:7:49: data.train.fields: prompt needs completion"},
      {"jsonl two kinds of fields", with_line(7, "  train: {format: jsonl, path: d.jsonl, fields: {text: t, messages: m}}"),
       "w.yaml:7:49: data.train.fields: give text, prompt and completion (input optional), or messages: one kind of record"},
      {"jsonl unknown template", with_line(7, "  train: {format: jsonl, path: d.jsonl, template: chatml5}"),
       "w.yaml:7:51: data.train.template: expected none, chatml, llama3, a FILE.jinja chat template, or a text with one {prompt} before one {completion}"},
      {"jsonl long_examples", with_line(7, "  train: {format: jsonl, path: d.jsonl, long_examples: drop}"),
       "w.yaml:7:56: data.train.long_examples: expected one of split, truncate, got \"drop\""},
      {"jsonl without a tokenizer", with_line(7, "  train: {format: jsonl, path: d.jsonl}"),
       "w.yaml:10:11: models[0].arch: jsonl data needs a tokenizer: data.tokenizer, or `from` a folder with tokenizer.json"},
      {"fields on text data", with_line(7, "  train: {format: text, path: d.txt, fields: {text: t}}"),
       "w.yaml:7:46: data.train.fields: does not apply to format text"},
      {"synthetic without samples", with_line(7, "  train: {format: synthetic}"),
       "w.yaml:7:10: data.train: missing required key \"samples\""},
      {"path on synthetic data", with_line(7, "  train: {format: synthetic, samples: 10, path: x}"),
       "w.yaml:7:49: data.train.path: does not apply to format synthetic"},
      {"negative synthetic noise", with_line(7, "  train: {format: synthetic, samples: 10, noise: -1}"),
       "w.yaml:7:50: data.train.noise: expected a number in [0, 100], got \"-1\""},
      {"noise on text data", with_line(7, "  train: {format: text, path: x, noise: 3}"),
       "w.yaml:7:41: data.train.noise: does not apply to format text"},
      {"valid fraction too large", with_line(7, "  train: {format: synthetic, samples: 100}\n  valid_fraction: 0.7"),
       "w.yaml:8:19: data.valid_fraction: expected a number in [0, 0.5], got \"0.7\""},
      {"missing data file", with_line(7, "  train: {format: text, path: nope.txt}"),
       "w.yaml:7:31: data.train.path: file not found: \"" + kSrc + "/workloads/nope.txt\"", 66, true},
      {"records: a glob that matches nothing", with_line(7, "  train: {path: \"data/train-*.parquet\"}"),
       "w.yaml:7:17: data.train.path: " + kSrc + "/workloads/data/train-*.parquet: no file matches", 66, true},
      {"records: a folder of mixed files, no format", with_line(7, "  train: {path: data}"),
       "w.yaml:7:10: data.train: format: missing, and the path does not say it (.jsonl, .json, .csv, .parquet, .arrow, "
       ".txt, a datasets folder): give one of text, tokens, synthetic, idx, cifar, jsonl, json, csv, parquet, arrow", 65, true},
      {"records: a folder without files of the format", with_line(7, "  train: {format: parquet, path: data}"),
       "w.yaml:7:34: data.train.path: " + kSrc + "/workloads/data: no *.parquet files in the folder", 66, true},
      {"data.tools on synthetic data", with_line(7, "  train: {format: synthetic, samples: 100}\n  tools: t.json"),
       "w.yaml:8:10: data.tools: applies only to records (jsonl, json, csv, parquet, arrow)"},
      {"data.tools not a JSON list", with_line(7, "  train: {path: data/chat.jsonl}\n  tools: data/chat.jsonl"),
       "w.yaml:8:10: data.tools: \"data/chat.jsonl\" is not a JSON list of tool definitions (objects)", 65, true},
      {"eval: a metric of another kind", with_line(15, "  steps: 10\neval:\n  - {name: t, data: t.jsonl, kind: choice, metric: exact_match}"),
       "w.yaml:17:52: eval[0].metric: expected one of accuracy, accuracy_norm, got \"exact_match\""},
      {"eval: normalize on a choice task", with_line(15, "  steps: 10\neval:\n  - {name: t, data: t.jsonl, kind: choice, metric: accuracy, normalize: [strip]}"),
       "w.yaml:17:73: eval[0].normalize: applies to kind generate (a choice is chosen, not compared)"},
      {"eval: two tasks of one name", with_line(15, "  steps: 10\neval:\n  - {name: t, data: t.jsonl, kind: generate, metric: contains}\n"
                                                   "  - {name: t, data: u.jsonl, kind: generate, metric: contains}"),
       "w.yaml:18:12: eval[1].name: duplicate task name \"t\""},
      {"eval: a data path that does not say its format", with_line(15, "  steps: 10\neval:\n  - {name: t, data: t.bin, kind: generate, metric: contains}"),
       "w.yaml:17:21: eval[0].data: the path does not say its format (.jsonl, .json, .csv, .parquet, .arrow, a datasets folder): give format"},
      {"early stopping on a metric no eval task gives", with_line(13, "    lr: [1e-3, 3e-4]\n  early_stopping: {rule: asha, metric: eval.add.exact_match}"),
       "w.yaml:14:40: search.early_stopping.metric: \"eval.add.exact_match\" is no eval task's metric (the workload has no eval: tasks)"},
      {"idx without labels", with_line(7, "  train: {format: idx, path: x.idx}", with_line(10, "    arch: mlp")),
       "w.yaml:7:10: data.train: missing required key \"labels\""},
      {"unknown technique", with_line(15, "  steps: 10\ntechniques: [ddp, zero]"),
       "w.yaml:16:19: techniques[1]: expected one of single, ddp, fsdp, pipeline, spill, fused, got \"zero\""},
      {"duplicate technique", with_line(15, "  steps: 10\ntechniques: [ddp, ddp]"),
       "w.yaml:16:19: techniques[1]: duplicate technique \"ddp\""},
      {"bad duration", with_line(15, "  steps: 10\nplanner:\n  time_limit: soon"),
       "w.yaml:17:15: planner.time_limit: expected a duration like 30s, 5m or 1h30m, got \"soon\""},
      {"misspelt introspection key", with_line(15, "  steps: 10\nplanner:\n  introspection: {intervall: 5m}"),
       "w.yaml:17:19: planner.introspection.intervall: unknown key, did you mean \"interval\"?"},
      {"top level is a list", "- a\n- b\n", "w.yaml:1:1: expected a mapping at the top level, got a list"},
      {"empty document", "", "w.yaml: empty document, expected a mapping"},
      {"name with a space", with_line(1, "name: my run"),
       "w.yaml:1:7: name: expected a name of letters, digits, '.', '_' and '-' (at most 64, starting with "
       "a letter or digit), got \"my run\""},
      {"duplicate top-level key", with_line(1, "name: t\nname: u"), "w.yaml:2:1: name: duplicate key \"name\""},
      {"byte text with a small vocab",
       with_line(7, "  train: {format: text, path: data/corpus.txt}",
                 with_line(10, "    arch: gpt\n    config: {vocab: 100}")),
       "w.yaml:11:13: models[0].config: text data is read as bytes and needs vocab >= 256, got 100", 65, true},
      {"grid too large",
       with_line(13, "    lr: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\n    seed: " + repeat_list(50) + "\n    warmup: " + repeat_list(300)),
       "w.yaml:13:5: search.grid: the search expands to 150000 jobs; at most 100000 are allowed"},
      {"weight decay negative", with_line(13, "    weight_decay: -1"),
       "w.yaml:13:19: search.grid.weight_decay: expected a number in [0, 10], got \"-1\""},
      {"node without a name", with_line(4, "    - devices: {kind: cpu, count: 2}", with_lines(5, 5, "")),
       "w.yaml:4:7: cluster.nodes[0]: missing required key \"name\""},
      {"cpu device with a GPU model", with_line(5, "      devices: {kind: cpu, count: 2, model: L4}"),
       "w.yaml:5:45: cluster.nodes[0].devices.model: cpu devices take model \"cpu\" (or none), got \"L4\""},
  };
}

}  // namespace

TEST_CASE("the base workload is valid") {
  CHECK(outcome_of(kBaseWorkload).message == "ok");
}

TEST_CASE("malformed workloads give one exact line each") {
  const auto all = cases();
  CHECK(all.size() >= 30);
  for (const auto& c : all) {
    DYNAMIC_SECTION(c.name) {
      Outcome o = outcome_of(c.text, c.check_files);
      CHECK(o.message == c.error);
      CHECK(o.exit_code == c.exit_code);
      CHECK(o.message.find('\n') == std::string::npos);
    }
  }
}

TEST_CASE("YAML syntax errors are positioned") {
  Outcome o = outcome_of(with_line(13, "    lr: [1e-3"));
  CHECK(o.exit_code == 65);
  CHECK_THAT(o.message, Catch::StartsWith("w.yaml:") && Catch::Contains(": invalid YAML: "));
}

TEST_CASE("deeply nested YAML is an error, not a stack overflow") {
  const std::string deep = "name: " + std::string(100000, '[') + std::string(100000, ']') + "\n";
  Outcome o = outcome_of(deep);
  CHECK(o.exit_code == 65);
  CHECK_THAT(o.message, Catch::StartsWith("w.yaml:1:") && Catch::Contains(": invalid YAML: nested more than "));
}

TEST_CASE("control characters never reach a message") {
  Outcome o = outcome_of(with_line(1, "\"na\\nme\": t"));
  CHECK(o.message == "w.yaml:1:1: \"na\\x0ame\": unknown key, did you mean \"name\"?");
  Outcome p = outcome_of(with_line(7, "  train: {format: text, path: \"a\\x1cb\"}"));
  CHECK(p.message == "w.yaml:7:31: data.train.path: expected printable UTF-8 text, got \"a\\x1cb\"");
  Outcome q = outcome_of(with_line(13, "    lr: \"" + std::string(500, 'x') + "\""));
  CHECK(q.message == "w.yaml:13:9: search.grid.lr: expected a positive number, got \"" + std::string(80, 'x') + "...\"");
}
