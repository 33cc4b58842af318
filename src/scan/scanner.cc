#include "mats/scan/scanner.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <cerrno>
#include <new>
#include <set>
#include <utility>

#include "mats/core/encoding.h"
#include "mats/core/mapped_file.h"
#include "mats/core/scan_context.h"
#include "mats/core/thread_pool.h"
#include "mats/scan/registry.h"
#include "scan/builtin_formats.h"

namespace mats::scan {
namespace {

std::string JoinMember(std::string_view parent, std::string_view child) {
  if (parent.empty()) return std::string(child);
  if (child.empty()) return std::string(parent);
  std::string out(parent);
  out.push_back('/');
  out.append(child);
  return out;
}

std::string_view BaseName(std::string_view path) {
  size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

std::string LowerExtension(std::string_view name) {
  std::string_view base = BaseName(name);
  size_t dot = base.rfind('.');
  if (dot == std::string_view::npos || dot == 0) return {};
  std::string ext(base.substr(dot + 1));
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ext;
}

const FormatHandler& Detect(ByteSpan data, std::string_view name) {
  const FormatHandler* weak = nullptr;
  for (const FormatHandler* h : AllFormats()) {
    SniffResult r = h->sniff(data, name);
    if (r == SniffResult::kStrong) return *h;
    if (r == SniffResult::kWeak && weak == nullptr) weak = h;
  }
  return weak != nullptr ? *weak : UnknownFormat();
}

// Formats whose loaders execute code named by the content.
bool ExecutesOnLoad(std::string_view format) {
  static constexpr std::string_view kIds[] = {
      "pickle", "joblib", "pytorch-legacy", "pytorch-zip", "torchscript",
      "pytorch-tar"};
  return std::find(std::begin(kIds), std::end(kIds), format) != std::end(kIds);
}

// Extensions that promise a format which cannot carry code.
bool ExtensionPromisesData(std::string_view ext) {
  static constexpr std::string_view kExts[] = {
      "safetensors", "gguf", "onnx", "json", "txt", "md", "png", "jpg",
      "jpeg", "gif", "csv", "jsonl", "parquet", "tflite", "model", "vocab",
      "jinja", "yaml", "yml", "h5", "hdf5", "npy"};
  return std::find(std::begin(kExts), std::end(kExts), ext) != std::end(kExts);
}

class FileScan final : public ScanContext {
 public:
  FileScan(const ScanOptions& options, FileReport* report, std::string file_path)
      : options_(options), report_(report), file_path_(std::move(file_path)) {}

  const Limits& limits() const override { return options_.limits; }
  const Policy& policy() const override { return options_.policy; }

  void Report(Finding f) override {
    if (report_->findings.size() >= options_.limits.max_findings) {
      ++report_->findings_dropped;
      return;
    }
    f.member = JoinMember(member_path_, f.member);
    report_->findings.push_back(std::move(f));
  }

  void ReportError(std::string_view member, const Status& status) override {
    report_->errors.push_back({JoinMember(member_path_, member), status});
  }

  void RefineFormat(std::string_view format) override {
    if (member_index_ < 0) {
      report_->format = std::string(format);
    } else {
      report_->members[static_cast<size_t>(member_index_)].format = std::string(format);
    }
  }

  const std::string& member_path() const override { return member_path_; }
  uint32_t depth() const override { return depth_; }
  const std::string& file_path() const override { return file_path_; }

  Status ScanNested(ByteSpan data, std::string_view name,
                    std::string_view format_hint) override {
    std::string full = JoinMember(member_path_, name);
    if (depth_ >= options_.limits.max_nesting) {
      Finding f;
      f.rule_id = std::string(kRuleNestedLimit);
      f.severity = Severity::kMedium;
      f.member = std::string(name);
      f.message = fmt::format("content nested {} levels deep was not analysed",
                              depth_ + 1);
      Report(std::move(f));
      Status s = LimitExceeded("{}", LimitMessage("max_nesting", options_.limits.max_nesting));
      ReportError(name, s);
      return s;
    }
    const FormatHandler* handler = nullptr;
    if (!format_hint.empty()) handler = FindFormat(format_hint);
    if (handler == nullptr) handler = &Detect(data, name);

    report_->members.push_back({full, std::string(handler->id), data.size()});
    const size_t index = report_->members.size() - 1;
    int saved_index = member_index_;
    std::string saved_path = std::move(member_path_);
    member_index_ = static_cast<int>(index);
    member_path_ = full;
    ++depth_;
    Status s;
    if (handler != &UnknownFormat()) {
      s = RunAnalyzer(*handler, data);
    }
    --depth_;
    member_path_ = std::move(saved_path);
    member_index_ = saved_index;
    if (!s.ok()) ReportError(name, s);
    // A parent that names the format (an .npy body is a pickle by design) is
    // not disguising anything; otherwise compare the member's own format
    // (members[index], not back(): nested analysis appends deeper members).
    if (format_hint.empty()) CheckDisguise(report_->members[index].format, name);
    return Status::Ok();
  }

  // Analyses the top-level content.
  void Run(ByteSpan data, std::string_view name) {
    const FormatHandler& handler = Detect(data, name);
    report_->format = std::string(handler.id);
    Status s = RunAnalyzer(handler, data);
    if (!s.ok()) report_->errors.push_back({"", s});
    CheckDisguise(report_->format, name);
  }

 private:
  Status RunAnalyzer(const FormatHandler& handler, ByteSpan data) {
    try {
      return handler.analyze(data, *this);
    } catch (const std::bad_alloc&) {
      return LimitExceeded("{}: out of memory while analysing", handler.id);
    } catch (const std::exception& e) {
      // Analysers do not throw by design (fuzz targets call them directly
      // and crash on an exception, so such bugs are found there); if one
      // slips through, this file is "not analysable" instead of the whole
      // scan dying.
      return Internal("{}: internal error while analysing: {}", handler.id,
                      EscapePreview(e.what(), 200));
    }
  }

  void CheckDisguise(std::string_view format, std::string_view name) {
    std::string ext = LowerExtension(name);
    if (ext.empty() || !ExecutesOnLoad(format) || !ExtensionPromisesData(ext)) return;
    Finding f;
    f.rule_id = std::string(kRuleDisguisedFormat);
    f.severity = Severity::kHigh;
    f.member = member_path_.empty() ? std::string() : std::string(name);
    f.message = fmt::format("content is {} but the name ends in .{}", format,
                            EscapePreview(ext, 16));
    Report(std::move(f));
  }

  const ScanOptions& options_;
  FileReport* report_;
  std::string file_path_;
  std::string member_path_;
  int member_index_ = -1;
  uint32_t depth_ = 0;
};

bool IsVcsDir(std::string_view name) {
  return name == ".git" || name == ".hg" || name == ".svn";
}

// Lists every entry under `root` (explicit stack, sorted, loop-safe).
Status Walk(const std::string& root, const ScanOptions& options,
            std::vector<FileReport>* out) {
  struct stat st {};
  if (::stat(root.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    FileReport r;
    r.path = root;
    out->push_back(std::move(r));
    return Status::Ok();
  }
  std::set<std::pair<dev_t, ino_t>> visited;
  std::vector<std::string> stack{root};
  visited.insert({st.st_dev, st.st_ino});
  while (!stack.empty()) {
    std::string dir = std::move(stack.back());
    stack.pop_back();
    std::error_code ec;
    std::vector<std::string> names;
    auto it = std::filesystem::directory_iterator(dir, ec);
    if (ec) {
      FileReport r;
      r.path = dir;
      r.errors.push_back({"", IoError("cannot list directory: {}", ec.message())});
      out->push_back(std::move(r));
      continue;
    }
    for (; it != std::filesystem::directory_iterator(); it.increment(ec)) {
      names.push_back(it->path().filename().string());
    }
    if (ec) {
      FileReport r;
      r.path = dir;
      r.errors.push_back({"", IoError("error while listing directory: {}", ec.message())});
      out->push_back(std::move(r));
    }
    std::sort(names.begin(), names.end());
    std::vector<std::string> subdirs;
    for (const std::string& name : names) {
      std::string path = dir == "/" ? "/" + name : dir + "/" + name;
      struct stat target {};
      bool resolves = ::stat(path.c_str(), &target) == 0;
      if (resolves && S_ISDIR(target.st_mode)) {
        if (!options.include_vcs && IsVcsDir(name)) {
          FileReport r;
          r.path = path;
          r.skipped = true;
          r.skip_reason = "version-control metadata (use --include-vcs to scan)";
          out->push_back(std::move(r));
          continue;
        }
        if (!visited.insert({target.st_dev, target.st_ino}).second) {
          FileReport r;
          r.path = path;
          r.skipped = true;
          r.skip_reason = "directory already scanned (symlink loop or alias)";
          out->push_back(std::move(r));
          continue;
        }
        subdirs.push_back(path);
        continue;
      }
      if (out->size() >= options.limits.max_files) {
        return LimitExceeded("{} while listing {}",
                             LimitMessage("max_files", options.limits.max_files),
                             EscapePreview(dir, 256));
      }
      FileReport r;
      r.path = path;
      out->push_back(std::move(r));
    }
    // Push in reverse so directories are visited in sorted order.
    for (auto d = subdirs.rbegin(); d != subdirs.rend(); ++d) stack.push_back(*d);
  }
  return Status::Ok();
}

void ScanOne(FileReport* report, const ScanOptions& options) {
  struct stat lst {};
  if (::lstat(report->path.c_str(), &lst) != 0) {
    report->errors.push_back({"", ErrnoError(errno, "stat")});
    report->verdict = ComputeVerdict(*report);
    return;
  }
  if (S_ISLNK(lst.st_mode)) {
    std::error_code ec;
    auto target = std::filesystem::read_symlink(report->path, ec);
    if (!ec) report->link_target = target.string();
  }
  struct stat st {};
  if (::stat(report->path.c_str(), &st) != 0) {
    report->errors.push_back({"", ErrnoError(errno, "broken symlink")});
    report->verdict = ComputeVerdict(*report);
    return;
  }
  if (!S_ISREG(st.st_mode)) {
    report->format = "special-file";
    report->errors.push_back(
        {"", Unsupported("not a regular file (device, fifo or socket); not opened")});
    report->verdict = ComputeVerdict(*report);
    return;
  }
  auto file = MappedFile::Open(report->path);
  if (!file.ok()) {
    report->errors.push_back({"", file.status()});
    report->verdict = ComputeVerdict(*report);
    return;
  }
  report->size = file->size();
  if (file->size() == 0) {
    report->format = "empty";
  } else {
    FileScan scan(options, report, report->path);
    scan.Run(file->bytes(), BaseName(report->path));
  }
  report->verdict = ComputeVerdict(*report);
}

// Builds the repository view of one directory root from its file reports.
repo::RepositorySummary SummarizeRoot(const std::string& root,
                                      const std::vector<FileReport>& files,
                                      const ScanOptions& options) {
  std::string prefix = root == "/" ? root : root + "/";
  std::vector<repo::RepoFile> repo_files;
  for (const FileReport& f : files) {
    if (f.skipped || !f.path.starts_with(prefix)) continue;
    repo::RepoFile rf;
    rf.path = f.path.substr(prefix.size());
    rf.format = f.format;
    rf.verdict = std::string(VerdictName(f.verdict));
    rf.size = f.size;
    for (const Finding& finding : f.findings) {
      rf.findings.emplace_back(finding.rule_id, finding.severity);
    }
    repo_files.push_back(std::move(rf));
  }
  return repo::SummarizeRepository(root, repo_files, options.limits);
}

}  // namespace

std::string_view VerdictName(Verdict v) {
  switch (v) {
    case Verdict::kClean: return "clean";
    case Verdict::kSuspicious: return "suspicious";
    case Verdict::kNotAnalysable: return "not_analysable";
    case Verdict::kMalicious: return "malicious";
  }
  return "clean";
}

Verdict ComputeVerdict(const FileReport& report) {
  Severity max = Severity::kInfo;
  for (const Finding& f : report.findings) max = std::max(max, f.severity);
  if (max >= Severity::kHigh) return Verdict::kMalicious;
  if (!report.errors.empty()) return Verdict::kNotAnalysable;
  if (max >= Severity::kLow) return Verdict::kSuspicious;
  return Verdict::kClean;
}

Severity ScanReport::MaxSeverity() const {
  Severity max = Severity::kInfo;
  for (const auto& f : files)
    for (const auto& finding : f.findings) max = std::max(max, finding.severity);
  for (const auto& r : repositories)
    for (const auto& finding : r.findings) max = std::max(max, finding.severity);
  return max;
}

size_t ScanReport::CountVerdict(Verdict v) const {
  size_t n = 0;
  for (const auto& f : files)
    if (!f.skipped && f.verdict == v) ++n;
  return n;
}

FileReport ScanBytes(ByteSpan data, std::string_view name,
                     const ScanOptions& options) {
  FileReport report;
  report.path = std::string(name);
  report.size = data.size();
  if (data.empty()) {
    report.format = "empty";
  } else {
    FileScan scan(options, &report, "");
    scan.Run(data, BaseName(name));
  }
  report.verdict = ComputeVerdict(report);
  return report;
}

Result<ScanReport> ScanPaths(std::span<const std::string> paths,
                             const ScanOptions& options) {
  if (paths.empty()) return InvalidArgument("no paths to scan");
  ScanReport report;
  for (const std::string& p : paths) {
    std::string root = p;
    while (root.size() > 1 && root.back() == '/') root.pop_back();
    report.roots.push_back(root);
    MATS_RETURN_IF_ERROR(Walk(root, options, &report.files));
  }
  std::stable_sort(report.files.begin(), report.files.end(),
                   [](const FileReport& a, const FileReport& b) { return a.path < b.path; });
  report.files.erase(
      std::unique(report.files.begin(), report.files.end(),
                  [](const FileReport& a, const FileReport& b) { return a.path == b.path; }),
      report.files.end());
  ThreadPool pool(ThreadPool::DefaultThreads(options.threads));
  pool.ParallelFor(report.files.size(), [&](size_t i) {
    FileReport& f = report.files[i];
    if (f.skipped) return;
    if (f.errors.empty()) {
      ScanOne(&f, options);
    } else {
      f.verdict = ComputeVerdict(f);
    }
  });
  for (const std::string& root : report.roots) {
    struct stat st {};
    if (::stat(root.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) continue;
    report.repositories.push_back(SummarizeRoot(root, report.files, options));
  }
  return report;
}

}  // namespace mats::scan
