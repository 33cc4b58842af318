// The only file where input bytes are reinterpreted (memcpy, bit_cast).
#include "mats/core/byte_reader.h"

#include <bit>
#include <cstring>

#include "mats/core/checked_math.h"

namespace mats {

ByteSpan AsBytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}
std::string_view AsChars(ByteSpan b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

Status ByteReader::Need(uint64_t n) const {
  if (n > remaining()) {
    return Malformed(offset(), "unexpected end of data: need {} bytes, {} left",
                     n, remaining());
  }
  return Status::Ok();
}

template <typename T>
Result<T> ByteReader::ReadLe() {
  MATS_RETURN_IF_ERROR(Need(sizeof(T)));
  T v = 0;
  for (size_t i = 0; i < sizeof(T); ++i) {
    v = static_cast<T>(v | (static_cast<T>(data_[pos_ + i]) << (8 * i)));
  }
  pos_ += sizeof(T);
  return v;
}

template <typename T>
Result<T> ByteReader::ReadBe() {
  MATS_RETURN_IF_ERROR(Need(sizeof(T)));
  T v = 0;
  for (size_t i = 0; i < sizeof(T); ++i) {
    v = static_cast<T>((v << 8) | static_cast<T>(data_[pos_ + i]));
  }
  pos_ += sizeof(T);
  return v;
}

Result<uint8_t> ByteReader::ReadU8() {
  MATS_RETURN_IF_ERROR(Need(1));
  return data_[pos_++];
}
Result<uint16_t> ByteReader::ReadU16Le() { return ReadLe<uint16_t>(); }
Result<uint32_t> ByteReader::ReadU32Le() { return ReadLe<uint32_t>(); }
Result<uint64_t> ByteReader::ReadU64Le() { return ReadLe<uint64_t>(); }
Result<uint16_t> ByteReader::ReadU16Be() { return ReadBe<uint16_t>(); }
Result<uint32_t> ByteReader::ReadU32Be() { return ReadBe<uint32_t>(); }
Result<uint64_t> ByteReader::ReadU64Be() { return ReadBe<uint64_t>(); }
Result<int8_t> ByteReader::ReadI8() {
  MATS_ASSIGN_OR_RETURN(uint8_t v, ReadU8());
  return std::bit_cast<int8_t>(v);
}
Result<int16_t> ByteReader::ReadI16Le() {
  MATS_ASSIGN_OR_RETURN(uint16_t v, ReadU16Le());
  return std::bit_cast<int16_t>(v);
}
Result<int32_t> ByteReader::ReadI32Le() {
  MATS_ASSIGN_OR_RETURN(uint32_t v, ReadU32Le());
  return std::bit_cast<int32_t>(v);
}
Result<int64_t> ByteReader::ReadI64Le() {
  MATS_ASSIGN_OR_RETURN(uint64_t v, ReadU64Le());
  return std::bit_cast<int64_t>(v);
}
Result<float> ByteReader::ReadF32Le() {
  MATS_ASSIGN_OR_RETURN(uint32_t v, ReadU32Le());
  return std::bit_cast<float>(v);
}
Result<double> ByteReader::ReadF64Le() {
  MATS_ASSIGN_OR_RETURN(uint64_t v, ReadU64Le());
  return std::bit_cast<double>(v);
}
Result<double> ByteReader::ReadF64Be() {
  MATS_ASSIGN_OR_RETURN(uint64_t v, ReadU64Be());
  return std::bit_cast<double>(v);
}

Result<ByteSpan> ByteReader::ReadBytes(uint64_t n) {
  MATS_RETURN_IF_ERROR(Need(n));
  ByteSpan out = data_.subspan(pos_, n);
  pos_ += n;
  return out;
}

Result<std::string_view> ByteReader::ReadChars(uint64_t n) {
  MATS_ASSIGN_OR_RETURN(ByteSpan b, ReadBytes(n));
  return AsChars(b);
}

Result<std::string_view> ByteReader::ReadString(uint64_t max_len) {
  uint64_t start = offset();
  MATS_ASSIGN_OR_RETURN(uint64_t declared_len, ReadU64Le());
  if (declared_len > max_len) {
    return LimitExceededAt(start, "string length {} exceeds limit {}",
                           declared_len, max_len);
  }
  return ReadChars(declared_len);
}

Result<std::string_view> ByteReader::ReadLine(uint64_t max_len) {
  uint64_t avail = remaining();
  uint64_t scan = avail < max_len + 1 ? avail : max_len + 1;
  const uint8_t* begin = data_.data() + pos_;
  const void* nl = std::memchr(begin, '\n', scan);
  if (nl == nullptr) {
    if (scan > max_len) {
      return LimitExceededAt(offset(), "line longer than {} bytes", max_len);
    }
    return Malformed(offset(), "unterminated line: no newline before end of data");
  }
  uint64_t len = static_cast<uint64_t>(static_cast<const uint8_t*>(nl) - begin);
  std::string_view out(reinterpret_cast<const char*>(begin), len);
  pos_ += len + 1;
  return out;
}

Result<uint8_t> ByteReader::PeekU8() const {
  MATS_RETURN_IF_ERROR(Need(1));
  return data_[pos_];
}

Status ByteReader::Skip(uint64_t n) {
  MATS_RETURN_IF_ERROR(Need(n));
  pos_ += n;
  return Status::Ok();
}

Status ByteReader::Seek(uint64_t position) {
  if (position > data_.size()) {
    return Malformed(base_ + data_.size(),
                     "seek to {} past end of data (size {})", position,
                     data_.size());
  }
  pos_ = position;
  return Status::Ok();
}

Result<ByteReader> ByteReader::Slice(uint64_t off, uint64_t len) const {
  if (!RangeInside(off, len, data_.size())) {
    return Malformed(base_ + (off < data_.size() ? off : data_.size()),
                     "range [{}, +{}) outside data of {} bytes", off, len,
                     data_.size());
  }
  return ByteReader(data_.subspan(off, len), base_ + off);
}

Status ByteReader::ExpectEnd() const {
  if (!empty()) {
    return Malformed(offset(), "{} trailing bytes", remaining());
  }
  return Status::Ok();
}

uint16_t LoadU16Le(ByteSpan b) {
  return static_cast<uint16_t>(b[0] | (b[1] << 8));
}
uint32_t LoadU32Le(ByteSpan b) {
  return static_cast<uint32_t>(b[0]) | (static_cast<uint32_t>(b[1]) << 8) |
         (static_cast<uint32_t>(b[2]) << 16) |
         (static_cast<uint32_t>(b[3]) << 24);
}
uint64_t LoadU64Le(ByteSpan b) {
  return static_cast<uint64_t>(LoadU32Le(b)) |
         (static_cast<uint64_t>(LoadU32Le(b.subspan(4))) << 32);
}
uint32_t LoadU32Be(ByteSpan b) {
  return (static_cast<uint32_t>(b[0]) << 24) |
         (static_cast<uint32_t>(b[1]) << 16) |
         (static_cast<uint32_t>(b[2]) << 8) | static_cast<uint32_t>(b[3]);
}
void StoreU32Le(uint32_t v, uint8_t* out) {
  for (int i = 0; i < 4; ++i) out[i] = static_cast<uint8_t>(v >> (8 * i));
}
void StoreU64Le(uint64_t v, uint8_t* out) {
  for (int i = 0; i < 8; ++i) out[i] = static_cast<uint8_t>(v >> (8 * i));
}
void StoreU64Be(uint64_t v, uint8_t* out) {
  for (int i = 0; i < 8; ++i) out[7 - i] = static_cast<uint8_t>(v >> (8 * i));
}

}  // namespace mats
