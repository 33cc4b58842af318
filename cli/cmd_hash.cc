// `mats hash PATH`: the OMS manifest of a model or dataset (folder or file).
#include <memory>
#include <string>

#include "command.h"
#include "mats/core/encoding.h"
#include "mats/core/json.h"
#include "mats/hash/cache.h"
#include "mats/hash/hasher.h"
#include "mats/hash/records.h"
#include "mats/core/mapped_file.h"
#include "sign_common.h"

namespace mats::cli {
namespace {

struct HashCmdFlags {
  std::string path;
  std::string format = "text";
  std::string output;
  std::string cache;
  signing::HashFlags hash;
};

Status RunHash(const HashCmdFlags& f) {
  MATS_ASSIGN_OR_RETURN(hash::HashOptions o, signing::ToHashOptions(f.hash));
  std::unique_ptr<hash::HashCache> cache;
  if (!f.cache.empty()) {
    MATS_RETURN_IF_ERROR(signing::CheckCacheOutsideModel(f.path, f.cache));
    MATS_ASSIGN_OR_RETURN(hash::HashCache c, hash::HashCache::Load(f.cache));
    cache = std::make_unique<hash::HashCache>(std::move(c));
    o.cache = cache.get();
  }
  hash::Manifest m;
  {
    signing::ProgressBar bar(f.hash.no_progress);
    o.progress = bar.Fn();
    MATS_ASSIGN_OR_RETURN(m, hash::HashModel(f.path, o));
  }
  if (cache) MATS_RETURN_IF_ERROR(cache->Save(f.cache));
  std::string out;
  if (f.format == "json") {
    out = hash::ManifestToJson(m) + "\n";
  } else {
    for (const hash::Resource& r : m.resources)
      out += fmt::format("{}  {}\n", HexEncode(r.digest), EscapePreview(r.Name(), 4096));
    out += fmt::format("root {}  ({} {} {}, {} resources, {} bytes)\n",
                       HexEncode(hash::RootDigest(m.resources)), hash::MethodName(m.method),
                       hash::HashAlgorithmName(m.algorithm),
                       m.method == hash::Method::kShards
                           ? fmt::format("shard_size={}", m.shard_size)
                           : std::string("whole files"),
                       m.resources.size(), m.total_bytes);
  }
  return WriteOutput(f.output, out);
}

struct RecordsFlags {
  std::string dataset;
  std::vector<std::string> files;
  std::string file;
  uint64_t index = 0;
  std::string output;
  std::string format = "text";
};

// Files under `dataset` with a record format, relative, sorted.
Result<std::vector<std::string>> RecordFiles(const std::string& dataset) {
  hash::HashOptions o;
  o.threads = 1;
  o.ignore_paths = {std::string(hash::kRecordManifestName)};
  // Only the listing is needed; hashing small datasets twice is acceptable
  // for this helper, large ones should pass --file explicitly.
  MATS_ASSIGN_OR_RETURN(hash::Manifest m, hash::HashModel(dataset, o));
  std::vector<std::string> out;
  for (const hash::Resource& r : m.resources)
    if (hash::RecordFormatForPath(r.path).ok()) out.push_back(r.path);
  return out;
}

Status RunRecords(const RecordsFlags& f) {
  std::vector<std::string> files = f.files;
  if (files.empty()) {
    MATS_ASSIGN_OR_RETURN(files, RecordFiles(f.dataset));
  }
  if (files.empty())
    return InvalidArgument("hash records: no .jsonl, .ndjson or .csv files in {}", f.dataset);
  hash::RecordManifest m;
  std::string out;
  nlohmann::json listed = nlohmann::json::array();
  for (const std::string& rel : files) {
    MATS_ASSIGN_OR_RETURN(hash::RecordFormat fmt, hash::RecordFormatForPath(rel));
    MATS_ASSIGN_OR_RETURN(hash::RecordFile rf, hash::HashRecordFile(f.dataset, rel, fmt));
    out += fmt::format("{}  {} records  {}\n", HexEncode(rf.root), rf.leaves.size(),
                       EscapePreview(rel, 4096));
    listed.push_back({{"path", rel}, {"records", rf.leaves.size()}, {"root", HexEncode(rf.root)}});
    m.files.push_back(std::move(rf));
  }
  std::string path = f.output.empty()
                         ? f.dataset + "/" + std::string(hash::kRecordManifestName)
                         : f.output;
  MATS_RETURN_IF_ERROR(WriteFileAtomic(path, hash::SerializeRecordManifest(m)));
  if (f.format == "json")
    return WriteOutput("", DumpJson(nlohmann::json{{"schema", "mats-hash-records/1"},
                                                   {"manifest", path},
                                                   {"files", listed}},
                                    2) +
                               "\n");
  out += fmt::format("record manifest written to {} (sign the dataset to bind it)\n", path);
  return WriteOutput("", out);
}

Status RunRecordProof(const RecordsFlags& f) {
  std::string mpath = f.dataset + "/" + std::string(hash::kRecordManifestName);
  MATS_ASSIGN_OR_RETURN(std::string text, ReadFileToString(mpath, hash::kMaxRecordManifestBytes));
  MATS_ASSIGN_OR_RETURN(hash::RecordManifest m, hash::ParseRecordManifest(text));
  const hash::RecordFile* rf = m.Find(f.file);
  if (rf == nullptr)
    return InvalidArgument("hash record-proof: {} is not in {}", EscapePreview(f.file), mpath);
  MATS_ASSIGN_OR_RETURN(std::string proof, hash::MakeRecordProof(f.dataset, *rf, f.index));
  return WriteOutput(f.output, proof);
}

void RegisterHash(CLI::App& app, CliContext& ctx) {
  auto f = std::make_shared<HashCmdFlags>();
  CLI::App* cmd = app.add_subcommand(
      "hash", "Hash a model or dataset into an OMS manifest (canonical order, root digest)");
  cmd->require_subcommand(0, 1);
  cmd->add_option("path", f->path, "model or dataset folder, or a single file");

  auto rf = std::make_shared<RecordsFlags>();
  CLI::App* records = cmd->add_subcommand(
      "records", "Write DATASET/mats-records.json: a Merkle root over the records of JSONL/CSV files");
  records->add_option("dataset", rf->dataset, "dataset folder")->required();
  records->add_option("--file", rf->files, "dataset-relative file (default: every .jsonl/.ndjson/.csv)");
  records->add_option("-o,--output", rf->output, "manifest path (default DATASET/mats-records.json)");
  records->add_option("--format", rf->format, "text or json")->check(CLI::IsMember({"text", "json"}));
  records->callback([rf, &ctx] {
    Status s = RunRecords(*rf);
    ctx.exit_code = s.ok() ? kExitOk : ReportError(s);
  });
  auto pf = std::make_shared<RecordsFlags>();
  CLI::App* proof = cmd->add_subcommand(
      "record-proof", "Inclusion proof that one record belongs to the signed dataset");
  proof->add_option("dataset", pf->dataset, "dataset folder holding mats-records.json")->required();
  proof->add_option("file", pf->file, "dataset-relative file")->required();
  proof->add_option("index", pf->index, "0-based record index")->required();
  proof->add_option("-o,--output", pf->output, "write the proof here instead of stdout");
  proof->callback([pf, &ctx] {
    Status s = RunRecordProof(*pf);
    ctx.exit_code = s.ok() ? kExitOk : ReportError(s);
  });
  signing::AddHashFlags(cmd, f->hash);
  cmd->add_option("--format", f->format, "text or json")
      ->check(CLI::IsMember({"text", "json"}));
  cmd->add_option("-o,--output", f->output, "write here instead of stdout");
  cmd->add_option("--cache", f->cache,
                  "incremental cache file (path, size, mtime, inode); never used by verify");
  cmd->callback([f, cmd, &ctx] {
    if (!cmd->get_subcommands().empty()) return;
    if (f->path.empty()) {
      ctx.exit_code = ReportError(InvalidArgument("hash: give a PATH (or records / record-proof)"));
      return;
    }
    Status s = RunHash(*f);
    ctx.exit_code = s.ok() ? kExitOk : ReportError(s);
  });
}

}  // namespace

MATS_REGISTER_COMMAND(RegisterHash);

}  // namespace mats::cli
