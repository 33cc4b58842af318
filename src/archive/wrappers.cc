// Single-stream compression wrappers and the archive format handlers.
#include <algorithm>
#include <cstring>

#include "mats/archive/archive.h"
#include "mats/archive/decompress.h"
#include "mats/core/byte_reader.h"

namespace mats::archive {
namespace {

bool HasPrefix(ByteSpan data, std::initializer_list<uint8_t> magic) {
  if (data.size() < magic.size()) return false;
  return std::equal(magic.begin(), magic.end(), data.begin());
}

// The name for the decompressed content: the current member (or file) name
// without its compression suffix.
std::string NestedName(ScanContext& ctx) {
  std::string_view base = ctx.member_path();
  if (base.empty()) base = ctx.file_path();
  std::string out = StripCompressionSuffix(base);
  return out.empty() ? std::string("decompressed") : out;
}

DecompressLimits LimitsFor(const Limits& limits) {
  DecompressLimits d = DecompressLimits::From(limits);
  if (limits.max_uncompressed_bytes < d.max_output) {
    d.max_output = limits.max_uncompressed_bytes;
    d.output_limit_name = "max_uncompressed_bytes";
    d.output_limit_value = limits.max_uncompressed_bytes;
  }
  return d;
}

Status Finish(Result<Bytes> out, std::string_view what, ScanContext& ctx) {
  if (!out.ok()) {
    if (out.status().code() == ErrorCode::kLimitExceeded) {
      ReportDecompressionBomb(ctx, {}, 0, out.status());
    }
    return out.status();
  }
  (void)what;
  ctx.ScanNested(*out, NestedName(ctx)).IgnoreError();  // recorded by ctx
  return Status::Ok();
}

// gzip and zlib: the stream end is known, so trailing bytes are reported
// and scanned.
Status AnalyzeInflate(ByteSpan data, ScanContext& ctx, InflateMode mode) {
  std::string_view what = mode == InflateMode::kGzip ? "gzip" : "zlib";
  Result<Inflated> inf = Inflate(data, mode, LimitsFor(ctx.limits()));
  if (!inf.ok()) {
    if (inf.status().code() == ErrorCode::kLimitExceeded) {
      ReportDecompressionBomb(ctx, {}, 0, inf.status());
    }
    return inf.status();
  }
  uint64_t end = inf->consumed;
  ctx.ScanNested(inf->data, NestedName(ctx)).IgnoreError();
  if (end < data.size()) {
    ByteSpan rest = data.subspan(end);
    bool all_zero = std::all_of(rest.begin(), rest.end(), [](uint8_t b) { return b == 0; });
    if (!all_zero) {
      ctx.Report({.rule_id = std::string(kRuleTrailingData),
                  .severity = Severity::kMedium,
                  .member = {},
                  .offset = end,
                  .message = fmt::format("{} bytes after the end of the {} stream",
                                         rest.size(), what),
                  .evidence = {}});
      ctx.ScanNested(rest, "trailing-data").IgnoreError();
    }
  }
  return Status::Ok();
}

// --- sniffers ---

SniffResult SniffTar(ByteSpan data, std::string_view) {
  if (data.size() < 512) return SniffResult::kNo;
  ByteSpan h = data.first(512);
  // Checksum: octal at 148..155, computed with that field as spaces.
  uint64_t declared_sum = 0;
  bool digits = false;
  for (size_t i = 148; i < 156; ++i) {
    uint8_t c = h[i];
    if (c >= '0' && c <= '7') {
      declared_sum = declared_sum * 8 + static_cast<uint64_t>(c - '0');
      digits = true;
    } else if (c == ' ' || c == 0) {
      if (digits) break;
    } else {
      return SniffResult::kNo;
    }
  }
  if (!digits) return SniffResult::kNo;
  uint64_t sum = 0;
  for (size_t i = 0; i < 512; ++i) sum += (i >= 148 && i < 156) ? 0x20u : static_cast<unsigned>(h[i]);
  if (sum != declared_sum) return SniffResult::kNo;
  if (h[0] == 0) return SniffResult::kNo;
  return SniffResult::kStrong;
}

SniffResult Sniff7z(ByteSpan data, std::string_view) {
  return HasPrefix(data, {0x37, 0x7A, 0xBC, 0xAF, 0x27, 0x1C}) ? SniffResult::kStrong
                                                               : SniffResult::kNo;
}
SniffResult SniffGzip(ByteSpan data, std::string_view) {
  return HasPrefix(data, {0x1F, 0x8B, 0x08}) ? SniffResult::kStrong : SniffResult::kNo;
}
SniffResult SniffBzip2(ByteSpan data, std::string_view) {
  if (data.size() < 10 || !HasPrefix(data, {'B', 'Z', 'h'})) return SniffResult::kNo;
  if (data[3] < '1' || data[3] > '9') return SniffResult::kNo;
  ByteSpan m = data.subspan(4, 6);
  static constexpr uint8_t kBlock[] = {0x31, 0x41, 0x59, 0x26, 0x53, 0x59};
  static constexpr uint8_t kEnd[] = {0x17, 0x72, 0x45, 0x38, 0x50, 0x90};
  if (std::equal(std::begin(kBlock), std::end(kBlock), m.begin()) ||
      std::equal(std::begin(kEnd), std::end(kEnd), m.begin())) {
    return SniffResult::kStrong;
  }
  return SniffResult::kNo;
}
SniffResult SniffXz(ByteSpan data, std::string_view) {
  return HasPrefix(data, {0xFD, '7', 'z', 'X', 'Z', 0x00}) ? SniffResult::kStrong
                                                          : SniffResult::kNo;
}
// lzma-alone: properties byte (lc/lp/pb, < 225; 0x5D in practice), u32
// dictionary size, u64 uncompressed size (-1 = unknown).
SniffResult SniffLzma(ByteSpan data, std::string_view) {
  if (data.size() < 13 || data[0] != 0x5D) return SniffResult::kNo;
  uint32_t dict = LoadU32Le(data.subspan(1, 4));
  bool pow2 = dict != 0 && (dict & (dict - 1)) == 0;
  uint32_t low = dict & (~dict + 1);  // lowest set bit
  bool pow2_plus_half = dict != 0 && dict == low * 3;
  if (dict < 4096 || !(pow2 || pow2_plus_half)) return SniffResult::kNo;
  uint64_t size = LoadU64Le(data.subspan(5, 8));
  if (size != UINT64_MAX && size > (1ull << 48)) return SniffResult::kNo;
  return SniffResult::kStrong;
}
SniffResult SniffZstd(ByteSpan data, std::string_view) {
  return HasPrefix(data, {0x28, 0xB5, 0x2F, 0xFD}) ? SniffResult::kStrong
                                                  : SniffResult::kNo;
}
SniffResult SniffLz4(ByteSpan data, std::string_view) {
  return HasPrefix(data, {0x04, 0x22, 0x4D, 0x18}) ? SniffResult::kStrong
                                                  : SniffResult::kNo;
}
// zlib: CMF 0x78 (deflate, 32K window), FLG with the check bits right and no
// preset dictionary. Weak on the header alone, strong once the start of the
// stream inflates.
SniffResult SniffZlib(ByteSpan data, std::string_view) {
  if (data.size() < 3 || data[0] != 0x78) return SniffResult::kNo;
  uint8_t flg = data[1];
  if (flg != 0x01 && flg != 0x5E && flg != 0x9C && flg != 0xDA) return SniffResult::kNo;
  if (((static_cast<unsigned>(data[0]) << 8) | flg) % 31 != 0) return SniffResult::kNo;
  ByteSpan head = data.first(std::min<size_t>(data.size(), 4096));
  Bytes out = InflatePrefix(head, InflateMode::kZlib, 64);
  if (!out.empty()) return SniffResult::kStrong;
  return SniffResult::kWeak;
}

Status AnalyzeGzip(ByteSpan data, ScanContext& ctx) {
  return AnalyzeInflate(data, ctx, InflateMode::kGzip);
}
Status AnalyzeZlib(ByteSpan data, ScanContext& ctx) {
  return AnalyzeInflate(data, ctx, InflateMode::kZlib);
}
// liblzma allocates the dictionary an lzma-alone header declares (up to
// 4 GiB) before decoding a byte; xz -9e uses 64 MiB.
constexpr uint32_t kMaxLzmaDictionary = 256u << 20;

template <StreamFilter F>
Status AnalyzeStream(ByteSpan data, ScanContext& ctx) {
  if (F == StreamFilter::kLzma && data.size() >= 5) {
    uint32_t dict = LoadU32Le(data.subspan(1, 4));
    if (dict > kMaxLzmaDictionary) {
      return UnsupportedAt(1, "lzma: dictionary size {} above the {} bytes mats accepts",
                           dict, kMaxLzmaDictionary);
    }
  }
  return Finish(DecompressStream(data, F, LimitsFor(ctx.limits())),
                StreamFilterName(F), ctx);
}

}  // namespace

const FormatHandler& TarHandler() {
  static const FormatHandler h{"tar", "tar archive (ustar, GNU, pax, v7)",
                               &SniffTar, &AnalyzeTar};
  return h;
}
const FormatHandler& SevenZipHandler() {
  static const FormatHandler h{"7z", "7-Zip archive", &Sniff7z, &AnalyzeSevenZip};
  return h;
}
const FormatHandler& GzipHandler() {
  static const FormatHandler h{"gzip", "gzip stream (.gz, compressed joblib)",
                               &SniffGzip, &AnalyzeGzip};
  return h;
}
const FormatHandler& Bzip2Handler() {
  static const FormatHandler h{"bzip2", "bzip2 stream (.bz2, compressed joblib)",
                               &SniffBzip2, &AnalyzeStream<StreamFilter::kBzip2>};
  return h;
}
const FormatHandler& XzHandler() {
  static const FormatHandler h{"xz", "xz stream (.xz, compressed joblib)", &SniffXz,
                               &AnalyzeStream<StreamFilter::kXz>};
  return h;
}
const FormatHandler& LzmaHandler() {
  static const FormatHandler h{"lzma", "lzma-alone stream (.lzma, compressed joblib)",
                               &SniffLzma, &AnalyzeStream<StreamFilter::kLzma>};
  return h;
}
const FormatHandler& ZstdHandler() {
  static const FormatHandler h{"zstd", "Zstandard frame (.zst)", &SniffZstd,
                               &AnalyzeStream<StreamFilter::kZstd>};
  return h;
}
const FormatHandler& Lz4Handler() {
  static const FormatHandler h{"lz4", "LZ4 frame (.lz4, compressed joblib)",
                               &SniffLz4, &AnalyzeStream<StreamFilter::kLz4>};
  return h;
}
const FormatHandler& ZlibHandler() {
  static const FormatHandler h{"zlib", "zlib stream (joblib compress='zlib')",
                               &SniffZlib, &AnalyzeZlib};
  return h;
}

}  // namespace mats::archive
