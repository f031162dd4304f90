// Parsing and validation of workload files (saturn-workload(5)). Every check
// fails with one positioned line; nothing here writes anywhere.
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include "data_files.h"
#include "hf_config.h"
#include "hyperparams.h"
#include "run_settings_parse.h"
#include "search_parse.h"
#include "slurm_env.h"
#include "text.h"
#include "units.h"
#include "workload.h"
#include "yaml_field.h"

namespace saturn {
namespace {

// A grid axis before it is checked against the models it applies to.
struct AxisField {
  Field key;
  Field values;
};

class Parser {
 public:
  Parser(const LoadOptions& options, std::string base_dir)
      : options_(options),
        catalog_(options.catalog ? *options.catalog : default_catalog()),
        base_dir_(std::move(base_dir)) {}

  Workload workload(const Field& root) const;

 private:
  // Runs one part of the parse. Collecting (options.errors), an Error it
  // throws is kept and false returned; otherwise it propagates.
  template <class F>
  bool part(F&& f) const {
    if (!options_.errors) {
      f();
      return true;
    }
    try {
      f();
      return true;
    } catch (const Error& e) {
      if (options_.errors->size() < kMaxWorkloadErrors) options_.errors->push_back(e);
      return false;
    }
  }
  std::string resolve(const std::string& p) const { return resolve_path(base_dir_, p); }
  std::string file(const Field& f, bool folder_too = false) const;
  std::string records_path(const Field& f, const std::string& reader) const;
  Cluster cluster(const Field& f) const;
  void devices(const Field& d, Node& n, bool slurm) const;
  Node node(const Field& f) const;
  ModelSpec model(const Field& f, const DataSpec* workload_data, const FinetuneSpec& workload_ft,
                  const std::optional<Field>& workload_ft_field) const;
  FinetuneSpec finetune(const Field& f, FinetuneSpec base) const;
  void check_finetune(const Field& where, const ModelSpec& m) const;
  HfModel pretrained(const Field& f, ModelSpec* m) const;
  DataSpec data(const Field& f) const;
  DataSource source(const Field& f) const;
  JsonlSpec jsonl_spec(const Field& f) const;
  std::vector<EvalTask> eval_tasks(const Field& f) const;
  void check_grid_points(const Field& grid_field, const Workload& w, const ModelSpec& m) const;

