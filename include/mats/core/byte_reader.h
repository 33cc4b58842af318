// ByteReader — the only way mats parsers read untrusted bytes.
//
// A ByteReader views a span of bytes (it never copies or owns them) and keeps
// a cursor. Every read is bounds-checked and returns Result; reading past the
// end yields kMalformed naming the offset. Offsets reported by a reader are
// absolute: a Slice() keeps the base offset of its parent, so errors in a
// nested structure name the position in the outermost buffer.
//
//   ByteReader r(file.bytes());
//   MATS_ASSIGN_OR_RETURN(uint32_t magic, r.ReadU32Le());
//   MATS_ASSIGN_OR_RETURN(ByteSpan name, r.ReadBytes(declared_len));
//
// Thread-compatible: a reader must not be used from two threads at once.
#ifndef MATS_CORE_BYTE_READER_H_
#define MATS_CORE_BYTE_READER_H_

#include <cstdint>
#include <string_view>
#include <vector>

#include "mats/core/bytes.h"
#include "mats/core/result.h"

namespace mats {

class ByteReader {
 public:
  // Views `data`; the caller keeps it alive. `base_offset` is added to every
  // offset this reader reports (position of data[0] in the outer input).
  explicit ByteReader(ByteSpan data, uint64_t base_offset = 0)
      : data_(data), base_(base_offset) {}
  ByteReader(std::vector<uint8_t>&&, uint64_t = 0) = delete;  // would dangle

  Result<uint8_t> ReadU8();
  Result<uint16_t> ReadU16Le();
  Result<uint32_t> ReadU32Le();
  Result<uint64_t> ReadU64Le();
  Result<uint16_t> ReadU16Be();
  Result<uint32_t> ReadU32Be();
  Result<uint64_t> ReadU64Be();
  Result<int8_t> ReadI8();
  Result<int16_t> ReadI16Le();
  Result<int32_t> ReadI32Le();
  Result<int64_t> ReadI64Le();
  Result<float> ReadF32Le();
  Result<double> ReadF64Le();
  Result<double> ReadF64Be();

  // Returns a view of the next `n` bytes and advances past them.
  Result<ByteSpan> ReadBytes(uint64_t n);
  // Same as ReadBytes, viewed as characters.
  Result<std::string_view> ReadChars(uint64_t n);
  // Reads a string with a little-endian u64 length prefix, at most
  // `max_len` bytes long (kLimitExceeded past it).
  Result<std::string_view> ReadString(uint64_t max_len);
  // Reads up to and including the next '\n' (not included in the result),
  // scanning at most `max_len` bytes.
  Result<std::string_view> ReadLine(uint64_t max_len);

  // Looks at the next byte(s) without advancing.
  Result<uint8_t> PeekU8() const;
  ByteSpan PeekRemaining() const { return data_.subspan(pos_); }

  Status Skip(uint64_t n);
  // Moves the cursor to `offset`, relative to the start of this reader.
  Status Seek(uint64_t offset);

  // A new reader over [offset, offset+len) of this reader's data (relative
  // offsets); its base offset is this reader's base + offset.
  Result<ByteReader> Slice(uint64_t offset, uint64_t len) const;

  // kMalformed if any bytes remain.
  Status ExpectEnd() const;

  // Cursor position relative to this reader's data.
  uint64_t position() const { return pos_; }
  // Absolute offset of the cursor (base + position).
  uint64_t offset() const { return base_ + pos_; }
  uint64_t base_offset() const { return base_; }
  uint64_t remaining() const { return data_.size() - pos_; }
  uint64_t size() const { return data_.size(); }
  bool empty() const { return pos_ == data_.size(); }
  ByteSpan data() const { return data_; }

 private:
  Status Need(uint64_t n) const;
  template <typename T>
  Result<T> ReadLe();
  template <typename T>
  Result<T> ReadBe();

  ByteSpan data_;
  uint64_t base_ = 0;
  uint64_t pos_ = 0;
};

// Little/big-endian decoding of fixed-size integers from a span that the
// caller has already checked to be long enough (REQUIRES: b.size() >= N).
uint16_t LoadU16Le(ByteSpan b);
uint32_t LoadU32Le(ByteSpan b);
uint64_t LoadU64Le(ByteSpan b);
uint32_t LoadU32Be(ByteSpan b);
void StoreU32Le(uint32_t v, uint8_t* out);
void StoreU64Le(uint64_t v, uint8_t* out);
void StoreU64Be(uint64_t v, uint8_t* out);

}  // namespace mats

#endif  // MATS_CORE_BYTE_READER_H_
