#include "tflite/flatbuffer.h"

#include "mats/core/byte_reader.h"
#include "mats/core/checked_math.h"

namespace mats::tflite::internal {

Result<uint64_t> FlatBuffer::Deref(uint64_t at) const {
  if (!RangeInside(at, 4, data_.size())) {
    return Malformed(at, "tflite: offset field at {} lies outside the {}-byte buffer", at,
                     data_.size());
  }
  const uint64_t rel = LoadU32Le(data_.subspan(at, 4));
  if (rel == 0 || rel >= data_.size() - at) {
    return Malformed(at, "tflite: offset {} at {} points outside the {}-byte buffer", rel, at,
                     data_.size());
  }
  return at + rel;
}

Result<FlatTable> FlatBuffer::Root() const {
  if (data_.size() < 8) {
    return Malformed(0, "tflite: file of {} bytes is shorter than the 8-byte header",
                     data_.size());
  }
  MATS_ASSIGN_OR_RETURN(uint64_t pos, Deref(0));
  return Table(pos);
}

Result<FlatTable> FlatBuffer::Table(uint64_t pos) const {
  if (!RangeInside(pos, 4, data_.size())) {
    return Malformed(pos, "tflite: table at {} lies outside the buffer", pos);
  }
  const auto soffset = static_cast<int32_t>(LoadU32Le(data_.subspan(pos, 4)));
  // vtable = pos - soffset, computed without overflow.
  int64_t vt = static_cast<int64_t>(pos) - static_cast<int64_t>(soffset);
  if (vt < 0 || !RangeInside(static_cast<uint64_t>(vt), 4, data_.size())) {
    return Malformed(pos, "tflite: table at {} has its vtable outside the buffer (soffset {})",
                     pos, soffset);
  }
  FlatTable t;
  t.pos = pos;
  t.vtable = static_cast<uint64_t>(vt);
  t.vtable_size = LoadU16Le(data_.subspan(t.vtable, 2));
  t.table_size = LoadU16Le(data_.subspan(t.vtable + 2, 2));
  if (t.vtable_size < 4 || t.vtable_size % 2 != 0 ||
      !RangeInside(t.vtable, t.vtable_size, data_.size())) {
    return Malformed(t.vtable, "tflite: vtable at {} has invalid size {}", t.vtable,
                     t.vtable_size);
  }
  if (t.table_size < 4 || !RangeInside(pos, t.table_size, data_.size())) {
    return Malformed(pos, "tflite: table at {} has invalid size {}", pos, t.table_size);
  }
  return t;
}

Result<std::optional<uint64_t>> FlatBuffer::Field(const FlatTable& t, uint16_t slot,
                                                  uint64_t width) const {
  const uint64_t entry = 4 + 2 * static_cast<uint64_t>(slot);
  if (entry + 2 > t.vtable_size) return std::optional<uint64_t>();
  const uint16_t off = LoadU16Le(data_.subspan(t.vtable + entry, 2));
  if (off == 0) return std::optional<uint64_t>();
  if (off < 4 || !RangeInside(off, width, t.table_size)) {
    return Malformed(t.pos, "tflite: field {} of table at {} has offset {} outside the "
                     "{}-byte table", slot, t.pos, off, t.table_size);
  }
  return std::optional<uint64_t>(t.pos + off);
}

Result<uint32_t> FlatBuffer::U32(const FlatTable& t, uint16_t slot, uint32_t dflt) const {
  MATS_ASSIGN_OR_RETURN(std::optional<uint64_t> at, Field(t, slot, 4));
  if (!at) return dflt;
  return LoadU32Le(data_.subspan(*at, 4));
}

Result<int32_t> FlatBuffer::I32(const FlatTable& t, uint16_t slot, int32_t dflt) const {
  MATS_ASSIGN_OR_RETURN(std::optional<uint64_t> at, Field(t, slot, 4));
  if (!at) return dflt;
  return static_cast<int32_t>(LoadU32Le(data_.subspan(*at, 4)));
}

Result<int8_t> FlatBuffer::I8(const FlatTable& t, uint16_t slot, int8_t dflt) const {
  MATS_ASSIGN_OR_RETURN(std::optional<uint64_t> at, Field(t, slot, 1));
  if (!at) return dflt;
  return static_cast<int8_t>(data_[*at]);
}

Result<FlatVector> FlatBuffer::VectorAt(uint64_t pos, uint64_t elem_size) const {
  if (!RangeInside(pos, 4, data_.size())) {
    return Malformed(pos, "tflite: vector at {} lies outside the buffer", pos);
  }
  const uint64_t declared_length = LoadU32Le(data_.subspan(pos, 4));
  const uint64_t start = pos + 4;
  uint64_t bytes = 0;
  if (!CheckedMul(declared_length, elem_size, &bytes) ||
      !RangeInside(start, bytes, data_.size())) {
    return Malformed(pos, "tflite: vector at {} declares {} elements of {} bytes, more than "
                     "the buffer holds", pos, declared_length, elem_size);
  }
  return FlatVector{start, declared_length, elem_size};
}

Result<std::optional<FlatVector>> FlatBuffer::Vector(const FlatTable& t, uint16_t slot,
                                                     uint64_t elem_size) const {
  MATS_ASSIGN_OR_RETURN(std::optional<uint64_t> at, Field(t, slot, 4));
  if (!at) return std::optional<FlatVector>();
  MATS_ASSIGN_OR_RETURN(uint64_t pos, Deref(*at));
  MATS_ASSIGN_OR_RETURN(FlatVector v, VectorAt(pos, elem_size));
  return std::optional<FlatVector>(v);
}

Result<std::optional<std::string_view>> FlatBuffer::String(const FlatTable& t, uint16_t slot,
                                                           uint64_t max_len) const {
  MATS_ASSIGN_OR_RETURN(std::optional<FlatVector> v, Vector(t, slot, 1));
  if (!v) return std::optional<std::string_view>();
  if (v->length > max_len) {
    return LimitExceededAt(v->pos, "tflite: string at {} of {} bytes: limit "
                           "max_string_bytes={} exceeded", v->pos, v->length, max_len);
  }
  if (v->pos + v->length >= data_.size() || data_[v->pos + v->length] != 0) {
    return Malformed(v->pos, "tflite: string at {} is not NUL-terminated", v->pos);
  }
  return std::optional<std::string_view>(AsChars(data_.subspan(v->pos, v->length)));
}

Result<FlatTable> FlatBuffer::TableAt(const FlatVector& v, uint64_t i) const {
  if (i >= v.length || v.elem_size != 4) {
    return Internal("tflite: vector element {} of {} requested", i, v.length);
  }
  MATS_ASSIGN_OR_RETURN(uint64_t pos, Deref(v.pos + 4 * i));
  return Table(pos);
}

}  // namespace mats::tflite::internal
