// Scan time of a PyTorch zip checkpoint against the size of its tensor data.
//
// Each benchmark writes, in a temp dir, a checkpoint laid out like
// torch.save's (archive/data.pkl, archive/data/0, archive/version, zip64
// end records) whose tensor storage is a STORED member of N bytes left as a
// hole (ftruncate), so a 10 GB checkpoint costs no disk. The file is mapped
// and analysed by the zip handler; nested members are only counted. Scan
// time must stay flat as N grows: storages are never read.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "mats/core/mapped_file.h"
#include "mats/core/scan_context.h"
#include "mats/zip/zip.h"

namespace {

class CountingContext : public mats::ScanContext {
 public:
  const mats::Limits& limits() const override { return limits_; }
  const mats::Policy& policy() const override { return policy_; }
  void Report(mats::Finding) override { ++findings; }
  mats::Status ScanNested(mats::ByteSpan data, std::string_view, std::string_view) override {
    ++nested;
    nested_bytes += data.size();
    return mats::Status::Ok();
  }
  void ReportError(std::string_view, const mats::Status&) override { ++errors; }
  void RefineFormat(std::string_view f) override { format = std::string(f); }
  const std::string& member_path() const override { return empty_; }
  uint32_t depth() const override { return 0; }
  const std::string& file_path() const override { return empty_; }

  uint64_t findings = 0, nested = 0, nested_bytes = 0, errors = 0;
  std::string format;

