#include "tokenize/records/arrow_rows.h"

#include <arrow/api.h>

#include <vector>

#include "core/error.h"
#include "tokenize/unicode.h"

namespace saturn::tok {
namespace {
using json = nlohmann::ordered_json;

// Not UTF-8 text: the row is a record error naming the column.
struct NotText {
  std::string column;
};

// A column (or a nested child) with its type resolved once per batch.
struct Col {
  std::shared_ptr<arrow::Array> array;
  arrow::Type::type id = arrow::Type::NA;
  std::string name;        // for errors: "messages.content"
  std::vector<Col> kids;   // struct fields; a list's values; a map's keys and items; a dictionary's values
  std::vector<std::string> field_names;
};

Col make_col(const std::shared_ptr<arrow::Array>& a, const std::string& name) {
  Col c;
  c.array = a;
  c.id = a->type_id();
  c.name = name;
  switch (c.id) {
    case arrow::Type::STRUCT: {
      const auto& s = static_cast<const arrow::StructArray&>(*a);
      for (int i = 0; i < s.num_fields(); ++i) {
        const std::string fname = s.struct_type()->field(i)->name();
        c.field_names.push_back(fname);
        c.kids.push_back(make_col(s.field(i), name + "." + fname));
      }
      break;
    }
    case arrow::Type::LIST: c.kids.push_back(make_col(static_cast<const arrow::ListArray&>(*a).values(), name)); break;
    case arrow::Type::LARGE_LIST:
      c.kids.push_back(make_col(static_cast<const arrow::LargeListArray&>(*a).values(), name));
      break;
    case arrow::Type::FIXED_SIZE_LIST:
      c.kids.push_back(make_col(static_cast<const arrow::FixedSizeListArray&>(*a).values(), name));
      break;
    case arrow::Type::LIST_VIEW:
      c.kids.push_back(make_col(static_cast<const arrow::ListViewArray&>(*a).values(), name));
      break;
    case arrow::Type::LARGE_LIST_VIEW:
      c.kids.push_back(make_col(static_cast<const arrow::LargeListViewArray&>(*a).values(), name));
      break;
    case arrow::Type::MAP: {
      const auto& m = static_cast<const arrow::MapArray&>(*a);
      c.kids.push_back(make_col(m.keys(), name));
      c.kids.push_back(make_col(m.items(), name));
      break;
    }
    case arrow::Type::DICTIONARY:
      c.kids.push_back(make_col(static_cast<const arrow::DictionaryArray&>(*a).dictionary(), name));
      break;
    default: break;
  }
  return c;
}

json text(std::string_view v, const Col& c) {
  if (invalid_utf8(v) != std::string_view::npos) throw NotText{c.name};
  return json(std::string(v));
}

json value(const Col& c, int64_t i);

template <class ListT>
json list_items(const Col& c, int64_t i) {
  const auto& l = static_cast<const ListT&>(*c.array);
  json out = json::array();
  const int64_t from = l.value_offset(i), n = l.value_length(i);
  for (int64_t k = 0; k < n; ++k) out.push_back(value(c.kids[0], from + k));
  return out;
}

template <class T>
json number(const Col& c, int64_t i) {
  return json(static_cast<const arrow::NumericArray<T>&>(*c.array).Value(i));
}

json value(const Col& c, int64_t i) {
  const arrow::Array& a = *c.array;
  if (a.IsNull(i)) return nullptr;
  using T = arrow::Type;
  switch (c.id) {
    case T::NA: return nullptr;
    case T::BOOL: return json(static_cast<const arrow::BooleanArray&>(a).Value(i));
    case T::INT8: return number<arrow::Int8Type>(c, i);
    case T::INT16: return number<arrow::Int16Type>(c, i);
    case T::INT32: return number<arrow::Int32Type>(c, i);
    case T::INT64: return number<arrow::Int64Type>(c, i);
    case T::UINT8: return number<arrow::UInt8Type>(c, i);
    case T::UINT16: return number<arrow::UInt16Type>(c, i);
    case T::UINT32: return number<arrow::UInt32Type>(c, i);
    case T::UINT64: return number<arrow::UInt64Type>(c, i);
    case T::FLOAT: return number<arrow::FloatType>(c, i);
    case T::DOUBLE: return number<arrow::DoubleType>(c, i);
    case T::STRING: return text(static_cast<const arrow::StringArray&>(a).GetView(i), c);
    case T::LARGE_STRING: return text(static_cast<const arrow::LargeStringArray&>(a).GetView(i), c);
    case T::STRING_VIEW: return text(static_cast<const arrow::StringViewArray&>(a).GetView(i), c);
    case T::BINARY: return text(static_cast<const arrow::BinaryArray&>(a).GetView(i), c);
    case T::LARGE_BINARY: return text(static_cast<const arrow::LargeBinaryArray&>(a).GetView(i), c);
    case T::BINARY_VIEW: return text(static_cast<const arrow::BinaryViewArray&>(a).GetView(i), c);
    case T::FIXED_SIZE_BINARY: return text(static_cast<const arrow::FixedSizeBinaryArray&>(a).GetView(i), c);
    case T::LIST: return list_items<arrow::ListArray>(c, i);
    case T::LARGE_LIST: return list_items<arrow::LargeListArray>(c, i);
    case T::FIXED_SIZE_LIST: return list_items<arrow::FixedSizeListArray>(c, i);
    case T::LIST_VIEW: return list_items<arrow::ListViewArray>(c, i);
    case T::LARGE_LIST_VIEW: return list_items<arrow::LargeListViewArray>(c, i);
    case T::STRUCT: {
      json out = json::object();
      for (size_t k = 0; k < c.kids.size(); ++k) out[c.field_names[k]] = value(c.kids[k], i);
      return out;
    }
    case T::MAP: {
      const auto& m = static_cast<const arrow::MapArray&>(a);
      const int64_t from = m.value_offset(i), n = m.value_length(i);
      const bool by_name = c.kids[0].id == T::STRING || c.kids[0].id == T::LARGE_STRING || c.kids[0].id == T::STRING_VIEW;
      json out = by_name ? json::object() : json::array();
      for (int64_t k = 0; k < n; ++k) {
        json key = value(c.kids[0], from + k), item = value(c.kids[1], from + k);
        if (by_name) out[key.get<std::string>()] = std::move(item);
        else out.push_back(json::array({std::move(key), std::move(item)}));
      }
      return out;
    }
    case T::DICTIONARY:
      return value(c.kids[0], static_cast<const arrow::DictionaryArray&>(a).GetValueIndex(i));
    default: {
      auto s = a.GetScalar(i);
      if (!s.ok()) return nullptr;
      return json((*s)->ToString());
    }
  }
}

}  // namespace

void each_arrow_row(arrow::RecordBatchReader& batches, const std::string& file, int64_t* row,
                    const std::function<void(Record&)>& f) {
  while (true) {
    std::shared_ptr<arrow::RecordBatch> batch;
    if (arrow::Status st = batches.ReadNext(&batch); !st.ok())
      throw data_error(file + ": cannot read the records: " + st.message());
    if (!batch) return;
    std::vector<Col> cols;
    for (int k = 0; k < batch->num_columns(); ++k) cols.push_back(make_col(batch->column(k), batch->column_name(k)));
    for (int64_t i = 0; i < batch->num_rows(); ++i) {
      Record r;
      r.where = file + ": row " + std::to_string(++*row);
      try {
        r.value = json::object();
        for (const Col& c : cols) r.value[c.name] = value(c, i);
      } catch (const NotText& e) {
        r.value = nullptr;
        r.error = e.column + ": not UTF-8 text";
      }
      f(r);
    }
  }
}

}  // namespace saturn::tok
