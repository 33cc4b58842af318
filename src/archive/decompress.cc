#include "mats/archive/decompress.h"

#include <zlib.h>

#include <algorithm>
#include <array>

#include "archive/libarchive_util.h"
#include "mats/core/checked_math.h"
#include "mats/core/encoding.h"

namespace mats::archive {
namespace {

constexpr size_t kChunk = 64 * 1024;

int WindowBits(InflateMode mode) {
  switch (mode) {
    case InflateMode::kRaw:
      return -15;
    case InflateMode::kZlib:
      return 15;
    case InflateMode::kGzip:
      return 16 + 15;
  }
  return -15;
}

std::string_view ModeName(InflateMode mode) {
  switch (mode) {
    case InflateMode::kRaw:
      return "deflate";
    case InflateMode::kZlib:
      return "zlib";
    case InflateMode::kGzip:
      return "gzip";
  }
  return "deflate";
}

// Checks the limits for `produced` output bytes from `input_size` bytes.
Status CheckOutput(uint64_t produced, uint64_t input_size,
                   const DecompressLimits& limits, std::string_view what) {
  if (produced > limits.max_output) {
    return LimitExceeded("{}: output exceeds {} ({})", what,
                         LimitMessage(limits.output_limit_name,
                                      limits.output_limit_value),
                         "decompression bomb?");
  }
  if (limits.max_ratio != 0 && produced > kRatioFloorBytes) {
    uint64_t allowed = 0;
    if (CheckedMul<uint64_t>(std::max<uint64_t>(input_size, 1),
                             limits.max_ratio, &allowed) &&
        produced > allowed) {
      return LimitExceeded(
          "{}: compression ratio above {} ({} bytes from {})", what,
          LimitMessage("max_compression_ratio", limits.max_ratio), produced,
          input_size);
    }
  }
  return Status::Ok();
}

struct ZStream {
  z_stream s{};
  bool ok = false;
  explicit ZStream(int window_bits) {
    ok = inflateInit2(&s, window_bits) == Z_OK;
  }
  ~ZStream() {
    if (ok) inflateEnd(&s);
  }
  ZStream(const ZStream&) = delete;
  ZStream& operator=(const ZStream&) = delete;
};

}  // namespace

DecompressLimits DecompressLimits::From(const Limits& limits) {
  DecompressLimits d;
  d.max_output = limits.max_inflate_bytes;
  d.max_ratio = limits.max_compression_ratio;
  d.output_limit_name = "max_inflate_bytes";
  d.output_limit_value = limits.max_inflate_bytes;
  return d;
}

namespace {

// Shared loop: keeps the output only when `keep` is set.
Result<Inflated> InflateImpl(ByteSpan in, InflateMode mode,
                             const DecompressLimits& limits, bool keep) {
  std::string_view what = ModeName(mode);
  Inflated result;
  uint64_t produced_total = 0;
  uint64_t consumed_total = 0;
  // gzip allows several members back to back (gzip -c a b > ab.gz); loop.
  while (true) {
    ZStream z(WindowBits(mode));
    if (!z.ok) return Internal("{}: inflateInit2 failed", what);
    ByteSpan rest = in.subspan(consumed_total);
    // zlib takes uInt sizes; feed at most 1 GiB per call.
    size_t fed = 0;
    int rc = Z_OK;
    std::array<uint8_t, kChunk> buf{};
    while (rc != Z_STREAM_END) {
      if (z.s.avail_in == 0 && fed < rest.size()) {
        size_t n = std::min<size_t>(rest.size() - fed, 1u << 30);
        z.s.next_in = const_cast<Bytef*>(rest.data() + fed);  // zlib API
        z.s.avail_in = static_cast<uInt>(n);
        fed += n;
      }
      z.s.next_out = buf.data();
      z.s.avail_out = static_cast<uInt>(buf.size());
      rc = inflate(&z.s, Z_NO_FLUSH);
      size_t produced = buf.size() - z.s.avail_out;
      if (produced != 0) {
        if (keep) result.data.insert(result.data.end(), buf.data(), buf.data() + produced);
        produced_total += produced;
        MATS_RETURN_IF_ERROR(CheckOutput(produced_total, in.size(), limits, what));
      }
      if (rc == Z_STREAM_END) break;
      if (rc == Z_NEED_DICT) {
        return Malformed(consumed_total + z.s.total_in,
                         "{}: stream needs a preset dictionary", what);
      }
      if (rc == Z_DATA_ERROR || rc == Z_STREAM_ERROR || rc == Z_MEM_ERROR) {
        return Malformed(consumed_total + z.s.total_in, "{}: corrupt stream: {}",
                         what, z.s.msg != nullptr ? z.s.msg : "data error");
      }
      if (rc == Z_BUF_ERROR && z.s.avail_in == 0 && fed >= rest.size()) {
        return Malformed(consumed_total + z.s.total_in,
                         "{}: truncated stream", what);
      }
    }
    consumed_total += z.s.total_in;
    result.consumed = consumed_total;
    if (mode != InflateMode::kGzip || !keep) break;
    // Another gzip member follows only if its magic does.
    if (in.size() - consumed_total < 2 || in[consumed_total] != 0x1F ||
        in[consumed_total + 1] != 0x8B) {
      break;
    }
  }
  return result;
}

}  // namespace

Result<Inflated> Inflate(ByteSpan in, InflateMode mode,
                         const DecompressLimits& limits) {
  return InflateImpl(in, mode, limits, true);
}

Result<uint64_t> InflatedStreamLength(ByteSpan in, InflateMode mode,
                                      const DecompressLimits& limits) {
  MATS_ASSIGN_OR_RETURN(Inflated r, InflateImpl(in, mode, limits, false));
  return r.consumed;
}

Bytes InflatePrefix(ByteSpan in, InflateMode mode, size_t max_bytes) {
  Bytes out(max_bytes);
  ZStream z(WindowBits(mode));
  if (!z.ok || max_bytes == 0) return {};
  z.s.next_in = const_cast<Bytef*>(in.data());  // zlib API
  z.s.avail_in = static_cast<uInt>(std::min<size_t>(in.size(), 1u << 30));
  z.s.next_out = out.data();
  z.s.avail_out = static_cast<uInt>(max_bytes);
  while (z.s.avail_out != 0) {
    int rc = inflate(&z.s, Z_SYNC_FLUSH);
    if (rc != Z_OK) break;
  }
  out.resize(max_bytes - z.s.avail_out);
  return out;
}

std::string_view StreamFilterName(StreamFilter f) {
  switch (f) {
    case StreamFilter::kGzip:
      return "gzip";
    case StreamFilter::kBzip2:
      return "bzip2";
    case StreamFilter::kXz:
      return "xz";
    case StreamFilter::kLzma:
      return "lzma";
    case StreamFilter::kZstd:
      return "zstd";
    case StreamFilter::kLz4:
      return "lz4";
  }
  return "stream";
}

Result<Bytes> DecompressStream(ByteSpan in, StreamFilter filter,
                               const DecompressLimits& limits) {
  std::string_view what = StreamFilterName(filter);
  if (filter == StreamFilter::kGzip) {
    MATS_ASSIGN_OR_RETURN(Inflated inf, Inflate(in, InflateMode::kGzip, limits));
    return std::move(inf.data);
  }
  internal::ArchiveReadPtr a = internal::NewArchiveReader();
  if (!a) return Internal("{}: archive_read_new failed", what);
  int code = ARCHIVE_FILTER_NONE;
  switch (filter) {
    case StreamFilter::kBzip2:
      code = ARCHIVE_FILTER_BZIP2;
      break;
    case StreamFilter::kXz:
      code = ARCHIVE_FILTER_XZ;
      break;
    case StreamFilter::kLzma:
      code = ARCHIVE_FILTER_LZMA;
      break;
    case StreamFilter::kZstd:
      code = ARCHIVE_FILTER_ZSTD;
      break;
    case StreamFilter::kLz4:
      code = ARCHIVE_FILTER_LZ4;
      break;
    case StreamFilter::kGzip:
      break;
  }
  if (archive_read_append_filter(a.get(), code) != ARCHIVE_OK ||
      archive_read_support_format_raw(a.get()) != ARCHIVE_OK) {
    return Unsupported("{}: libarchive lacks this filter: {}", what,
                       internal::ArchiveErrorString(a.get()));
  }
  if (archive_read_open_memory(a.get(), in.data(), in.size()) != ARCHIVE_OK) {
    return Malformed(0, "{}: {}", what,
                     EscapePreview(internal::ArchiveErrorString(a.get())));
  }
  struct archive_entry* entry = nullptr;
  if (archive_read_next_header(a.get(), &entry) != ARCHIVE_OK) {
    return Malformed(0, "{}: {}", what,
                     EscapePreview(internal::ArchiveErrorString(a.get())));
  }
  Bytes out;
  std::array<uint8_t, kChunk> buf{};
  while (true) {
    la_ssize_t n = archive_read_data(a.get(), buf.data(), buf.size());
    if (n < 0) {
      return Malformed(static_cast<uint64_t>(
                           std::max<la_int64_t>(archive_filter_bytes(a.get(), -1), 0)),
                       "{}: corrupt stream: {}", what,
                       EscapePreview(internal::ArchiveErrorString(a.get())));
    }
    if (n == 0) break;
    out.insert(out.end(), buf.data(), buf.data() + n);
    MATS_RETURN_IF_ERROR(CheckOutput(out.size(), in.size(), limits, what));
  }
  return out;
}

uint32_t Crc32(ByteSpan data) {
  uLong crc = crc32(0L, Z_NULL, 0);
  size_t pos = 0;
  while (pos < data.size()) {
    size_t n = std::min<size_t>(data.size() - pos, 1u << 30);
    crc = crc32(crc, data.data() + pos, static_cast<uInt>(n));
    pos += n;
  }
  return static_cast<uint32_t>(crc);
}

}  // namespace mats::archive
