// Test helpers: fixture loading and a byte-level zip builder for error-path
// tests of the zip reader.
#ifndef MATS_TESTS_ZIP_ZIP_TEST_UTIL_H_
#define MATS_TESTS_ZIP_ZIP_TEST_UTIL_H_

#include <zlib.h>

#include <cstdint>
#include <string>
#include <vector>

#include "mats/core/byte_reader.h"
#include "mats/core/bytes.h"
#include "mats/core/mapped_file.h"

namespace mats::testing {

inline Bytes LoadFixture(const std::string& rel) {
  auto s = ReadFileToString(std::string(MATS_SOURCE_DIR) + "/tests/fixtures/" + rel, 64u << 20);
  if (!s.ok()) return {};
  return Bytes(s->begin(), s->end());
}

inline void PutU16(Bytes& b, uint16_t v) {
  b.push_back(static_cast<uint8_t>(v));
  b.push_back(static_cast<uint8_t>(v >> 8));
}
inline void PutU32(Bytes& b, uint32_t v) {
  for (int i = 0; i < 4; ++i) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
inline void PutU64(Bytes& b, uint64_t v) {
  for (int i = 0; i < 8; ++i) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
inline void PutStr(Bytes& b, std::string_view s) { b.insert(b.end(), s.begin(), s.end()); }
inline void SetU32(Bytes& b, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + static_cast<size_t>(i)] = static_cast<uint8_t>(v >> (8 * i));
}
inline void SetU16(Bytes& b, size_t at, uint16_t v) {
  b[at] = static_cast<uint8_t>(v);
  b[at + 1] = static_cast<uint8_t>(v >> 8);
}

inline uint32_t TestCrc(std::string_view s) {
  return static_cast<uint32_t>(
      crc32(0, reinterpret_cast<const Bytef*>(s.data()), static_cast<uInt>(s.size())));
}

inline Bytes RawDeflate(const Bytes& in) {
  z_stream z{};
  deflateInit2(&z, 9, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY);
  Bytes out(deflateBound(&z, in.size()) + 16);
  z.next_in = const_cast<Bytef*>(in.data());
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = out.data();
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

struct TestMember {
  TestMember(std::string n, Bytes d, uint16_t m = 0, uint16_t f = 0, Bytes c = {})
      : name(std::move(n)), data(std::move(d)), method(m), flags(f), compressed(std::move(c)) {}
  std::string name;
  Bytes data;          // stored as-is unless method == 8 (then deflated)
  uint16_t method = 0;
  uint16_t flags = 0;
  Bytes compressed;    // if set: the member's bytes as stored (data = decoded)
};

// A well-formed zip of `members`; `eocd_at` receives the EOCD offset.
inline Bytes BuildZip(const std::vector<TestMember>& members, size_t* eocd_at = nullptr,
                      std::string_view comment = {}) {
  Bytes out;
  std::vector<uint32_t> offsets;
  std::vector<Bytes> comp;
  for (const TestMember& m : members) {
    Bytes c = !m.compressed.empty() ? m.compressed : m.method == 8 ? RawDeflate(m.data) : m.data;
    uint32_t crc = static_cast<uint32_t>(crc32(0, m.data.data(), static_cast<uInt>(m.data.size())));
    offsets.push_back(static_cast<uint32_t>(out.size()));
    PutU32(out, 0x04034b50);
    PutU16(out, 20);
    PutU16(out, m.flags);
    PutU16(out, m.method);
    PutU32(out, 0);
    PutU32(out, crc);
    PutU32(out, static_cast<uint32_t>(c.size()));
    PutU32(out, static_cast<uint32_t>(m.data.size()));
    PutU16(out, static_cast<uint16_t>(m.name.size()));
    PutU16(out, 0);
    PutStr(out, m.name);
    out.insert(out.end(), c.begin(), c.end());
    comp.push_back(std::move(c));
  }
  uint32_t cd_off = static_cast<uint32_t>(out.size());
  for (size_t i = 0; i < members.size(); ++i) {
    const TestMember& m = members[i];
    uint32_t crc = static_cast<uint32_t>(crc32(0, m.data.data(), static_cast<uInt>(m.data.size())));
    PutU32(out, 0x02014b50);
    PutU16(out, 20);
    PutU16(out, 20);
    PutU16(out, m.flags);
    PutU16(out, m.method);
    PutU32(out, 0);
    PutU32(out, crc);
    PutU32(out, static_cast<uint32_t>(comp[i].size()));
    PutU32(out, static_cast<uint32_t>(m.data.size()));
    PutU16(out, static_cast<uint16_t>(m.name.size()));
    PutU16(out, 0);
    PutU16(out, 0);
    PutU16(out, 0);
    PutU16(out, 0);
    PutU32(out, 0);
    PutU32(out, offsets[i]);
    PutStr(out, m.name);
  }
  uint32_t cd_size = static_cast<uint32_t>(out.size()) - cd_off;
  if (eocd_at != nullptr) *eocd_at = out.size();
  PutU32(out, 0x06054b50);
  PutU16(out, 0);
  PutU16(out, 0);
  PutU16(out, static_cast<uint16_t>(members.size()));
  PutU16(out, static_cast<uint16_t>(members.size()));
  PutU32(out, cd_size);
  PutU32(out, cd_off);
  PutU16(out, static_cast<uint16_t>(comment.size()));
  PutStr(out, comment);
  return out;
}

inline Bytes ToBytes(std::string_view s) { return Bytes(s.begin(), s.end()); }

}  // namespace mats::testing

#endif  // MATS_TESTS_ZIP_ZIP_TEST_UTIL_H_
