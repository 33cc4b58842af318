// A bounded reader for the protobuf wire format, without libprotobuf.
//
// mats parses ONNX models and TensorFlow graphs (both protobuf messages)
// field by field. A WireReader walks the fields of ONE message; nested
// messages are length-delimited fields whose bytes the caller hands to a new
// WireReader — callers keep their own explicit work stack with a depth limit
// (see MessageStack below), nothing here recurses on input.
//
//   WireReader r(bytes, /*base_offset=*/0);
//   WireField f;
//   while (true) {
//     MATS_ASSIGN_OR_RETURN(bool more, r.Next(&f));
//     if (!more) break;
//     if (f.number == 7 && f.type == WireType::kLen) { ... f.bytes ... }
//   }
//
// Enforced (https://protobuf.dev/programming-guides/encoding/):
//  - varints are at most 10 bytes, and the 10th byte may only carry bit 63;
//  - field numbers are 1 .. 2^29-1; wire types 6 and 7 are rejected;
//  - a length-delimited field's length is checked against the bytes left;
//  - groups (wire types 3/4, deprecated) are skipped with a bounded counter
//    of open groups (max_depth) and an unmatched end-group is an error;
//  - a message may not exceed 2 GiB (protobuf's own hard limit).
// Errors are kMalformed / kLimitExceeded naming the absolute offset.
// Views returned in WireField alias the input; the caller keeps it alive.
#ifndef MATS_PROTOBUF_WIRE_H_
#define MATS_PROTOBUF_WIRE_H_

#include <cstdint>
#include <string_view>
#include <vector>

#include "mats/core/bytes.h"
#include "mats/core/limits.h"
#include "mats/core/result.h"

namespace mats::protobuf {

enum class WireType : uint8_t {
  kVarint = 0,
  kFixed64 = 1,
  kLen = 2,
  kStartGroup = 3,
  kEndGroup = 4,
  kFixed32 = 5,
};

// Largest field number protobuf allows (2^29 - 1).
inline constexpr uint32_t kMaxFieldNumber = (1u << 29) - 1;
// Largest serialized message protobuf allows.
inline constexpr uint64_t kMaxMessageBytes = 2ull << 30;
// Longest varint encoding.
inline constexpr uint64_t kMaxVarintBytes = 10;

struct WireField {
  uint32_t number = 0;
  WireType type = WireType::kVarint;
  uint64_t value = 0;    // kVarint, kFixed32, kFixed64 (raw bits)
  ByteSpan bytes;        // kLen payload (aliases the input)
  uint64_t offset = 0;   // absolute offset of the tag
  uint64_t value_offset = 0;  // absolute offset of the value / payload
  // Payload as characters (kLen only).
  std::string_view chars() const { return AsChars(bytes); }
};

// Decodes one varint from data[*pos...]; advances *pos. `base` is added to
// offsets in errors.
Result<uint64_t> DecodeVarint(ByteSpan data, uint64_t* pos, uint64_t base);

// ZigZag decoding (sint32/sint64).
constexpr int64_t ZigZagDecode64(uint64_t v) {
  return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1);
}
constexpr int32_t ZigZagDecode32(uint32_t v) {
  return static_cast<int32_t>(v >> 1) ^ -static_cast<int32_t>(v & 1);
}

class WireReader {
 public:
  // `max_group_depth` bounds nested groups while skipping them.
  explicit WireReader(ByteSpan data, uint64_t base_offset = 0,
                      uint32_t max_group_depth = 256)
      : data_(data), base_(base_offset), max_group_depth_(max_group_depth) {}
  WireReader(std::vector<uint8_t>&&, uint64_t = 0, uint32_t = 0) = delete;

  // Reads the next field into *f. Returns false at the end of the message.
  // Groups are skipped (never returned).
  Result<bool> Next(WireField* f);

  uint64_t offset() const { return base_ + pos_; }
  uint64_t remaining() const { return data_.size() - pos_; }

 private:
  Status SkipGroup(uint32_t number, uint64_t tag_offset);
  Result<uint32_t> ReadTag(WireType* type, uint64_t* tag_offset);

  ByteSpan data_;
  uint64_t base_ = 0;
  uint64_t pos_ = 0;
  uint32_t max_group_depth_ = 256;
};

// Checks the overall size of a message buffer against protobuf's 2 GiB limit.
Status CheckMessageSize(ByteSpan data, std::string_view what);

// Decodes a packed repeated varint field (or one unpacked element, when
// `f.type == kVarint`) and appends at most `max_values` values to *out
// (kLimitExceeded past it, naming max_entries).
Status AppendVarints(const WireField& f, uint64_t max_values,
                     std::vector<uint64_t>* out);

// Counts the elements of a packed varint payload without storing them.
Result<uint64_t> CountPackedVarints(const WireField& f);

// True when `f` is a length-delimited field whose payload is valid UTF-8.
bool IsUtf8String(const WireField& f);

// Reads a length-delimited field as a string, checking the max_string_bytes
// limit. kMalformed if `f` is not length-delimited.
Result<std::string_view> FieldString(const WireField& f, const Limits& limits,
                                     std::string_view what);

// Wire type check helper: kMalformed "<what>: field N has wire type X, want Y".
Status ExpectType(const WireField& f, WireType want, std::string_view what);

std::string_view WireTypeName(WireType t);

}  // namespace mats::protobuf

#endif  // MATS_PROTOBUF_WIRE_H_
