#include "tokenize/records/arrow_records.h"

#include <arrow/io/file.h>
#include <arrow/ipc/reader.h>
#include <arrow/record_batch.h>

#include <cstring>

#include "core/error.h"
#include "tokenize/records/arrow_rows.h"
#include "tokenize/records/mapped_input.h"

namespace saturn::tok {
namespace {

// The file form's batches, one after another.
class FileBatches : public arrow::RecordBatchReader {
 public:
  explicit FileBatches(std::shared_ptr<arrow::ipc::RecordBatchFileReader> r) : r_(std::move(r)) {}
  std::shared_ptr<arrow::Schema> schema() const override { return r_->schema(); }
  arrow::Status ReadNext(std::shared_ptr<arrow::RecordBatch>* batch) override {
    if (next_ >= r_->num_record_batches()) {
      batch->reset();
      return arrow::Status::OK();
    }
    auto b = r_->ReadRecordBatch(next_++);
    if (!b.ok()) return b.status();
    *batch = std::move(*b);
    return arrow::Status::OK();
  }

 private:
  std::shared_ptr<arrow::ipc::RecordBatchFileReader> r_;
  int next_ = 0;
};

class ArrowRecords : public RecordSource {
 public:
  explicit ArrowRecords(std::string path) : path_(std::move(path)) {}

  uint64_t each(const std::function<void(Record&)>& f) override {
    MappedInput in(path_);
    std::shared_ptr<arrow::RecordBatchReader> batches;
    if (in.size() >= 6 && std::memcmp(in.data(), "ARROW1", 6) == 0) {
      auto r = arrow::ipc::RecordBatchFileReader::Open(in.file());
      if (!r.ok()) throw data_error(path_ + ": not an Arrow file (" + r.status().message() + ")");
      batches = std::make_shared<FileBatches>(std::move(*r));
    } else {
      auto r = arrow::ipc::RecordBatchStreamReader::Open(in.file());
      if (!r.ok()) throw data_error(path_ + ": not an Arrow IPC stream or file (" + r.status().message() + ")");
      batches = std::move(*r);
    }
    int64_t row = 0;
    each_arrow_row(*batches, path_, &row, f);
    return in.hash();
  }

 private:
  std::string path_;
};

}  // namespace

std::unique_ptr<RecordSource> arrow_records(const std::string& path) { return std::make_unique<ArrowRecords>(path); }

}  // namespace saturn::tok
