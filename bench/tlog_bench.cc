// Transparency log benchmarks: durable appends through the library,
// append-to-checkpoint latency, proof generation, storage per entry.
//
//   cmake --preset bench && ninja -C build-bench tlog_bench
//   build-bench/bench/tlog_bench --benchmark_min_time=3
//
// Storage is the embedded default (SQLite WAL, synchronous=FULL, tile files)
// under $TMPDIR; every acknowledged append is durable.
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <deque>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "mats/tlog/entry.h"
#include "mats/tlog/log.h"
#include "mats/tlog/sqlite_storage.h"

namespace mats::tlog {
namespace {

using Clock = std::chrono::steady_clock;

std::string MakeTempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "mats-tlog-bench-XXXXXX").string();
  if (mkdtemp(tmpl.data()) == nullptr) std::abort();
  return tmpl;
}

Bytes MakeEntry(uint64_t i) {
  LogEntry e;
  e.type = EventType::kUpload;
  e.subject = {"bench-org", "model-" + std::to_string(i % 1000), "1." + std::to_string(i)};
  Bytes d(32, 0);
  for (size_t k = 0; k < 8; ++k) d[k] = static_cast<uint8_t>(i >> (8 * k));
  e.digests.push_back({DigestRole::kArtifact, DigestAlgorithm::kSha256, d});
  e.digests.push_back({DigestRole::kReport, DigestAlgorithm::kSha256, d});
  e.actor = "tok-bench";
  e.timestamp_ms = 1763900000000 + i;
  return *EncodeEntry(e);
}

std::unique_ptr<Log> OpenLog(const std::string& dir, std::chrono::milliseconds interval) {
  auto storage = OpenSqliteStorage(dir);
  auto signer = Ed25519NoteSigner::FromSeed("bench.example/log", Bytes(32, 5));
  if (!storage.ok() || !signer.ok()) std::abort();
  LogOptions o;
  o.origin = "bench.example/log";
  o.checkpoint_interval = interval;
  auto log = Log::Open(std::move(storage).value(), std::move(signer).value(), o);
  if (!log.ok()) std::abort();
  return std::move(log).value();
}

uint64_t DirBytes(const std::string& dir) {
  uint64_t total = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) total += e.file_size();
  }
  return total;
}

// Sustained durable appends; `window` appends in flight (1 = one blocking
// caller at a time).
void BM_Append(benchmark::State& state) {
  std::string dir = MakeTempDir();
  auto log = OpenLog(dir, std::chrono::milliseconds(100));
  const auto window = static_cast<size_t>(state.range(0));
  std::deque<std::future<Result<uint64_t>>> inflight;
  uint64_t i = 0;
  for (auto _ : state) {
    inflight.push_back(log->AppendAsync(MakeEntry(i++)));
    if (inflight.size() >= window) {
      if (!inflight.front().get().ok()) state.SkipWithError("append failed");
      inflight.pop_front();
    }
  }
  while (!inflight.empty()) {
    if (!inflight.front().get().ok()) state.SkipWithError("append failed");
    inflight.pop_front();
  }
  state.SetItemsProcessed(static_cast<int64_t>(i));
  auto cp = log->WaitForCheckpoint(i, std::chrono::seconds(60));
  if (!cp.ok()) state.SkipWithError("no checkpoint");
  log.reset();
  state.counters["bytes_per_entry"] = static_cast<double>(DirBytes(dir)) / static_cast<double>(std::max<uint64_t>(i, 1));
  state.counters["entry_bytes"] = static_cast<double>(MakeEntry(i).size());
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_Append)->Arg(1)->Arg(64)->Arg(4096)->UseRealTime()->Unit(benchmark::kMicrosecond);

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t k = static_cast<size_t>(p * static_cast<double>(v.size() - 1));
  return v[k];
}

