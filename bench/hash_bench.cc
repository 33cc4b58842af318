// Hashing throughput: single-core OpenSSL SHA-256 (like `openssl speed -evp
// sha256`) and the mats hasher on page-cached data, files and shards modes,
// one large file, swept over thread counts. Inputs are built in a temp dir
// (MATS_BENCH_DIR overrides; 2 GiB) and deleted at exit. Hasher benchmarks
// report wall time and the CPU time of the whole process (all threads), so
// bytes / CPU time gives the per-core efficiency even on a shared machine.
//
//   build-bench/bench/hash_bench --benchmark_min_time=2
#include <benchmark/benchmark.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "mats/hash/hasher.h"

namespace {

// Single-core EVP SHA-256 over an in-memory buffer of `block` bytes.
void BM_OpenSslSha256(benchmark::State& state) {
  size_t block = static_cast<size_t>(state.range(0));
  std::vector<uint8_t> buf(block, 0x5a);
  uint8_t out[32];
  unsigned int len = 0;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  for (auto _ : state) {
    EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
    EVP_DigestUpdate(ctx, buf.data(), buf.size());
    EVP_DigestFinal_ex(ctx, out, &len);
    benchmark::DoNotOptimize(out);
  }
  EVP_MD_CTX_free(ctx);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(block));
}
BENCHMARK(BM_OpenSslSha256)->Arg(16 << 10)->Arg(8 << 20);

class Data {
 public:
  Data() {
    const char* env = std::getenv("MATS_BENCH_DIR");
    std::string base = env ? env : std::filesystem::temp_directory_path().string();
    std::string tmpl = base + "/mats-hash-bench-XXXXXX";
    dir_ = mkdtemp(tmpl.data());
    // One large file (1 GiB) and a folder of 16 × 64 MiB files.
    Write(dir_ + "/large/model.bin", 1024ull << 20);
    for (int i = 0; i < 16; ++i)
      Write(dir_ + "/many/shard-" + std::to_string(i) + ".bin", 64ull << 20);
  }
  ~Data() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  std::string large() const { return dir_ + "/large"; }
  std::string many() const { return dir_ + "/many"; }

 private:
  static void Write(const std::string& path, uint64_t size) {
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    std::ofstream f(path, std::ios::binary);
    std::vector<char> chunk(8 << 20);
    for (size_t i = 0; i < chunk.size(); ++i) chunk[i] = static_cast<char>(i * 131 + 7);
    for (uint64_t done = 0; done < size; done += chunk.size())
      f.write(chunk.data(), static_cast<std::streamsize>(std::min<uint64_t>(chunk.size(), size - done)));
  }
  std::string dir_;
};

Data& Inputs() {
  static Data d;
  return d;
}

void RunHasher(benchmark::State& state, const std::string& path, mats::hash::Method method,
               mats::hash::ReadMode mode = mats::hash::ReadMode::kMmap) {
  mats::hash::HashOptions o;
  o.read_mode = mode;
  o.method = method;
  o.shard_size = 64ull << 20;
  o.threads = static_cast<size_t>(state.range(0));
  uint64_t bytes = 0;
  // Warm the page cache once.
  (void)mats::hash::HashModel(path, o);
  for (auto _ : state) {
    auto m = mats::hash::HashModel(path, o);
    if (!m.ok()) {
      state.SkipWithError(m.status().ToString().c_str());
      return;
    }
    bytes = m->total_bytes;
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(bytes));
}

void BM_HashOneLargeFileShards(benchmark::State& state) {
  RunHasher(state, Inputs().large(), mats::hash::Method::kShards);
}
// The same with pread() into a buffer instead of mappings.
void BM_HashOneLargeFileShardsPread(benchmark::State& state) {
  RunHasher(state, Inputs().large(), mats::hash::Method::kShards, mats::hash::ReadMode::kPread);
}
void BM_HashOneLargeFileFiles(benchmark::State& state) {
  RunHasher(state, Inputs().large(), mats::hash::Method::kFiles);
}
void BM_HashManyFilesFiles(benchmark::State& state) {
  RunHasher(state, Inputs().many(), mats::hash::Method::kFiles);
}
void BM_HashManyFilesShards(benchmark::State& state) {
  RunHasher(state, Inputs().many(), mats::hash::Method::kShards);
}
BENCHMARK(BM_HashOneLargeFileShards)->Arg(1)->Arg(2)->UseRealTime()->MeasureProcessCPUTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_HashOneLargeFileShardsPread)->Arg(1)->Arg(2)->UseRealTime()->MeasureProcessCPUTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_HashOneLargeFileFiles)->Arg(1)->Arg(2)->UseRealTime()->MeasureProcessCPUTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_HashManyFilesFiles)->Arg(1)->Arg(2)->UseRealTime()->MeasureProcessCPUTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_HashManyFilesShards)->Arg(1)->Arg(2)->UseRealTime()->MeasureProcessCPUTime()->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