 private:
  mats::Limits limits_;
  mats::Policy policy_;
  std::string empty_;
};

void Put16(std::vector<uint8_t>& b, uint16_t v) {
  b.push_back(static_cast<uint8_t>(v));
  b.push_back(static_cast<uint8_t>(v >> 8));
}
void Put32(std::vector<uint8_t>& b, uint32_t v) {
  for (int i = 0; i < 4; ++i) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
void Put64(std::vector<uint8_t>& b, uint64_t v) {
  for (int i = 0; i < 8; ++i) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

struct Member {
  std::string name;
  std::vector<uint8_t> data;  // empty for the sparse storage
  uint64_t size = 0;
  uint64_t offset = 0;
};

void LocalHeader(std::vector<uint8_t>& out, const Member& m) {
  Put32(out, 0x04034b50);
  Put16(out, 45);
  Put16(out, 0x0800);
  Put16(out, 0);  // stored
  Put32(out, 0);
  Put32(out, 0);  // crc: not checked for unread storages
  Put32(out, 0xFFFFFFFF);
  Put32(out, 0xFFFFFFFF);
  Put16(out, static_cast<uint16_t>(m.name.size()));
  Put16(out, 20);
  out.insert(out.end(), m.name.begin(), m.name.end());
  Put16(out, 1);
  Put16(out, 16);
  Put64(out, m.size);
  Put64(out, m.size);
}

void CentralHeader(std::vector<uint8_t>& out, const Member& m, uint32_t crc) {
  Put32(out, 0x02014b50);
  Put16(out, 45);
  Put16(out, 45);
  Put16(out, 0x0800);
  Put16(out, 0);
  Put32(out, 0);
  Put32(out, crc);
  Put32(out, 0xFFFFFFFF);
  Put32(out, 0xFFFFFFFF);
  Put16(out, static_cast<uint16_t>(m.name.size()));
  Put16(out, 28);
  Put16(out, 0);
  Put16(out, 0);
  Put16(out, 0);
  Put32(out, 0);
  Put32(out, 0xFFFFFFFF);
  out.insert(out.end(), m.name.begin(), m.name.end());
  Put16(out, 1);
  Put16(out, 24);
  Put64(out, m.size);
  Put64(out, m.size);
  Put64(out, m.offset);
}

uint32_t Crc(const std::vector<uint8_t>& d) {
  uint32_t c = 0xFFFFFFFFu;
  for (uint8_t b : d) {
    c ^= b;
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
  }
  return ~c;
}

// Writes the sparse checkpoint; returns its path.
std::string WriteCheckpoint(uint64_t storage_bytes) {
  char tmpl[] = "/tmp/mats-container-bench-XXXXXX";
  int fd = mkstemp(tmpl);
  if (fd < 0) std::abort();
  // A protocol-2 pickle: {'w': 1} — stands in for data.pkl.
  const uint8_t pkl[] = {0x80, 0x02, '}', 'q', 0, 'X', 1, 0, 0, 0, 'w', 'q', 1, 'K', 1, 's', '.'};
  std::vector<Member> members = {{"archive/data.pkl", std::vector<uint8_t>(std::begin(pkl), std::end(pkl)), sizeof(pkl), 0},
                                 {"archive/data/0", {}, storage_bytes, 0},
                                 {"archive/version", {'3', '\n'}, 2, 0}};
  std::vector<uint8_t> head;
  uint64_t pos = 0;
  for (Member& m : members) {
    m.offset = pos;
    std::vector<uint8_t> h;
    LocalHeader(h, m);
    if (pwrite(fd, h.data(), h.size(), static_cast<off_t>(pos)) != static_cast<ssize_t>(h.size())) std::abort();
    pos += h.size();
    if (!m.data.empty() &&
        pwrite(fd, m.data.data(), m.data.size(), static_cast<off_t>(pos)) != static_cast<ssize_t>(m.data.size())) {
      std::abort();
    }
    pos += m.size;  // the storage stays a hole
  }
  std::vector<uint8_t> tail;
  uint64_t cd_off = pos;
  for (const Member& m : members) CentralHeader(tail, m, m.data.empty() ? 0 : Crc(m.data));
  uint64_t cd_size = tail.size();
  uint64_t rec_off = cd_off + cd_size;
  Put32(tail, 0x06064b50);
  Put64(tail, 44);
  Put16(tail, 45);
  Put16(tail, 45);
  Put32(tail, 0);
  Put32(tail, 0);
  Put64(tail, members.size());
  Put64(tail, members.size());
  Put64(tail, cd_size);
  Put64(tail, cd_off);
  Put32(tail, 0x07064b50);
  Put32(tail, 0);
  Put64(tail, rec_off);
  Put32(tail, 1);
  Put32(tail, 0x06054b50);
  Put16(tail, 0);
  Put16(tail, 0);
  Put16(tail, 0xFFFF);
  Put16(tail, 0xFFFF);
  Put32(tail, 0xFFFFFFFF);
  Put32(tail, 0xFFFFFFFF);
  Put16(tail, 0);
  if (pwrite(fd, tail.data(), tail.size(), static_cast<off_t>(cd_off)) != static_cast<ssize_t>(tail.size())) {
    std::abort();
  }
  close(fd);
  return tmpl;
}

void BM_ScanSparsePytorchCheckpoint(benchmark::State& state) {
  uint64_t storage = static_cast<uint64_t>(state.range(0)) << 20;  // MiB
  std::string path = WriteCheckpoint(storage);
  auto file = mats::MappedFile::Open(path);
  if (!file.ok()) {
    state.SkipWithError("mmap failed");
    std::remove(path.c_str());
    return;
  }
  mats::ByteSpan bytes = file->bytes();
  CountingContext last;
  for (auto _ : state) {
    CountingContext ctx;
    mats::Status s = mats::zip::AnalyzeZip(bytes, ctx);
    if (!s.ok()) state.SkipWithError("scan failed");
    benchmark::DoNotOptimize(ctx.nested_bytes);
    last = ctx;
  }
  state.counters["file_GiB"] = static_cast<double>(bytes.size()) / (1 << 30);
  state.counters["members_scanned"] = static_cast<double>(last.nested);
  state.counters["bytes_scanned"] = static_cast<double>(last.nested_bytes);
  if (last.format != "pytorch-zip") state.SkipWithError("layout not recognised");
  std::remove(path.c_str());
}
// 1 MiB, 1 GiB, 10 GiB of tensor data.
BENCHMARK(BM_ScanSparsePytorchCheckpoint)->Arg(1)->Arg(1024)->Arg(10240)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
