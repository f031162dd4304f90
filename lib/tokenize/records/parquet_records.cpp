#include "tokenize/records/parquet_records.h"

#include <arrow/io/file.h>
#include <arrow/record_batch.h>
#include <parquet/arrow/reader.h>
#include <parquet/exception.h>

#include "core/error.h"
#include "core/hash.h"
#include "tokenize/records/arrow_rows.h"
#include "tokenize/records/mapped_input.h"

namespace saturn::tok {
namespace {

class ParquetRecords : public RecordSource {
 public:
  explicit ParquetRecords(std::string path) : path_(std::move(path)) {}

  uint64_t each(const std::function<void(Record&)>& f) override {
    MappedInput in(path_);
    std::unique_ptr<arrow::RecordBatchReader> batches;
    try {
      auto reader = parquet::arrow::OpenFile(in.file(), arrow::default_memory_pool());
      if (!reader.ok()) throw data_error(path_ + ": not a parquet file (" + reader.status().message() + ")");
      auto rb = (*reader)->GetRecordBatchReader();
      if (!rb.ok()) throw data_error(path_ + ": cannot read the records: " + rb.status().message());
      batches = std::move(*rb);
      int64_t row = 0;
      each_arrow_row(*batches, path_, &row, f);
    } catch (const parquet::ParquetException& e) {
      throw data_error(path_ + ": not a parquet file (" + std::string(e.what()) + ")");
    }
    return in.hash();
  }

 private:
  std::string path_;
};

}  // namespace

std::unique_ptr<RecordSource> parquet_records(const std::string& path) {
  return std::make_unique<ParquetRecords>(path);
}

}  // namespace saturn::tok
