// Fuzzes the protobuf wire reader: walks every field and, like the ONNX and
// TensorFlow walkers, every length-delimited payload as a nested message,
// with an explicit stack and a depth bound.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "mats/protobuf/wire.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using mats::protobuf::WireField;
  using mats::protobuf::WireReader;
  struct Item {
    mats::ByteSpan bytes;
    uint64_t base;
    int depth;
  };
  std::vector<Item> stack{{mats::ByteSpan(data, size), 0, 0}};
  size_t budget = 100000;
  while (!stack.empty() && budget > 0) {
    Item it = stack.back();
    stack.pop_back();
    WireReader r(it.bytes, it.base, 16);
    WireField f;
    while (budget-- > 0) {
      auto more = r.Next(&f);
      if (!more.ok() || !*more) break;
      if (f.type == mats::protobuf::WireType::kLen && it.depth < 16) {
        stack.push_back({f.bytes, f.value_offset, it.depth + 1});
        std::vector<uint64_t> v;
        mats::protobuf::AppendVarints(f, 1000, &v).IgnoreError();
      }
    }
  }
  return 0;
}
