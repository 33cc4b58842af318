// A bounded FlatBuffers reader (tables, vtables, vectors, strings) for the
// TFLite analyser. Every offset read from the buffer is checked against the
// buffer size before use; nothing is dereferenced unchecked.
// Format: https://flatbuffers.dev/internals/ (docs/formats/tflite.md).
//
//   FlatBuffer fb(bytes);
//   MATS_ASSIGN_OR_RETURN(FlatTable root, fb.Root());
//   MATS_ASSIGN_OR_RETURN(uint32_t version, fb.U32(root, 0, 0));
//   MATS_ASSIGN_OR_RETURN(std::optional<FlatVector> v, fb.Vector(root, 1, 4));
#ifndef MATS_TFLITE_FLATBUFFER_H_
#define MATS_TFLITE_FLATBUFFER_H_

#include <cstdint>
#include <optional>
#include <string_view>

#include "mats/core/bytes.h"
#include "mats/core/result.h"

namespace mats::tflite::internal {

struct FlatTable {
  uint64_t pos = 0;          // table start (its soffset to the vtable)
  uint64_t vtable = 0;       // vtable start
  uint16_t vtable_size = 0;  // bytes, including the two u16 header fields
  uint16_t table_size = 0;   // bytes of inline table data, including soffset
};

struct FlatVector {
  uint64_t pos = 0;     // position of the first element
  uint64_t length = 0;  // element count
  uint64_t elem_size = 0;
};

class FlatBuffer {
 public:
  explicit FlatBuffer(ByteSpan data) : data_(data) {}

  // The root table (u32 offset at position 0).
  Result<FlatTable> Root() const;
  // Validates the table at `pos` and its vtable.
  Result<FlatTable> Table(uint64_t pos) const;
  // Position of field `slot` of `t` whose inline size is `width`, or nullopt
  // when the field is absent (default value).
  Result<std::optional<uint64_t>> Field(const FlatTable& t, uint16_t slot,
                                        uint64_t width) const;
  Result<uint32_t> U32(const FlatTable& t, uint16_t slot, uint32_t dflt) const;
  Result<int32_t> I32(const FlatTable& t, uint16_t slot, int32_t dflt) const;
  Result<int8_t> I8(const FlatTable& t, uint16_t slot, int8_t dflt) const;
  // Follows the uoffset stored in field `slot` to a vector of `elem_size`
  // byte elements; nullopt when absent. The whole vector must fit.
  Result<std::optional<FlatVector>> Vector(const FlatTable& t, uint16_t slot,
                                           uint64_t elem_size) const;
  // Follows field `slot` to a string (NUL-terminated byte vector) of at most
  // `max_len` bytes; nullopt when absent.
  Result<std::optional<std::string_view>> String(const FlatTable& t, uint16_t slot,
                                                 uint64_t max_len) const;
  // The table referenced by element `i` of a vector of offsets.
  Result<FlatTable> TableAt(const FlatVector& v, uint64_t i) const;

  uint64_t size() const { return data_.size(); }

 private:
  Result<uint64_t> Deref(uint64_t at) const;  // at + u32 at `at`
  Result<FlatVector> VectorAt(uint64_t pos, uint64_t elem_size) const;

  ByteSpan data_;
};

}  // namespace mats::tflite::internal

#endif  // MATS_TFLITE_FLATBUFFER_H_
