#include "run_settings_parse.h"

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>

#include "text.h"
#include "units.h"

namespace saturn {

TrainSpec parse_train(const Field& f) {
  f.check_keys({"steps", "epochs", "optimizer", "schedule", "grad_clip", "log_every",
                "eval_every", "eval_batches", "checkpoint_every", "precision", "stall_factor", "stall_floor"});
  TrainSpec t;
  auto steps = f.get("steps"), epochs = f.get("epochs");
  if (steps && epochs) epochs->fail("give steps or epochs, not both");
  if (!steps && !epochs) f.fail("missing required key \"steps\" (or \"epochs\")");
  if (steps) t.steps = steps->integer(1, INT64_MAX);
  if (epochs) t.epochs = epochs->positive_number();
  if (auto o = f.get("optimizer")) t.optimizer = static_cast<Optimizer>(o->index_of({"adamw", "sgd"}));
  if (auto s = f.get("schedule")) t.schedule = static_cast<Schedule>(s->index_of({"constant", "cosine"}));
  if (auto g = f.get("grad_clip")) t.grad_clip = g->nonnegative_number();
  if (auto l = f.get("log_every")) t.log_every = l->integer(1, INT64_MAX);
  if (auto e = f.get("eval_every")) t.eval_every = e->integer(0, INT64_MAX);
  if (auto e = f.get("eval_batches")) t.eval_batches = e->integer(1, INT64_MAX);
  if (auto c = f.get("checkpoint_every")) {
    const std::string s = c->is_scalar() ? c->text() : "";
    if (!s.empty() && s.find_first_not_of("0123456789") == std::string::npos) {
      t.checkpoint_every = c->integer(0, INT64_MAX);
      t.checkpoint_seconds = 0;
    } else {
      const auto d = c->is_scalar() ? parse_duration(s) : std::nullopt;
      if (!d || !(*d > 0)) c->expected("steps (a whole number, 0: none) or a duration above zero like 10m");
      t.checkpoint_seconds = *d;
    }
  }
  if (auto s = f.get("stall_factor")) {
    t.stall_factor = s->number();
    if (t.stall_factor < 2) s->expected("a number >= 2 (step times a group may go without progress)");
  }
  if (auto s = f.get("stall_floor")) {
    t.stall_floor = s->duration();
    if (t.stall_floor <= 0) s->expected("a duration above zero");
  }
  if (auto p = f.get("precision"))
    t.precision = static_cast<Precision>(p->index_of({"auto", "fp32", "bf16"}));
  return t;
}

PlannerSpec parse_planner(const Field& f) {
  f.check_keys({"time_limit", "work_limit", "threads", "introspection"});
  PlannerSpec p;
  if (auto t = f.get("time_limit")) {
    p.time_limit = t->duration();
    if (p.time_limit <= 0) t->expected("a duration above zero");
  }
  if (auto t = f.get("threads")) p.threads = t->integer(1, 256);
  if (auto n = f.get("work_limit")) p.work_limit = n->integer(1, int64_t{1} << 40);
  if (auto i = f.get("introspection")) {
    i->check_keys({"interval", "threshold"});
    if (auto v = i->get("interval")) p.introspection_interval = v->duration();
    if (auto v = i->get("threshold")) p.introspection_threshold = v->duration();
  }
  return p;
}

ProfileSpec parse_profile(const Field& f) {
  ProfileSpec p;
  auto mode = [&](const Field& m) {
    p.mode = static_cast<ProfileMode>(m.index_of({"auto", "full", "none"}));
  };
  if (f.is_scalar()) {
    mode(f);
    return p;
  }
  f.check_keys({"mode", "budget", "margin"});
  if (auto m = f.get("mode")) mode(*m);
  if (auto b = f.get("budget")) {
    if (auto share = b->share()) {
      if (!(*share > 0) || *share > 1) b->expected("a percentage above 0% and at most 100%, or a duration like 2m");
      p.budget_share = *share;
    } else if (auto d = b->is_scalar() ? parse_duration(b->node().Scalar()) : std::nullopt; d && *d > 0) {
      p.budget_seconds = *d;
    } else {
      b->expected("a percentage of the predicted makespan like 5%, or a duration like 2m");
    }
  }
  if (auto m = f.get("margin")) {
    const auto share = m->share();
    if (!share || *share < 0 || *share >= 1) m->expected("a percentage like 2% (at least 0%, under 100%)");
    p.margin = *share;
  }
  return p;
}

std::vector<Technique> parse_techniques(const Field& f) {
  std::vector<Technique> r;
  auto items = f.items_or_scalar();
  if (items.empty()) f.expected("at least one technique");
  for (const Field& item : items) {
    Technique t = static_cast<Technique>(item.index_of(technique_names()));
    for (auto prev : r)
      if (prev == t) item.fail("duplicate technique " + quoted(technique_name(t)));
    r.push_back(t);
  }
  return r;
}

}  // namespace saturn
