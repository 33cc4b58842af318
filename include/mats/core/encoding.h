// Hex and base64 encoding, and escaping of untrusted text for reports.
//
//   std::string h = HexEncode(digest);
//   MATS_ASSIGN_OR_RETURN(Bytes raw, Base64Decode(text));
//   std::string shown = EscapePreview(untrusted, 64);
#ifndef MATS_CORE_ENCODING_H_
#define MATS_CORE_ENCODING_H_

#include <string>
#include <string_view>

#include "mats/core/bytes.h"
#include "mats/core/result.h"

namespace mats {

// Lowercase hex.
std::string HexEncode(ByteSpan data);
// Accepts upper and lower case; kMalformed on odd length or a bad digit.
Result<Bytes> HexDecode(std::string_view hex);

// Standard alphabet, padded.
std::string Base64Encode(ByteSpan data);
// Standard alphabet; padding required unless `allow_unpadded`; no
// whitespace. kMalformed names the offending offset.
Result<Bytes> Base64Decode(std::string_view text, bool allow_unpadded = false);
// URL-safe alphabet, no padding.
std::string Base64UrlEncode(ByteSpan data);
Result<Bytes> Base64UrlDecode(std::string_view text);

// Makes untrusted bytes safe to print: printable ASCII is kept, quotes and
// backslashes are escaped, everything else becomes \n, \t, \xNN; the result
// is cut to `max_bytes` of input with "..." appended when cut.
std::string EscapePreview(std::string_view s, size_t max_bytes = 64);

// True when every byte is valid UTF-8 (no overlongs, no surrogates).
bool IsValidUtf8(std::string_view s);

}  // namespace mats

#endif  // MATS_CORE_ENCODING_H_
