// Benchmarks of the symbolic pickle machine on pickles dense with small
// objects, built in-process the way CPython's pickler writes them
// (protocol 4: FRAMEs of ~64 KiB, MEMOIZE after every object, APPENDS /
// SETITEMS batches of 1000).
//
//   build-bench/bench/pickle_bench --benchmark_repetitions=3
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <cstring>
#include <map>
#include <mutex>
#include <string>

#include "mats/core/scan_context.h"
#include "mats/pickle/pickle.h"

namespace {

class NullContext : public mats::ScanContext {
 public:
  NullContext() { policy_.AddAll(mats::pickle::PicklePolicyEntries()); }
  const mats::Limits& limits() const override { return limits_; }
  const mats::Policy& policy() const override { return policy_; }
  void Report(mats::Finding) override { ++findings; }
  mats::Status ScanNested(mats::ByteSpan, std::string_view,
                          std::string_view) override {
    return mats::Status::Ok();
  }
  void ReportError(std::string_view, const mats::Status&) override {}
  void RefineFormat(std::string_view) override {}
  const std::string& member_path() const override { return empty_; }
  uint32_t depth() const override { return 0; }
  const std::string& file_path() const override { return empty_; }
  size_t findings = 0;

 private:
  mats::Limits limits_;
  mats::Policy policy_;
  std::string empty_;
};

// Appends opcodes and inserts a FRAME header every ~64 KiB like the pickler.
class Writer {
 public:
  Writer() {
    out_.push_back(static_cast<char>(0x80));
    out_.push_back(4);
  }
  void Op(const std::string& bytes) {
    if (frame_start_ == std::string::npos || out_.size() - frame_start_ > 65536) {
      CloseFrame();
      out_ += '\x95';
      frame_start_ = out_.size();
      out_ += std::string(8, '\0');
    }
    out_ += bytes;
  }
  std::string Finish() {
    Op(".");
    CloseFrame();
    return std::move(out_);
  }

 private:
  void CloseFrame() {
    if (frame_start_ == std::string::npos) return;
    uint64_t len = out_.size() - frame_start_ - 8;
    for (int i = 0; i < 8; ++i) {
      out_[frame_start_ + static_cast<size_t>(i)] = static_cast<char>((len >> (8 * i)) & 0xFF);
    }
  }
  std::string out_;
  size_t frame_start_ = std::string::npos;
};

std::string Sbu(const std::string& s) {
  return std::string("\x8c", 1) + static_cast<char>(s.size()) + s;
}
std::string BinInt(uint32_t v) {
  std::string s("J");
  for (int i = 0; i < 4; ++i) s += static_cast<char>((v >> (8 * i)) & 0xFF);
  return s;
}
std::string BinFloat(double d) {
  uint64_t u;
  std::memcpy(&u, &d, sizeof u);
  std::string s("G");
  for (int i = 7; i >= 0; --i) s += static_cast<char>((u >> (8 * i)) & 0xFF);
  return s;
}

// [ (i, "name<i>", i * 0.5), ... ] with an OrderedDict global every 1000
// items so that the policy path is exercised too.
std::string DenseTuples(size_t target_bytes) {
  Writer w;
  w.Op("]\x94");
  uint32_t i = 0;
  std::string batch;
  size_t approx = 0;
  while (approx < target_bytes) {
    w.Op("(");
    for (int k = 0; k < 1000; ++k, ++i) {
      std::string item = BinInt(i) + "\x94" + Sbu("name" + std::to_string(i)) + "\x94" +
                         BinFloat(i * 0.5) + "\x87\x94";
      approx += item.size();
      w.Op(item);
    }
    w.Op(Sbu("collections") + "\x94" + Sbu("OrderedDict") + "\x94\x93\x94)R\x94");
    w.Op("e");
  }
  return w.Finish();
}

// [ {"id": i, "label": "x<i>", "tags": ["a", "b"]}, ... ]
std::string DenseDicts(size_t target_bytes) {
  Writer w;
  w.Op("]\x94(");
  uint32_t i = 0;
  size_t approx = 0;
  while (approx < target_bytes) {
    std::string item = std::string("}\x94(") + Sbu("id") + "\x94" + BinInt(i) + Sbu("label") +
                       "\x94" + Sbu("x" + std::to_string(i)) + "\x94" + Sbu("tags") + "\x94" +
                       "]\x94(" + Sbu("a") + "\x94" + Sbu("b") + "\x94" + "eu";
    approx += item.size();
    w.Op(item);
    if (++i % 1000 == 0) w.Op("e(");
  }
  w.Op("e");
  return w.Finish();
}

long PeakRssMiB() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss / 1024;
}

void Run(benchmark::State& state, const std::string& data) {
  mats::ByteSpan bytes(reinterpret_cast<const uint8_t*>(data.data()), data.size());
  for (auto _ : state) {
    NullContext ctx;
    mats::Status s = mats::pickle::AnalyzePickle(bytes, ctx);
    if (!s.ok()) state.SkipWithError(s.ToString().c_str());
    benchmark::DoNotOptimize(ctx.findings);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(data.size()));
  state.counters["file_MiB"] = static_cast<double>(data.size()) / (1 << 20);
  state.counters["peak_rss_MiB"] = static_cast<double>(PeakRssMiB());
}

// Inputs are built once per (kind, size) and shared by all threads.
const std::string& Input(char kind, int64_t mib) {
  static std::mutex mu;
  static std::map<std::pair<char, int64_t>, std::string> cache;
  std::lock_guard<std::mutex> lock(mu);
  auto key = std::make_pair(kind, mib);
  auto it = cache.find(key);
  if (it == cache.end()) {
    size_t bytes = static_cast<size_t>(mib) << 20;
    it = cache.emplace(key, kind == 't' ? DenseTuples(bytes) : DenseDicts(bytes)).first;
  }
  return it->second;
}

void BM_PickleDenseTuples(benchmark::State& state) {
  Run(state, Input('t', state.range(0)));
}
BENCHMARK(BM_PickleDenseTuples)->Arg(8)->Arg(32)->Arg(64)->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_PickleDenseTuples)->Arg(32)->Threads(2)->Unit(benchmark::kMillisecond)
    ->UseRealTime();

void BM_PickleDenseDicts(benchmark::State& state) {
  Run(state, Input('d', state.range(0)));
}
BENCHMARK(BM_PickleDenseDicts)->Arg(32)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