  const LoadOptions& options_;
  const Catalog& catalog_;
  std::string base_dir_;
};

// A file the workload names: must exist and be a regular file.
std::string Parser::file(const Field& f, bool folder_too) const {
  std::string p = f.text();
  if (!options_.check_files) return p;
  struct stat st {};
  const std::string full = resolve(p);
  if (::stat(full.c_str(), &st) != 0) f.fail("file not found: " + quoted(excerpt(full, 256)), ErrorKind::NoInput);
  if (!S_ISREG(st.st_mode) && !(folder_too && S_ISDIR(st.st_mode)))
    f.fail(std::string(folder_too ? "not a file or folder: " : "not a regular file: ") + quoted(excerpt(full, 256)),
           ErrorKind::NoInput);
  return p;
}

// Records' path: a file, a folder or a glob (core/data_files.h) naming at
// least one file.
std::string Parser::records_path(const Field& f, const std::string& reader) const {
  const std::string p = f.text();
  if (!options_.check_files) return p;
  const std::string full = resolve(p);
  struct stat st {};
  if (::stat(full.c_str(), &st) == 0 && S_ISREG(st.st_mode)) return p;
  if (::stat(full.c_str(), &st) != 0 && !is_data_glob(full)) return file(f);  // its "file not found" line
  try {
    data_files(full, reader);
  } catch (const Error& e) {
    f.fail(e.what(), e.kind());
  }
  return p;
}

// ---- cluster ----------------------------------------------------------------

Node Parser::node(const Field& f) const {
  f.check_keys({"name", "replicas", "devices"});
  Node n;
  n.name = f.required("name").name();
  if (auto r = f.get("replicas")) n.replicas = r->integer(1, 4096);
  devices(f.required("devices"), n, false);
  return n;
}

// A node's devices; under `cluster.slurm` every key is optional (kind auto,
// count 1: the allocation's GPUs replace the count inside a job).
void Parser::devices(const Field& d, Node& n, bool slurm) const {
  d.check_keys({"kind", "count", "model", "memory", "threads", "reserve"});
  if (slurm) {
    n.kind = DeviceKind::Auto;
    if (auto k = d.get("kind")) n.kind = static_cast<DeviceKind>(k->index_of(device_kind_names()));
    if (auto c = d.get("count")) n.count = c->integer(1, 1024);
  } else {
    n.kind = static_cast<DeviceKind>(d.required("kind").index_of(device_kind_names()));
    n.count = d.required("count").integer(1, 1024);
  }
  if (auto model = d.get("model")) {
    n.model = model->text();
    if (!catalog_.find(n.model)) {
      std::string sug = did_you_mean(n.model, catalog_.names());
      model->fail("unknown device model " + quoted(excerpt(n.model, 64)) +
                  (sug.empty() ? "; the catalog has: " + join(catalog_.names(), ", ")
                               : ", did you mean " + quoted(sug) + "?"));
    }
    if (n.kind == DeviceKind::Cpu && n.model != "cpu")
      model->fail("cpu devices take model \"cpu\" (or none), got " + quoted(excerpt(n.model, 64)));
    if (n.kind != DeviceKind::Cpu && n.model == "cpu")
      model->fail(std::string(device_kind_name(n.kind)) + " devices need a GPU model, got \"cpu\"");
  }
  if (auto mem = d.get("memory")) {
    n.memory = mem->bytes();
    if (n.memory <= 0) mem->expected("a size like 8GiB, 512MiB or 16GB");
  }
  if (n.kind == DeviceKind::Cuda && n.model.empty() && n.memory == 0)
    d.fail("a cuda device needs a catalog model or a memory size");
  if (auto t = d.get("threads")) {
    if (n.kind == DeviceKind::Cuda) t->fail("applies to cpu devices only");
    n.threads = t->integer(1, 1024);
  }
  if (auto r = d.get("reserve")) {
    if (auto share = r->share()) {
      if (*share < 0 || *share >= 1) r->expected("a share of the device's memory under 100% like 5%, or a size like 2GiB");
      n.reserve_share = *share;
    } else if (r->is_scalar() && parse_bytes(r->node().Scalar())) {
      n.reserve = *parse_bytes(r->node().Scalar());
      if (n.memory > 0 && n.reserve >= n.memory)
        r->fail("reserve " + format_bytes(n.reserve) + " leaves nothing of the " + format_bytes(n.memory) + " memory");
    } else {
      r->expected("a size like 2GiB, or a share of the device's memory like 5%");
    }
  }
}

Cluster Parser::cluster(const Field& f) const {
  if (f.is_scalar()) {  // `cluster: slurm`: every default
    if (f.text() != "slurm") f.expected("a mapping with nodes (or slurm)");
    Cluster c;
    c.slurm = Node{"slurm", 1, DeviceKind::Auto};
    c.nodes = {*c.slurm};
    return c;
  }
  if (auto s = f.get("slurm")) {
    if (auto n = f.get("nodes")) n->fail("give either nodes or slurm, not both");
    f.check_keys({"slurm"});
    Cluster c;
    Node n{"slurm", 1, DeviceKind::Auto};
    if (!s->is_null()) {
      s->check_keys({"nodes", "devices"});
      if (auto r = s->get("nodes")) n.replicas = r->integer(1, 4096);
      if (auto d = s->get("devices")) devices(*d, n, true);
    }
    c.slurm = n;
    c.nodes = {n};
    return c;
  }
  f.check_keys({"nodes"});
  Field nodes = f.required("nodes");
  auto items = nodes.items();
  if (items.empty()) nodes.expected("at least one node");
  Cluster c;
  std::set<std::string> names;
  for (const Field& item : items) {
    Node n = node(item);
    for (const auto& inst : Cluster{{n}}.instances())
      if (!names.insert(inst.name).second)
        item.required("name").fail("duplicate node name " + quoted(inst.name));
    c.nodes.push_back(n);
  }
  return c;
}

// ---- data -------------------------------------------------------------------

DataSource Parser::source(const Field& f) const {
  f.check_keys({"format", "path", "labels", "samples", "seed", "noise", "dtype", "fields", "template", "packing",
                "long_examples", "skip_bad_lines"});
  DataSource s;
  const std::vector<std::string> formats = data_format_names();
  // Records read as a JSON array, CSV, parquet or Arrow are format jsonl's
  // examples; a missing format is the path's (core/data_files.h: its
  // extension, a folder's files, a file's first bytes).
  const std::vector<std::string> readers = {"json", "csv", "parquet", "arrow"};
  std::string reader = "jsonl";
  if (auto fm = f.get("format")) {
    const std::string t = fm->text();
    if (std::find(readers.begin(), readers.end(), t) != readers.end()) {
      s.format = DataFormat::Jsonl;
      reader = t;
    } else {
      std::vector<std::string> all = formats;
      all.insert(all.end(), readers.begin(), readers.end());
      s.format = static_cast<DataFormat>(fm->index_of(all));
    }
  } else {
    const std::string r = detect_reader(resolve(f.required("path").text()));
    if (r == "text") s.format = DataFormat::Text;
    else if (!r.empty()) s.format = DataFormat::Jsonl, reader = r;
    else f.fail("format: missing, and the path does not say it (.jsonl, .json, .csv, .parquet, .arrow, .txt, a "
                "datasets folder): give one of " + join(formats, ", ") + ", " + join(readers, ", "));
  }
  const std::string fmt = s.format == DataFormat::Jsonl ? reader : formats[static_cast<size_t>(s.format)];
  const bool synthetic = s.format == DataFormat::Synthetic;
  auto only = [&](const char* key, bool applies) {
    if (auto k = f.get(key); k && !applies) k->fail("does not apply to format " + fmt);
  };
  const bool jsonl = s.format == DataFormat::Jsonl;
  only("path", !synthetic);
  only("labels", s.format == DataFormat::Idx);
  only("samples", synthetic);
  only("seed", synthetic || jsonl);
  for (const char* k : {"fields", "template", "packing", "long_examples", "skip_bad_lines"}) only(k, jsonl);
  if (jsonl) {
    s.jsonl = jsonl_spec(f);
    s.jsonl.reader = reader;
    if (auto seed = f.get("seed")) s.seed = seed->integer(0, 4294967295LL);
  }
  only("noise", synthetic);
  only("dtype", s.format == DataFormat::Tokens);
  if (auto dt = f.get("dtype")) s.token_bytes = dt->index_of({"uint16", "uint32"}) == 0 ? 2 : 4;
  if (synthetic) {
    s.samples = f.required("samples").integer(1, INT64_MAX);
    if (auto seed = f.get("seed")) s.seed = seed->integer(0, 4294967295LL);
    if (auto noise = f.get("noise")) s.noise = std::get<double>(read_value(*noise, ValueType::Real, 0, 100, false));
  } else {
    s.path = jsonl ? records_path(f.required("path"), reader) : file(f.required("path"), s.format == DataFormat::Text);
    if (s.format == DataFormat::Idx) s.labels = file(f.required("labels"));
  }
  return s;
}

JsonlSpec Parser::jsonl_spec(const Field& f) const {
  JsonlSpec j;
  if (auto fields = f.get("fields")) {
    fields->check_keys({"text", "prompt", "input", "completion", "messages", "role", "content", "roles"});
    auto key = [&](const char* k, std::string* out) {
      if (auto v = fields->get(k)) *out = v->text();
    };
    key("text", &j.text);
    key("prompt", &j.prompt);
    key("input", &j.input);
    key("completion", &j.completion);
    key("messages", &j.messages);
    key("role", &j.role);
    key("content", &j.content);
    if (auto r = fields->get("roles")) {
      if (!r->is_map()) r->expected("a mapping of the data's role names to user, assistant, system or tool");
      for (const auto& [from, to] : r->entries()) {
        const std::string v = to.text();
        if (v != "user" && v != "assistant" && v != "system" && v != "tool")
          to.fail("expected user, assistant, system or tool, got " + to.describe());
        j.roles.emplace_back(from.text(), v);
      }
    }
    const bool chat_keys = !j.role.empty() || !j.content.empty() || !j.roles.empty();
    const int kinds = !j.text.empty() + (!j.prompt.empty() || !j.completion.empty() || !j.input.empty()) + !j.messages.empty();
    if (kinds > 1 || (kinds == 0 && !chat_keys))
      fields->fail("give text, prompt and completion (input optional), or messages: one kind of record");
    if (chat_keys && kinds == 1 && j.messages.empty()) fields->fail("role, content and roles apply to chats (messages)");
    if (!j.prompt.empty() && j.completion.empty()) fields->fail("prompt needs completion");
    if (!j.completion.empty() && j.prompt.empty()) fields->fail("completion needs prompt");
    if (!j.input.empty() && j.prompt.empty()) fields->fail("input needs prompt and completion");
  }
  if (auto t = f.get("template")) {
    std::string v = t->text();
    const bool jinja_file = v.size() > 6 && v.compare(v.size() - 6, 6, ".jinja") == 0;
    if (jinja_file) {
      file(*t);  // exists
      v = resolve(v);
      if (!j.text.empty()) t->fail("text records take no template (none)");
    } else if (v != "none" && v != "chatml" && v != "llama3") {
      const size_t p = v.find("{prompt}"), c = v.find("{completion}");
      if (p == std::string::npos || c == std::string::npos || c < p || v.find("{prompt}", p + 1) != std::string::npos ||
          v.find("{completion}", c + 1) != std::string::npos)
        t->fail("expected none, chatml, llama3, a FILE.jinja chat template, or a text with one {prompt} before one {completion}");
      if (!j.text.empty() || !j.messages.empty()) t->fail("a {prompt}/{completion} template applies to prompt/completion records");
    }
    if (!j.text.empty() && v != "none" && !jinja_file) t->fail("text records take no template (none)");
    j.chat_template = v;
  }
  if (auto p = f.get("packing")) j.packing = p->boolean();
  if (auto l = f.get("long_examples")) j.split_long = l->index_of({"split", "truncate"}) == 0;
  if (auto s = f.get("skip_bad_lines")) j.skip_bad_lines = s->boolean();
  return j;
}

// ---- eval ---------------------------------------------------------------------

std::vector<EvalTask> Parser::eval_tasks(const Field& f) const {
  std::vector<EvalTask> out;
  std::set<std::string> names;
  for (const Field& item : f.items()) {
    item.check_keys({"name", "data", "format", "kind", "metric", "normalize", "max_new_tokens", "limit", "every"});
    EvalTask t;
    t.name = item.required("name").name();
    if (!names.insert(t.name).second) item.required("name").fail("duplicate task name " + quoted(t.name));
    const Field data = item.required("data");
    if (auto fm = item.get("format")) t.reader = fm->one_of({"jsonl", "json", "csv", "parquet", "arrow"});
    else {
      t.reader = detect_reader(resolve(data.text()));
      if (t.reader.empty() || t.reader == "text")
        data.fail("the path does not say its format (.jsonl, .json, .csv, .parquet, .arrow, a datasets folder): give format");
    }
    t.data = resolve(records_path(data, t.reader));
    t.kind = item.required("kind").index_of({"generate", "choice"}) == 0 ? EvalKind::Generate : EvalKind::Choice;
    t.metric = item.required("metric").one_of(eval_metrics(t.kind));
    if (auto n = item.get("normalize")) {
      if (t.kind != EvalKind::Generate) n->fail("applies to kind generate (a choice is chosen, not compared)");
      std::vector<std::string> given;
      for (const Field& x : n->items_or_scalar()) {
        const std::string v = x.one_of(eval_normalizations());
        if (std::find(given.begin(), given.end(), v) != given.end()) x.fail("given twice");
        given.push_back(v);
      }
      for (const auto& v : eval_normalizations())  // applied in the documented order
        if (std::find(given.begin(), given.end(), v) != given.end()) t.normalize.push_back(v);
    }
    if (auto m = item.get("max_new_tokens")) {
      if (t.kind != EvalKind::Generate) m->fail("applies to kind generate");
      t.max_new_tokens = m->integer(1, 4096);
    }
    if (auto l = item.get("limit")) t.limit = l->integer(1, INT64_MAX);
    if (auto e = item.get("every")) t.every = e->integer(1, INT64_MAX);
    out.push_back(std::move(t));
  }
  if (out.empty()) f.expected("a list of tasks");
  return out;
}

DataSpec Parser::data(const Field& f) const {
  f.check_keys({"train", "valid", "valid_fraction", "tokenizer", "tools"});
  DataSpec d;
  d.train = source(f.required("train"));
  if (auto v = f.get("valid")) {
    d.valid = source(*v);
    Modality a = data_modality(d.train.format), b = data_modality(d.valid->format);
    if (a != Modality::Any && b != Modality::Any && a != b)
      v->required("format").fail("valid data must be of the same kind as the train data (" +
                                 std::string(data_format_name(d.train.format)) + ")");
  }
  if (auto vf = f.get("valid_fraction")) {
    if (d.valid) vf->fail("applies only when no valid set is given");
    d.valid_fraction = std::get<double>(read_value(*vf, ValueType::Real, 0, 0.5));
  }
  if (auto t = f.get("tokenizer")) {
    auto tokenized = [](const DataSource& s) { return s.format == DataFormat::Text || s.format == DataFormat::Jsonl; };
    if (!tokenized(d.train) && !(d.valid && tokenized(*d.valid)))
      t->fail("applies only to text and jsonl data");
    d.tokenizer = file(*t);
  }
  if (auto t = f.get("tools")) {
    const bool records = d.train.format == DataFormat::Jsonl || (d.valid && d.valid->format == DataFormat::Jsonl);
    if (!records) t->fail("applies only to records (jsonl, json, csv, parquet, arrow)");
    file(*t);  // exists
    const std::string path = resolve(t->text());
    if (options_.check_files && !is_json_list_of_objects(path))
      t->fail(quoted(t->text()) + " is not a JSON list of tool definitions (objects)");
    d.train.jsonl.tools = path;
    if (d.valid) d.valid->jsonl.tools = path;
  }
  return d;
}

// What is wrong with a model at one point of its grid on its data, or "".
std::string check_point(const ModelSpec& m, const Config& c, const DataSpec& d) {
  std::string r = check_config(m.arch, c);
  if (!r.empty()) return r;
  if (arch_modality(m.arch) == Modality::Tokens && d.train.format == DataFormat::Text && d.tokenizer.empty() &&
      c.integer("vocab") < 256)
    return "text data is read as bytes and needs vocab >= 256, got " +
           std::to_string(c.integer("vocab"));
  return "";
}

std::string modality_text(Modality m) {
  return m == Modality::Tokens ? "token data (text, jsonl, tokens or synthetic)"
                               : "image data (idx, cifar or synthetic)";
}

// ---- models and grid ----------------------------------------------------------

// models[].from: a Hugging Face folder; its config.json gives arch and config.
HfModel Parser::pretrained(const Field& f, ModelSpec* m) const {
  m->from = f.text();
  try {
    return read_hf_config(resolve(m->from));
  } catch (const Error& e) {
    f.fail(e.what(), e.kind());
  }
}

ModelSpec Parser::model(const Field& f, const DataSpec* workload_data, const FinetuneSpec& workload_ft,
                        const std::optional<Field>& workload_ft_field) const {
  f.check_keys({"name", "arch", "config", "path", "from", "grid", "data", "finetune"});
  ModelSpec m;
  m.name = f.required("name").name();
  auto from = f.get("from");
  std::optional<HfModel> hf;
  if (from) hf = pretrained(*from, &m);
  if (hf) m.arch = hf->arch;
  std::optional<Field> arch_field = f.get("arch");
  if (!arch_field && !hf) f.fail("missing required key \"arch\"");
  if (arch_field) {
    m.arch = static_cast<Arch>(arch_field->index_of(arch_names()));
    if (hf && m.arch != hf->arch)
      arch_field->fail(std::string(arch_name(m.arch)) + " differs from the " + hf->model_type + " model in " + m.from +
                       " (arch " + arch_name(hf->arch) + "); leave arch out with from");
  }
  m.config = hf ? hf->config : default_config(m.arch);
  auto config_field = f.get("config");
  if (config_field && !config_field->is_null()) {
    std::vector<std::string> keys;
    for (const auto& k : arch_config_keys(m.arch)) keys.push_back(k.key);
    config_field->check_keys(keys);
    for (const auto& [key, value] : config_field->entries()) {
      const ConfigKey& k = *find_config_key(m.arch, key.text());
      const Value v = read_value(value, k.type, k.min, k.max);
      // A pretrained model's shape is its own: keys restate it, seq_len may narrow it.
      if (hf && !(v == *hf->config.find(k.key)) && !(k.key == "seq_len" && std::get<int64_t>(v) <= hf->config.integer("seq_len")))
        value.fail(value_text(v) + " differs from " + value_text(*hf->config.find(k.key)) + " in " + m.from +
                   "/config.json" + (k.key == "seq_len" ? " (seq_len may only be shorter)" : " (a pretrained model keeps its shape)"));
      m.config.set(k.key, v);
    }
  }
  if (auto p = f.get("path")) {
    if (m.arch != Arch::Torchscript) p->fail("applies to arch torchscript only");
    m.path = file(*p);
  } else if (m.arch == Arch::Torchscript) {
    f.fail("missing required key \"path\" (the saved TorchScript module)");
  }
  const Field& where = arch_field ? *arch_field : *from;
  if (auto d = f.get("data")) m.data = data(*d);
  const DataSpec* d = m.data ? &*m.data : workload_data;
  if (!d) f.fail("missing required key \"data\" (the workload has no data section)");
  Modality needs = arch_modality(m.arch), has = data_modality(d->train.format);
  if (needs != Modality::Any && has != Modality::Any && needs != has)
    where.fail(std::string(arch_name(m.arch)) + " needs " + modality_text(needs) +
                    ", but its data is " + data_format_name(d->train.format));
  const DataSpec md = with_folder_tokenizer(*d, m.from, base_dir_);
  const bool jsonl = md.train.format == DataFormat::Jsonl || (md.valid && md.valid->format == DataFormat::Jsonl);
  if (jsonl && md.tokenizer.empty())
    where.fail("jsonl data needs a tokenizer: data.tokenizer, or `from` a folder with tokenizer.json");
  std::string bad = check_point(m, m.config, md);
  if (!bad.empty()) (config_field ? *config_field : where).fail(bad);
  m.finetune = workload_ft;
  if (auto ft = f.get("finetune")) {
    m.finetune = finetune(*ft, workload_ft);
    check_finetune(*ft, m);
  } else if (workload_ft_field) {
    check_finetune(*workload_ft_field, m);
  }
  m.finetune = with_default_targets(m.finetune, m.arch);
  if (auto g = f.get("grid")) m.grid = parse_grid(*g, {m});
  return m;
}

// finetune: {method, lora: {rank, alpha, dropout, targets, train_embeddings}},
// the keys it names replacing `base`'s.
FinetuneSpec Parser::finetune(const Field& f, FinetuneSpec base) const {
  f.check_keys({"method", "lora"});
  if (auto m = f.get("method")) base.method = static_cast<FinetuneMethod>(m->index_of({"full", "lora"}));
  if (auto l = f.get("lora")) {
    l->check_keys({"rank", "alpha", "dropout", "targets", "train_embeddings"});
    for (const char* key : {"rank", "alpha", "dropout"})
      if (auto v = l->get(key)) {
        const FinetuneKey& k = *find_finetune_key(std::string("lora.") + key);
        set_finetune_key(base, k.key, read_value(*v, k.type, k.min, k.max, k.min_open, k.max_open));
      }
    if (auto t = l->get("targets")) {
      base.lora.targets.clear();
      auto items = t->items_or_scalar();
      if (items.empty()) t->expected("at least one projection name");
      for (const Field& item : items) {
        const std::string name = item.text();
        for (const auto& prev : base.lora.targets)
          if (prev == name) item.fail("duplicate target " + quoted(name));
        base.lora.targets.push_back(name);
      }
    }
    if (auto e = l->get("train_embeddings")) base.lora.train_embeddings = e->boolean();
  }
  return base;
}

// LoRA needs an architecture with projections to adapt, named as its own.
void Parser::check_finetune(const Field& where, const ModelSpec& m) const {
  if (!m.finetune.lora_on()) return;
  if (!lora_supported(m.arch))
    where.fail("method lora applies to gpt and llama models; model " + quoted(m.name) + " is " + arch_name(m.arch));
  const auto& names = lora_target_names(m.arch);
  for (const auto& t : m.finetune.lora.targets)
    if (std::find(names.begin(), names.end(), t) == names.end()) {
      std::string sug = did_you_mean(t, names);
      where.fail("lora target " + quoted(t) + " is not a projection of model " + quoted(m.name) + " (arch " +
                 arch_name(m.arch) + ": " + join(names, ", ") + ")" + (sug.empty() ? "" : "; did you mean " + quoted(sug) + "?"));
    }
}

// Every combination of a model's config axes must give a consistent config.
void Parser::check_grid_points(const Field& grid_field, const Workload& w, const ModelSpec& m) const {
  Grid g = w.grid_for(m);
  std::vector<const GridAxis*> axes;
  for (const auto& a : g.axes)
    if (find_config_key(m.arch, a.key)) axes.push_back(&a);
  if (axes.empty()) return;
  std::vector<size_t> idx(axes.size(), 0);
  size_t checked = 0;
  while (true) {
    Config c = m.config;
    for (size_t i = 0; i < axes.size(); ++i) c.set(axes[i]->key, axes[i]->values[idx[i]]);
    std::string bad = check_point(m, c, w.data_for(m));
    if (!bad.empty()) {
      std::vector<std::string> at;
      for (size_t i = 0; i < axes.size(); ++i)
        at.push_back(axes[i]->key + "=" + value_text(axes[i]->values[idx[i]]));
      grid_field.fail("model " + quoted(m.name) + " at " + join(at, ",") + ": " + bad);
    }
    if (++checked > kMaxJobs) return;
    size_t i = axes.size();
    while (i > 0 && ++idx[i - 1] == axes[i - 1]->values.size()) idx[--i] = 0;
    if (i == 0) return;
  }
}

// ---- the whole document ------------------------------------------------------

Workload Parser::workload(const Field& root) const {
  // Parts that do not depend on each other are parsed even after one fails
  // (collecting errors); what depends on a failed part is skipped.
  part([&] { root.check_keys({"name", "cluster", "models", "data", "search", "train", "eval", "select", "techniques", "planner", "profile", "finetune"}); });
  Workload w;
  w.base_dir = base_dir_;
  part([&] { w.name = root.required("name").name(); });
  part([&] { w.cluster = cluster(root.required("cluster")); });
  auto data_field = root.get("data");
  const bool data_ok = !data_field || part([&] { w.data = data(*data_field); });
  auto ft_field = root.get("finetune");
  const bool ft_ok = !ft_field || part([&] { w.finetune = finetune(*ft_field, {}); });

  std::optional<Field> models_field;
  std::vector<Field> items;
  bool models_ok = part([&] {
    models_field = root.required("models");
    items = models_field->items();
    if (items.empty()) models_field->expected("at least one model");
  });
  std::set<std::string> names;
  std::vector<size_t> item_of;  // w.models[i] came from items[item_of[i]]
  for (size_t k = 0; k < items.size(); ++k) {
    if (!data_ok || !ft_ok) {
      models_ok = false;
      break;
    }
    models_ok = part([&] {
      ModelSpec m = model(items[k], data_field ? &w.data : nullptr, w.finetune, ft_field);
      if (!names.insert(m.name).second) items[k].required("name").fail("duplicate model name " + quoted(m.name));
      w.models.push_back(std::move(m));
      item_of.push_back(k);
    }) && models_ok;
  }

  std::optional<Field> grid_field;
  bool grid_ok = true;
  if (auto s = root.get("search")) {
    grid_ok = part([&] {
      s->check_keys({"grid", "random", "early_stopping"});
      grid_field = s->get("grid");
      if (grid_field && models_ok) w.grid = parse_grid(*grid_field, w.models);
      if (auto r = s->get("random"); r && models_ok) w.random = parse_random(*r, w.models, w.grid);
    });
    if (auto e = s->get("early_stopping"); e && s->is_map())
      part([&] { w.early_stopping = parse_early_stopping(*e); });
  }
  if (models_ok && grid_ok) {
    double jobs = 0;
    for (size_t i = 0; i < w.models.size(); ++i) {
      const ModelSpec& m = w.models[i];
      std::optional<Field> own = items[item_of[i]].get("grid");
      if (grid_field || own) part([&] { check_grid_points(own ? *own : *grid_field, w, m); });
      double n = w.random.trials > 0 ? static_cast<double>(w.random.trials) : 1.0;
      for (const auto& a : w.grid_for(m).axes) n *= static_cast<double>(a.values.size());
      jobs += n;
    }
    if (jobs > static_cast<double>(kMaxJobs))
      part([&] {
        (grid_field ? *grid_field : *models_field)
            .fail("the search expands to " + std::to_string(static_cast<long long>(std::min(jobs, 1e18))) +
                  " jobs; at most " + std::to_string(kMaxJobs) + " are allowed");
      });
  }

  const bool train_ok = part([&] { w.train = parse_train(root.required("train")); });
  if (auto e = root.get("eval"); e && train_ok) part([&] { w.train.eval = eval_tasks(*e); });
  if (auto s = root.get("select"); s && train_ok) part([&] { w.select = parse_select(*s, w.train.eval); });
  if (w.early_stopping.on() && models_ok && train_ok)
    part([&] { check_early_stopping(*root.required("search").get("early_stopping"), w); });
  w.techniques = all_techniques();
  if (auto t = root.get("techniques")) part([&] { w.techniques = parse_techniques(*t); });
  if (auto p = root.get("planner")) part([&] { w.planner = parse_planner(*p); });
  if (auto p = root.get("profile")) part([&] { w.profile = parse_profile(*p); });
  if (options_.errors && !options_.errors->empty()) throw options_.errors->front();
  return w;
}

}  // namespace

Workload parse_workload(const std::string& text, const std::string& file, const std::string& base_dir,
                        const LoadOptions& options) {
  if (text.size() > kMaxWorkloadBytes)
    throw data_error(file + ": workload is " + std::to_string(text.size()) + " bytes; at most " +
                     format_bytes(kMaxWorkloadBytes) + " are read");
  YAML::Node storage;
  Field root = parse_yaml_document(text, &file, &storage);
  return Parser(options, base_dir).workload(root);
}

Workload load_workload(const std::string& path, const LoadOptions& options) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    throw no_input_error(path + ": cannot read workload: " + std::strerror(errno));
  if (S_ISDIR(st.st_mode)) throw no_input_error(path + ": cannot read workload: is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw no_input_error(path + ": cannot read workload: " + std::strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  const auto slash = path.find_last_of('/');
  std::string base = slash == std::string::npos ? "" : path.substr(0, slash == 0 ? 1 : slash);
  Workload w = parse_workload(ss.str(), path, base, options);
  if (w.cluster.slurm && options.resolve_slurm)
    resolve_slurm_cluster(w, path, options.slurm_env ? *options.slurm_env : slurm_environment());
  return w;
}

}  // namespace saturn
