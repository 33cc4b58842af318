// Byte views used across mats.
//
// mats uses uint8_t (not std::byte) for input bytes so that spans pass to
// zlib, OpenSSL and libarchive without casts; see docs/architecture.md.
#ifndef MATS_CORE_BYTES_H_
#define MATS_CORE_BYTES_H_

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace mats {

using ByteSpan = std::span<const uint8_t>;
using Bytes = std::vector<uint8_t>;

// Views the characters of `s` as bytes. The result aliases `s`.
ByteSpan AsBytes(std::string_view s);
// Views bytes as characters. The result aliases `b`.
std::string_view AsChars(ByteSpan b);

}  // namespace mats

#endif  // MATS_CORE_BYTES_H_
