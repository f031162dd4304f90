// Which files a records path names, and which reader its name or bytes say.
// A path is a file, a glob of shards ("data/train-*.parquet"), or a folder:
// a Hugging Face datasets `save_to_disk` folder (state.json lists its Arrow
// files) or a folder of files of one kind. Torch-free, Arrow-free.
#pragma once

#include <string>
#include <vector>

namespace saturn {

// True when `path` holds a glob character (*, ? or [) and names no file.
bool is_data_glob(const std::string& path);

// The files `path` names, in reading order: a file itself; a glob's matches,
// sorted; a save_to_disk folder's state.json `_data_files`, in order;
// another folder's files ending in the extension of `reader` (".parquet"
// for parquet, ".jsonl", ".json", ".csv", ".arrow"), sorted. Throws
// saturn::Error: NoInput when nothing is there, no file matches or the
// folder has none of those files; Data for a DatasetDict folder (its
// splits are the folders to name) or a state.json that is not datasets'.
std::vector<std::string> data_files(const std::string& path, const std::string& reader);

// The records reader that `path` is for: its extension (.jsonl, .json,
// .csv, .parquet, .arrow; a glob's pattern's; "text" for .txt and .md),
// else a folder's kind (a save_to_disk folder: arrow; else the one kind its
// files' extensions share, text included),
// else the file's first bytes (parquet's "PAR1", Arrow's "ARROW1" or an IPC
// stream's 0xFFFFFFFF). "" when none says it.
std::string detect_reader(const std::string& path);

// True when the file at `path` holds a JSON list of objects (data.tools: the
// tool definitions a chat template gets).
bool is_json_list_of_objects(const std::string& path);

}  // namespace saturn
