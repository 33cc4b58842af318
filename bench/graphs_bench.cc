// ONNX / TensorFlow / TFLite parse throughput on large models built
// in-process (no files). Results: docs/benchmarks.md, "ONNX, TensorFlow, TFLite".
#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>

#include "mats/onnx/onnx.h"
#include "mats/tensorflow/tensorflow.h"

namespace {

std::string Varint(uint64_t v) {
  std::string out;
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
  return out;
}
std::string Len(uint32_t field, const std::string& payload) {
  return Varint((static_cast<uint64_t>(field) << 3) | 2) + Varint(payload.size()) + payload;
}
std::string Int(uint32_t field, uint64_t v) {
  return Varint(static_cast<uint64_t>(field) << 3) + Varint(v);
}

// A transformer-like graph: `nodes` nodes with attributes and an initializer
// of `weight_bytes` raw bytes for every 4th node.
std::string OnnxModel(int nodes, uint64_t weight_bytes) {
  std::string g;
  for (int i = 0; i < nodes; ++i) {
    std::string n = Len(1, "in_" + std::to_string(i)) + Len(1, "w_" + std::to_string(i)) +
                    Len(2, "out_" + std::to_string(i)) + Len(3, "node_" + std::to_string(i)) +
                    Len(4, i % 3 == 0 ? "MatMul" : (i % 3 == 1 ? "Add" : "Relu")) +
                    Len(5, Len(1, "alpha") + Int(20, 1) + Varint((2 << 3) | 5) +
                               std::string(4, '\0'));
    g += Len(1, n);
    if (i % 4 == 0) {
      std::string t = Len(1, Varint(weight_bytes / 4)) + Int(2, 1) +
                      Len(8, "w_" + std::to_string(i)) + Len(9, std::string(weight_bytes, 'w'));
      g += Len(5, t);
    }
  }
  return Int(1, 8) + Len(2, "bench") + Len(7, g) + Len(8, Int(2, 17));
}

void BM_OnnxParseGraph(benchmark::State& state) {
  const std::string model = OnnxModel(static_cast<int>(state.range(0)), 64);
  mats::Limits limits;
  limits.max_entries = 10'000'000;
  for (auto _ : state) {
    mats::onnx::OnnxModel m;
    benchmark::DoNotOptimize(mats::onnx::ParseOnnx(mats::AsBytes(model), limits, &m).ok());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(model.size()));
  state.counters["model_MB"] = static_cast<double>(model.size()) / 1e6;
}
BENCHMARK(BM_OnnxParseGraph)->Arg(1'000)->Arg(10'000)->Arg(100'000)->Unit(benchmark::kMillisecond);

// Weights dominate: raw_data is skipped by length, so throughput grows with
// the share of tensor bytes.
void BM_OnnxParseWeights(benchmark::State& state) {
  const std::string model = OnnxModel(2'000, static_cast<uint64_t>(state.range(0)));
  mats::Limits limits;
  for (auto _ : state) {
    mats::onnx::OnnxModel m;
    benchmark::DoNotOptimize(mats::onnx::ParseOnnx(mats::AsBytes(model), limits, &m).ok());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(model.size()));
  state.counters["model_MB"] = static_cast<double>(model.size()) / 1e6;
}
BENCHMARK(BM_OnnxParseWeights)->Arg(4 << 10)->Arg(256 << 10)->Unit(benchmark::kMillisecond);

void BM_TfGraphDefParse(benchmark::State& state) {
  std::string g;
  for (int64_t i = 0; i < state.range(0); ++i) {
    std::string attr = Len(5, Len(1, "T") + Len(2, Int(6, 1)));
    g += Len(1, Len(1, "node_" + std::to_string(i)) + Len(2, i % 2 ? "MatMul" : "Relu") +
                    Len(3, "in_" + std::to_string(i)) + attr);
  }
  mats::Limits limits;
  limits.max_entries = 10'000'000;
  for (auto _ : state) {
    mats::tensorflow::TfGraph out;
    benchmark::DoNotOptimize(mats::tensorflow::ParseGraphDef(mats::AsBytes(g), limits, &out).ok());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(g.size()));
}
BENCHMARK(BM_TfGraphDefParse)->Arg(100'000)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
