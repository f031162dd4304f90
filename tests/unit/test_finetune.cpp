// The finetune section: LoRA's keys and defaults, per-model overrides, grid
// axes over rank and alpha (rank a shape, alpha not), and its errors.
#include <catch2/catch.hpp>

#include "core/job.h"
#include "workload_text.h"

using namespace saturn;
using namespace saturn::test;

namespace {

Workload parse(const std::string& text) {
  LoadOptions o;
  o.check_files = false;
  return parse_workload(text, "w.yaml", "", o);
}

// kBaseWorkload with a llama beside its gpt and `finetune` before search.
std::string two_models(const std::string& finetune, const std::string& llama_extra = "") {
  return with_line(10, "    arch: gpt\n  - name: l\n    arch: llama\n" + llama_extra + finetune);
}

}  // namespace

TEST_CASE("finetune: lora defaults (PEFT's) and each arch's default targets") {
  const Workload w = parse(two_models("finetune: {method: lora}"));
  REQUIRE(w.models.size() == 2);
  const LoraSpec& gpt = w.models[0].finetune.lora;
  CHECK(w.models[0].finetune.lora_on());
  CHECK(gpt.rank == 8);
  CHECK(gpt.alpha == 8);
  CHECK(gpt.dropout == 0);
  CHECK(!gpt.train_embeddings);
  CHECK(gpt.targets == std::vector<std::string>{"c_attn", "c_proj", "c_fc"});
  CHECK(w.models[1].finetune.lora.targets ==
        std::vector<std::string>{"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"});
  CHECK(!parse(kBaseWorkload).models[0].finetune.lora_on());
}

TEST_CASE("finetune: a model's section replaces the keys it names, the rest is the workload's") {
  const Workload w = parse(two_models("finetune: {method: lora, lora: {rank: 16, alpha: 32, dropout: 0.1}}",
                                      "    finetune: {lora: {rank: 4, targets: [q_proj, v_proj]}}\n"));
  const LoraSpec& l = w.models[1].finetune.lora;
  CHECK(l.rank == 4);
  CHECK(l.alpha == 32);
  CHECK(l.dropout == Approx(0.1));
  CHECK(l.targets == std::vector<std::string>{"q_proj", "v_proj"});
  CHECK(w.models[0].finetune.lora.rank == 16);
  // One model in full, the other with adapters.
  const Workload m = parse(two_models("", "    finetune: {method: lora}\n"));
  CHECK(!m.models[0].finetune.lora_on());
  CHECK(m.models[1].finetune.lora_on());
  // Both round trip.
  LoadOptions o;
  o.check_files = false;
  for (const Workload* x : {&w, &m}) CHECK(parse_workload(to_yaml(*x), "e.yaml", "", o) == *x);
}

TEST_CASE("finetune: lora.rank and lora.alpha are grid axes, and rank makes shapes, alpha does not") {
  const std::string text =
      with_lines(10, 13, "    arch: llama\nfinetune: {method: lora}\nsearch:\n  grid:\n    lora.rank: [4, 16]\n    lora.alpha: [8, 32]");
  const JobSet s = expand_jobs(parse(text));
  REQUIRE(s.jobs.size() == 4);
  CHECK(s.jobs[0].id == "m/r=4,alpha=8");
  CHECK(s.jobs[3].id == "m/r=16,alpha=32");
  CHECK(s.jobs[1].finetune.lora.alpha == 32);
  CHECK(s.jobs[2].finetune.lora.rank == 16);
  REQUIRE(s.shapes.size() == 2);
  CHECK(s.shapes[0].id == "m/r=4,bs=32");
  CHECK(s.shapes[0].finetune.lora.rank == 4);
  CHECK(s.jobs[0].shape == s.jobs[1].shape);
  CHECK(s.jobs[0].hash != s.jobs[1].hash);
  // LoRA and full fine-tuning of one model are other shapes; full jobs hash
  // as they did before the section existed.
  const JobSet full = expand_jobs(parse(kBaseWorkload));
  const JobSet stated = expand_jobs(parse(with_line(10, "    arch: gpt\nfinetune: {method: full}")));
  const JobSet lora = expand_jobs(parse(with_line(10, "    arch: gpt\nfinetune: {method: lora}")));
  CHECK(stated.jobs[0].hash == full.jobs[0].hash);
  CHECK(stated.shapes[0].hash == full.shapes[0].hash);
  CHECK(lora.shapes[0].hash != full.shapes[0].hash);
  CHECK(lora.jobs[0].hash != full.jobs[0].hash);
}

TEST_CASE("finetune: errors are one positioned line") {
  CHECK(outcome_of(with_line(10, "    arch: gpt\nfinetune: {method: adapters}")).message ==
        "w.yaml:11:20: finetune.method: expected one of full, lora, got \"adapters\"");
  CHECK(outcome_of(with_line(10, "    arch: gpt\nfinetune: {method: lora, lora: {rank: 0}}")).message ==
        "w.yaml:11:39: finetune.lora.rank: expected a whole number from 1 to 65536, got \"0\"");
  CHECK(outcome_of(with_line(10, "    arch: gpt\nfinetune: {method: lora, lora: {dropout: 1}}")).message ==
        "w.yaml:11:42: finetune.lora.dropout: expected a number in [0, 1), got \"1\"");
  CHECK(outcome_of(with_line(10, "    arch: gpt\nfinetune: {method: lora, lora: {targets: [q_proj]}}")).message ==
        "w.yaml:11:11: finetune: lora target \"q_proj\" is not a projection of model \"m\" (arch gpt: c_attn, c_proj, "
        "c_fc); did you mean \"c_proj\"?");
  CHECK(outcome_of(with_line(10, "    arch: llama\n    finetune: {method: lora, lora: {targets: [q_prj]}}")).message ==
        "w.yaml:11:15: models[0].finetune: lora target \"q_prj\" is not a projection of model \"m\" (arch llama: "
        "q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj); did you mean \"q_proj\"?");
  CHECK(outcome_of(with_line(10, "    arch: mlp\nfinetune: {method: lora}")).message ==
        "w.yaml:11:11: finetune: method lora applies to gpt and llama models; model \"m\" is mlp");
  CHECK(outcome_of(with_line(13, "    lora.rank: [4, 8]")).message ==
        "w.yaml:13:5: search.grid.\"lora.rank\": model \"m\" fine-tunes in full; lora.rank is searched with "
        "finetune.method: lora");
  CHECK(outcome_of(with_line(10, "    arch: gpt\nfinetune: {method: lora, lora: {rnk: 4}}")).message ==
        "w.yaml:11:33: finetune.lora.rnk: unknown key, did you mean \"rank\"?");
  CHECK(outcome_of(with_line(10, "    arch: gpt\nfinetune: {method: lora}")).exit_code == 0);
}
