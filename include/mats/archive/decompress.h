// Bounded in-memory decompression shared by the container analysers.
//
// Every decompressor here writes into memory only, stops as soon as one of
// the limits below is reached and then returns kLimitExceeded naming the
// limit; nothing is ever written to disk.
//
//   DecompressLimits lim = DecompressLimits::From(ctx.limits());
//   MATS_ASSIGN_OR_RETURN(Bytes out, Inflate(data, InflateMode::kRaw, lim));
//
// Thread-compatible; no global state.
#ifndef MATS_ARCHIVE_DECOMPRESS_H_
#define MATS_ARCHIVE_DECOMPRESS_H_

#include <cstdint>
#include <string_view>

#include "mats/core/bytes.h"
#include "mats/core/limits.h"
#include "mats/core/result.h"

namespace mats::archive {

// Below this many output bytes the compression ratio is not checked: small
// runs of zeros legitimately compress 1000:1 (e.g. an npz of zero arrays).
inline constexpr uint64_t kRatioFloorBytes = 1ull << 20;

struct DecompressLimits {
  uint64_t max_output = 0;   // hard cap on produced bytes (max_inflate_bytes,
                             // possibly lowered by a container's budget)
  uint32_t max_ratio = 0;    // output/input; 0 = unchecked
  // Name and value reported when max_output is hit.
  std::string_view output_limit_name = "max_inflate_bytes";
  uint64_t output_limit_value = 0;

  static DecompressLimits From(const Limits& limits);
};

enum class InflateMode : uint8_t {
  kRaw,   // raw deflate (zip method 8)
  kZlib,  // RFC 1950 (joblib compress='zlib')
  kGzip,  // RFC 1952, concatenated members accepted
};

struct Inflated {
  Bytes data;
  uint64_t consumed = 0;  // input bytes used (all gzip members)
};

// Inflates `in`. Errors: kMalformed (bad stream, truncated input; offset is
// the input position), kLimitExceeded (max_output or max_ratio; the message
// names the Limits field).
Result<Inflated> Inflate(ByteSpan in, InflateMode mode,
                         const DecompressLimits& limits);

// Length of the compressed stream at the start of `in` (input bytes up to
// and including its end), found by inflating without keeping the output:
// memory stays constant, work is bounded by `limits` like Inflate. Only the
// first gzip member is measured.
Result<uint64_t> InflatedStreamLength(ByteSpan in, InflateMode mode,
                                      const DecompressLimits& limits);

// Inflates at most `max_bytes` of output and returns what was produced, even
// if the stream is damaged later (used to sniff the start of a member).
Bytes InflatePrefix(ByteSpan in, InflateMode mode, size_t max_bytes);

// Single-stream formats decoded through libarchive's raw reader.
enum class StreamFilter : uint8_t { kGzip, kBzip2, kXz, kLzma, kZstd, kLz4 };
std::string_view StreamFilterName(StreamFilter f);

// Decompresses one stream of the given filter into memory. Same errors as
// Inflate, plus kMalformed for anything libarchive rejects.
Result<Bytes> DecompressStream(ByteSpan in, StreamFilter filter,
                               const DecompressLimits& limits);

// CRC-32 (zip/gzip polynomial) of `data`.
uint32_t Crc32(ByteSpan data);

}  // namespace mats::archive

#endif  // MATS_ARCHIVE_DECOMPRESS_H_