// Append-to-checkpoint latency under a background load of `range(0)`
// appends/s: one probe entry at a time is appended and timed until its
// index is durable and until a signed checkpoint covers it.
void BM_AppendToCheckpointLatency(benchmark::State& state) {
  std::string dir = MakeTempDir();
  auto log = OpenLog(dir, std::chrono::milliseconds(state.range(1)));
  const double rate = static_cast<double>(state.range(0));
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> next{1'000'000'000};
  std::thread load([&] {
    std::deque<std::future<Result<uint64_t>>> inflight;
    auto start = Clock::now();
    uint64_t sent = 0;
    while (!stop.load()) {
      double due = static_cast<double>(sent) / rate;
      double now = std::chrono::duration<double>(Clock::now() - start).count();
      if (now < due) {
        std::this_thread::sleep_for(std::chrono::microseconds(200));
      } else {
        inflight.push_back(log->AppendAsync(MakeEntry(next.fetch_add(1))));
        ++sent;
      }
      while (!inflight.empty() &&
             inflight.front().wait_for(std::chrono::seconds(0)) == std::future_status::ready) {
        inflight.front().get().status().IgnoreError();
        inflight.pop_front();
      }
    }
    for (auto& f : inflight) f.get().status().IgnoreError();
  });
  std::vector<double> durable_ms;
  std::vector<double> checkpoint_ms;
  uint64_t probe = 0;
  for (auto _ : state) {
    auto t0 = Clock::now();
    Result<uint64_t> idx = log->Append(MakeEntry(probe++));
    auto t1 = Clock::now();
    if (!idx.ok()) {
      state.SkipWithError("append failed");
      break;
    }
    if (!log->WaitForCheckpoint(*idx + 1, std::chrono::seconds(30)).ok()) {
      state.SkipWithError("no checkpoint");
      break;
    }
    auto t2 = Clock::now();
    durable_ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    checkpoint_ms.push_back(std::chrono::duration<double, std::milli>(t2 - t0).count());
  }
  stop = true;
  load.join();
  state.counters["durable_p50_ms"] = Percentile(durable_ms, 0.5);
  state.counters["durable_p99_ms"] = Percentile(durable_ms, 0.99);
  state.counters["checkpoint_p50_ms"] = Percentile(checkpoint_ms, 0.5);
  state.counters["checkpoint_p99_ms"] = Percentile(checkpoint_ms, 0.99);
  log.reset();
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_AppendToCheckpointLatency)
    ->Args({5000, 100})
    ->Args({5000, 20})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond)
    ->MinTime(3.0);

// A log of 2^16 entries shared by the proof benchmarks.
struct ProofFixture {
  ProofFixture() : dir(MakeTempDir()) {
    log = OpenLog(dir, std::chrono::milliseconds(50));
    std::vector<std::future<Result<uint64_t>>> fs;
    for (uint64_t i = 0; i < kSize; ++i) fs.push_back(log->AppendAsync(MakeEntry(i)));
    for (auto& f : fs) {
      if (!f.get().ok()) std::abort();
    }
    if (!log->WaitForCheckpoint(kSize, std::chrono::seconds(120)).ok()) std::abort();
  }
  ~ProofFixture() {
    log.reset();
    std::filesystem::remove_all(dir);
  }
  static constexpr uint64_t kSize = 1 << 16;
  std::string dir;
  std::unique_ptr<Log> log;
};

ProofFixture& Fixture() {
  static ProofFixture f;  // built on first use, removed at exit
  return f;
}

void BM_InclusionProof(benchmark::State& state) {
  ProofFixture& f = Fixture();
  std::mt19937_64 rng(1);
  uint64_t size = f.log->LatestCheckpoint().size;
  for (auto _ : state) {
    auto p = f.log->InclusionProof(rng() % size, size);
    if (!p.ok()) state.SkipWithError("proof failed");
    benchmark::DoNotOptimize(p);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_InclusionProof)->Threads(1)->Threads(2)->UseRealTime();

void BM_ConsistencyProof(benchmark::State& state) {
  ProofFixture& f = Fixture();
  std::mt19937_64 rng(2);
  uint64_t size = f.log->LatestCheckpoint().size;
  for (auto _ : state) {
    auto p = f.log->ConsistencyProof(1 + rng() % (size - 1), size);
    if (!p.ok()) state.SkipWithError("proof failed");
    benchmark::DoNotOptimize(p);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_ConsistencyProof)->UseRealTime();

void BM_VerifyInclusion(benchmark::State& state) {
  ProofFixture& f = Fixture();
  uint64_t size = f.log->LatestCheckpoint().size;
  Hash root = f.log->LatestCheckpoint().root;
  uint64_t index = 12345;
  auto proof = *f.log->InclusionProof(index, size);
  Hash leaf = Hasher::HashLeaf(MakeEntry(index));
  for (auto _ : state) {
    Status s = VerifyInclusion(index, size, leaf, proof, root);
    if (!s.ok()) state.SkipWithError("verify failed");
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_VerifyInclusion);

}  // namespace
}  // namespace mats::tlog

BENCHMARK_MAIN();
