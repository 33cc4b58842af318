// Benchmarks of the safetensors and GGUF header analysers on sparse
// multi-GB files (time must not grow with the weights' size), and Jinja
// chat-template analysis throughput.
//
//   build-bench/bench/llm_bench --benchmark_repetitions=3
//       --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "mats/core/mapped_file.h"
#include "mats/core/scan_context.h"
#include "mats/gguf/gguf.h"
#include "mats/jinja/jinja.h"
#include "mats/safetensors/safetensors.h"

namespace {

namespace fs = std::filesystem;

// A ScanContext that counts findings and ignores nested content.
class CountingContext : public mats::ScanContext {
 public:
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
  uint64_t findings = 0;

 private:
  mats::Limits limits_;
  mats::Policy policy_;
  std::string empty_;
};

std::string TempPath(const std::string& name) {
  const char* dir = std::getenv("TMPDIR");
  return (fs::path(dir ? dir : "/tmp") / ("mats_llm_bench_" + name)).string();
}

// Writes `head` and extends the file to `size` bytes with ftruncate (sparse).
void WriteSparse(const std::string& path, const std::string& head,
                 uint64_t size) {
  int fd = ::open(path.c_str(), O_CREAT | O_TRUNC | O_WRONLY, 0600);
  if (fd < 0) std::abort();
  if (::write(fd, head.data(), head.size()) !=
      static_cast<ssize_t>(head.size()))
    std::abort();
  if (::ftruncate(fd, static_cast<off_t>(size)) != 0) std::abort();
  ::close(fd);
}

void PutU64(std::string* s, uint64_t v) {
  for (int i = 0; i < 8; ++i)
    s->push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}
void PutU32(std::string* s, uint32_t v) {
  for (int i = 0; i < 4; ++i)
    s->push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

// 64 U8 tensors; the last one covers everything up to `size`.
std::string SafetensorsHead(uint64_t size) {
  std::string json = "{\"__metadata__\":{\"format\":\"pt\"}";
  uint64_t chunk = 1 << 20;
  std::string header;
  // Header length is fixed by padding to 8 KiB.
  const uint64_t n = 8192;
  uint64_t data = size - 8 - n;
  for (int i = 0; i < 63; ++i) {
    json += ",\"layer." + std::to_string(i) +
            ".weight\":{\"dtype\":\"U8\",\"shape\":[" + std::to_string(chunk) +
            "],\"data_offsets\":[" +
            std::to_string(static_cast<uint64_t>(i) * chunk) + "," +
            std::to_string(static_cast<uint64_t>(i + 1) * chunk) + "]}";
  }
  uint64_t rest = data - 63 * chunk;
  json += ",\"lm_head.weight\":{\"dtype\":\"U8\",\"shape\":[" +
          std::to_string(rest) + "],\"data_offsets\":[" +
          std::to_string(63 * chunk) + "," + std::to_string(data) + "]}}";
  json.resize(n, ' ');
  PutU64(&header, n);
  return header + json;
}

std::string GgufString(const std::string& s) {
  std::string out;
  PutU64(&out, s.size());
  return out + s;
}

// 64 I8 tensors of 16 MiB; the last one extended to `size`.
std::string GgufHead(uint64_t size, uint64_t* data_offset) {
  std::string h = "GGUF";
  PutU32(&h, 3);
  PutU64(&h, 64);  // tensors
  PutU64(&h, 2);   // kvs
  h += GgufString("general.architecture");
  PutU32(&h, 8);
  h += GgufString("llama");
  h += GgufString("tokenizer.chat_template");
  PutU32(&h, 8);
  h += GgufString(
      "{% for message in messages %}{{ '<|im_start|>' + message['role'] + "
      "'\\n' + "
      "message['content'] + '<|im_end|>\\n' }}{% endfor %}");
  const uint64_t chunk = 16 << 20;
  std::string infos;
  uint64_t infos_size = 0;
  for (int pass = 0; pass < 2; ++pass) {
    infos.clear();
    uint64_t start = (h.size() + infos_size + 31) / 32 * 32;
    for (int i = 0; i < 64; ++i) {
      infos += GgufString("blk." + std::to_string(i) + ".weight");
      PutU32(&infos, 1);
      uint64_t elems = i < 63 ? chunk : size - start - 63 * chunk;
      PutU64(&infos, elems);
      PutU32(&infos, 24);  // I8
      PutU64(&infos, static_cast<uint64_t>(i) * chunk);
    }
    infos_size = infos.size();
    *data_offset = start;
  }
  return h + infos;
}

void BM_SafetensorsHeader(benchmark::State& state) {
  uint64_t size = static_cast<uint64_t>(state.range(0)) << 30;
  std::string path = TempPath("st_" + std::to_string(state.range(0)));
  WriteSparse(path, SafetensorsHead(size), size);
  auto file = mats::MappedFile::Open(path);
  if (!file.ok()) std::abort();
  for (auto _ : state) {
    CountingContext ctx;
    mats::Status s = mats::safetensors::AnalyzeSafetensors(file->bytes(), ctx);
    if (!s.ok() || ctx.findings != 0) state.SkipWithError("unexpected result");
    benchmark::DoNotOptimize(ctx.findings);
  }
  state.counters["file_GiB"] = static_cast<double>(state.range(0));
  fs::remove(path);
}
BENCHMARK(BM_SafetensorsHeader)
    ->Arg(1)
    ->Arg(4)
    ->Arg(16)
    ->Arg(64)
    ->Unit(benchmark::kMicrosecond);

void BM_GgufHeader(benchmark::State& state) {
  uint64_t size = static_cast<uint64_t>(state.range(0)) << 30;
  std::string path = TempPath("gguf_" + std::to_string(state.range(0)));
  uint64_t data_offset = 0;
  WriteSparse(path, GgufHead(size, &data_offset), size);
  auto file = mats::MappedFile::Open(path);
  if (!file.ok()) std::abort();
  for (auto _ : state) {
    CountingContext ctx;
    mats::Status s = mats::gguf::AnalyzeGguf(file->bytes(), ctx);
    if (!s.ok() || ctx.findings != 0) state.SkipWithError("unexpected result");
    benchmark::DoNotOptimize(ctx.findings);
  }
  state.counters["file_GiB"] = static_cast<double>(state.range(0));
  fs::remove(path);
}
BENCHMARK(BM_GgufHeader)
    ->Arg(1)
    ->Arg(4)
    ->Arg(16)
    ->Arg(64)
    ->Unit(benchmark::kMicrosecond);

// A Llama-3.1-style tool template repeated `copies` times.
void BM_JinjaAnalyze(benchmark::State& state) {
  const std::string unit =
      "{%- set ns = namespace(found=false) -%}"
      "{%- for message in messages -%}"
      "{%- if message['role'] == 'system' and not ns.found -%}{%- set ns.found "
      "= true -%}"
      "{{- '<|start_header_id|>system<|end_header_id|>\\n\\n' + "
      "message['content'] | trim "
      "+ '<|eot_id|>' }}"
      "{%- elif 'tool_calls' in message -%}"
      "{%- for call in message.tool_calls -%}{{- call.function | tojson -}}{%- "
      "endfor -%}"
      "{%- else -%}{{- '<|start_header_id|>' + message['role'] + "
      "'<|end_header_id|>\\n\\n' "
      "+ message['content'] | trim + '<|eot_id|>' }}{%- endif -%}"
      "{%- endfor -%}"
      "{%- if add_generation_prompt -%}{{- "
      "'<|start_header_id|>assistant<|end_header_id|>' "
      "}}{%- endif -%}\n";
  std::string text;
  for (int64_t i = 0; i < state.range(0); ++i) text += unit;
  mats::Limits limits;
  for (auto _ : state) {
    auto findings = mats::jinja::AnalyzeTemplate(text, limits);
    if (!findings.empty()) state.SkipWithError("benign template reported");
    benchmark::DoNotOptimize(findings);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(text.size()));
}
BENCHMARK(BM_JinjaAnalyze)
    ->Arg(1)
    ->Arg(16)
    ->Arg(256)
    ->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
