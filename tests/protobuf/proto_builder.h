// Test-only protobuf encoder: builds wire-format bytes for unit tests of the
// protobuf, onnx and tensorflow modules.
//
//   std::string m = PbVarint(1, 8) + PbBytes(7, PbBytes(1, node));
#ifndef MATS_TESTS_PROTOBUF_PROTO_BUILDER_H_
#define MATS_TESTS_PROTOBUF_PROTO_BUILDER_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace mats::testing {

inline std::string PbRawVarint(uint64_t v) {
  std::string out;
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
  return out;
}

inline std::string PbTag(uint32_t field, uint32_t wire) {
  return PbRawVarint((static_cast<uint64_t>(field) << 3) | wire);
}

inline std::string PbVarint(uint32_t field, uint64_t v) {
  return PbTag(field, 0) + PbRawVarint(v);
}

inline std::string PbBytes(uint32_t field, std::string_view payload) {
  return PbTag(field, 2) + PbRawVarint(payload.size()) + std::string(payload);
}

inline std::string PbFixed32(uint32_t field, uint32_t v) {
  std::string out = PbTag(field, 5);
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
  return out;
}

inline std::string PbFixed64(uint32_t field, uint64_t v) {
  std::string out = PbTag(field, 1);
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
  return out;
}

}  // namespace mats::testing

#endif  // MATS_TESTS_PROTOBUF_PROTO_BUILDER_H_
