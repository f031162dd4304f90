#include "catalog.h"

#include <set>

#include "catalog_data.h"
#include "text.h"
#include "yaml_field.h"

namespace saturn {

const GpuModel* Catalog::find(const std::string& name) const {
  for (const auto& m : models_)
    if (m.name == name) return &m;
  return nullptr;
}

std::vector<std::string> Catalog::names() const {
  std::vector<std::string> r;
  for (const auto& m : models_) r.push_back(m.name);
  return r;
}

Catalog load_catalog(const std::string& text, const std::string& file) {
  YAML::Node storage;
  Field root = parse_yaml_document(text, &file, &storage);
  root.check_keys({"gpus"});
  std::vector<GpuModel> models;
  std::set<std::string> seen;
  for (const Field& f : root.required("gpus").items()) {
    f.check_keys({"name", "memory", "fp32_flops", "bf16_flops", "memory_bandwidth",
                  "link_bandwidth", "host_bandwidth"});
    GpuModel m;
    Field name = f.required("name");
    m.name = name.name();
    if (!seen.insert(m.name).second) name.fail("duplicate device model " + quoted(m.name));
    m.memory = f.required("memory").bytes();
    m.fp32_flops = f.required("fp32_flops").positive_number();
    m.bf16_flops = f.required("bf16_flops").positive_number();
    m.memory_bandwidth = f.required("memory_bandwidth").rate();
    m.link_bandwidth = f.required("link_bandwidth").rate();
    m.host_bandwidth = f.required("host_bandwidth").rate();
    models.push_back(m);
  }
  return Catalog(std::move(models));
}

const Catalog& default_catalog() {
  static const Catalog catalog = load_catalog(kCatalogYaml, "configs/gpus.yaml");
  return catalog;
}

}  // namespace saturn
