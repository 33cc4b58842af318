#include "pickle/machine.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "mats/core/byte_reader.h"
#include "mats/core/checked_math.h"
#include "mats/core/encoding.h"
#include "mats/core/limits.h"
#include "mats/pickle/pickle.h"
#include "pickle/names.h"
#include "pickle/seg_array.h"

namespace mats::pickle::internal {
namespace {

// ---------------------------------------------------------------------------
// Opcodes (Lib/pickletools.py).
namespace op {
constexpr uint8_t kMark = '(';
constexpr uint8_t kStop = '.';
constexpr uint8_t kPop = '0';
constexpr uint8_t kPopMark = '1';
constexpr uint8_t kDup = '2';
constexpr uint8_t kFloat = 'F';
constexpr uint8_t kInt = 'I';
constexpr uint8_t kBinInt = 'J';
constexpr uint8_t kBinInt1 = 'K';
constexpr uint8_t kLong = 'L';
constexpr uint8_t kBinInt2 = 'M';
constexpr uint8_t kNone = 'N';
constexpr uint8_t kPersId = 'P';
constexpr uint8_t kBinPersId = 'Q';
constexpr uint8_t kReduce = 'R';
constexpr uint8_t kString = 'S';
constexpr uint8_t kBinString = 'T';
constexpr uint8_t kShortBinString = 'U';
constexpr uint8_t kUnicode = 'V';
constexpr uint8_t kBinUnicode = 'X';
constexpr uint8_t kAppend = 'a';
constexpr uint8_t kBuild = 'b';
constexpr uint8_t kGlobal = 'c';
constexpr uint8_t kDict = 'd';
constexpr uint8_t kEmptyDict = '}';
constexpr uint8_t kAppends = 'e';
constexpr uint8_t kGet = 'g';
constexpr uint8_t kBinGet = 'h';
constexpr uint8_t kInst = 'i';
constexpr uint8_t kLongBinGet = 'j';
constexpr uint8_t kList = 'l';
constexpr uint8_t kEmptyList = ']';
constexpr uint8_t kObj = 'o';
constexpr uint8_t kPut = 'p';
constexpr uint8_t kBinPut = 'q';
constexpr uint8_t kLongBinPut = 'r';
constexpr uint8_t kSetItem = 's';
constexpr uint8_t kTuple = 't';
constexpr uint8_t kEmptyTuple = ')';
constexpr uint8_t kSetItems = 'u';
constexpr uint8_t kBinFloat = 'G';
constexpr uint8_t kProto = 0x80;
constexpr uint8_t kNewObj = 0x81;
constexpr uint8_t kExt1 = 0x82;
constexpr uint8_t kExt2 = 0x83;
constexpr uint8_t kExt4 = 0x84;
constexpr uint8_t kTuple1 = 0x85;
constexpr uint8_t kTuple2 = 0x86;
constexpr uint8_t kTuple3 = 0x87;
constexpr uint8_t kNewTrue = 0x88;
constexpr uint8_t kNewFalse = 0x89;
constexpr uint8_t kLong1 = 0x8a;
constexpr uint8_t kLong4 = 0x8b;
constexpr uint8_t kBinBytes = 'B';
constexpr uint8_t kShortBinBytes = 'C';
constexpr uint8_t kShortBinUnicode = 0x8c;
constexpr uint8_t kBinUnicode8 = 0x8d;
constexpr uint8_t kBinBytes8 = 0x8e;
constexpr uint8_t kEmptySet = 0x8f;
constexpr uint8_t kAddItems = 0x90;
constexpr uint8_t kFrozenSet = 0x91;
constexpr uint8_t kNewObjEx = 0x92;
constexpr uint8_t kStackGlobal = 0x93;
constexpr uint8_t kMemoize = 0x94;
constexpr uint8_t kFrame = 0x95;
constexpr uint8_t kByteArray8 = 0x96;
constexpr uint8_t kNextBuffer = 0x97;
constexpr uint8_t kReadOnlyBuffer = 0x98;
}  // namespace op

std::string_view OpName(uint8_t code) {
  switch (code) {
    case op::kMark: return "MARK";
    case op::kStop: return "STOP";
    case op::kPop: return "POP";
    case op::kPopMark: return "POP_MARK";
    case op::kDup: return "DUP";
    case op::kFloat: return "FLOAT";
    case op::kInt: return "INT";
    case op::kBinInt: return "BININT";
    case op::kBinInt1: return "BININT1";
    case op::kLong: return "LONG";
    case op::kBinInt2: return "BININT2";
    case op::kNone: return "NONE";
    case op::kPersId: return "PERSID";
    case op::kBinPersId: return "BINPERSID";
    case op::kReduce: return "REDUCE";
    case op::kString: return "STRING";
    case op::kBinString: return "BINSTRING";
    case op::kShortBinString: return "SHORT_BINSTRING";
    case op::kUnicode: return "UNICODE";
    case op::kBinUnicode: return "BINUNICODE";
    case op::kAppend: return "APPEND";
    case op::kBuild: return "BUILD";
    case op::kGlobal: return "GLOBAL";
    case op::kDict: return "DICT";
    case op::kEmptyDict: return "EMPTY_DICT";
    case op::kAppends: return "APPENDS";
    case op::kGet: return "GET";
    case op::kBinGet: return "BINGET";
    case op::kInst: return "INST";
    case op::kLongBinGet: return "LONG_BINGET";
    case op::kList: return "LIST";
    case op::kEmptyList: return "EMPTY_LIST";
    case op::kObj: return "OBJ";
    case op::kPut: return "PUT";
    case op::kBinPut: return "BINPUT";
    case op::kLongBinPut: return "LONG_BINPUT";
    case op::kSetItem: return "SETITEM";
    case op::kTuple: return "TUPLE";
    case op::kEmptyTuple: return "EMPTY_TUPLE";
    case op::kSetItems: return "SETITEMS";
    case op::kBinFloat: return "BINFLOAT";
    case op::kProto: return "PROTO";
    case op::kNewObj: return "NEWOBJ";
    case op::kExt1: return "EXT1";
    case op::kExt2: return "EXT2";
    case op::kExt4: return "EXT4";
    case op::kTuple1: return "TUPLE1";
    case op::kTuple2: return "TUPLE2";
    case op::kTuple3: return "TUPLE3";
    case op::kNewTrue: return "NEWTRUE";
    case op::kNewFalse: return "NEWFALSE";
    case op::kLong1: return "LONG1";
    case op::kLong4: return "LONG4";
    case op::kBinBytes: return "BINBYTES";
    case op::kShortBinBytes: return "SHORT_BINBYTES";
    case op::kShortBinUnicode: return "SHORT_BINUNICODE";
    case op::kBinUnicode8: return "BINUNICODE8";
    case op::kBinBytes8: return "BINBYTES8";
    case op::kEmptySet: return "EMPTY_SET";
    case op::kAddItems: return "ADDITEMS";
    case op::kFrozenSet: return "FROZENSET";
    case op::kNewObjEx: return "NEWOBJ_EX";
    case op::kStackGlobal: return "STACK_GLOBAL";
    case op::kMemoize: return "MEMOIZE";
    case op::kFrame: return "FRAME";
    case op::kByteArray8: return "BYTEARRAY8";
    case op::kNextBuffer: return "NEXT_BUFFER";
    case op::kReadOnlyBuffer: return "READONLY_BUFFER";
    default: return "";
  }
}

// ---------------------------------------------------------------------------
// Symbolic values.

enum class Kind : uint8_t {
  kEmpty,  // unused memo slot
  kNone,
  kBool,
  kInt,
  kBigInt,
  kFloat,
  kStr,
  kBytes,
  kTuple,
  kList,
  kDict,
  kSet,
  kFrozenSet,
  kGlobal,
  kCall,
  kPersId,
  kBuffer,
  kUnknown,
};

bool IsObjKind(Kind k) { return k >= Kind::kTuple && k <= Kind::kPersId; }

// How a string-like value's bytes are encoded in the input.
enum class Enc : uint8_t {
  kRaw,               // UTF-8 / raw bytes
  kQuoted,            // STRING: a Python repr with quotes and escapes
  kRawUnicodeEscape,  // UNICODE
  kDecimal,           // INT/LONG text of an integer too big for int64
  kLongLe,            // LONG1/LONG4 two's complement little-endian
};

// 16 bytes; scalars and strings are inline (strings refer to the input),
// containers, globals and calls live in the stream's arena.
struct Val {
  Kind kind = Kind::kNone;
  Enc enc = Enc::kRaw;
  uint32_t len = 0;  // strings, bytes, big ints: byte length (capped)
  uint64_t u = 0;    // int64 bits, double bits, input offset, arena index
};

Val MakeInt(int64_t v) {
  return {Kind::kInt, Enc::kRaw, 0, static_cast<uint64_t>(v)};
}
int64_t IntOf(const Val& v) { return static_cast<int64_t>(v.u); }
Val MakeSpan(Kind k, Enc e, uint64_t offset, uint64_t len) {
  return {k, e, static_cast<uint32_t>(std::min<uint64_t>(len, UINT32_MAX)),
          offset};
}

// The machine's stack: a vector of Val whose push_back is inlined into the
// opcode loop (std::vector's is not, and it is the hottest call). resize()
// only shrinks; callers bound size() with max_stack_items.
class ValStack {
 public:
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  Val* begin() { return buf_.get(); }
  Val* end() { return buf_.get() + size_; }
  Val& back() { return buf_[size_ - 1]; }
  Val& operator[](size_t i) { return buf_[i]; }
  void pop_back() { --size_; }
  void clear() { size_ = 0; }
  void resize(size_t n) { size_ = std::min(n, size_); }
  // By value and always inlined: callers build the Val in registers (a
  // call taking a reference made it go through memory, with a failed
  // store-to-load forwarding on every push).
  [[gnu::always_inline]] void push_back(Val v) {
    if (size_ == cap_) [[unlikely]] Grow();
    buf_[size_++] = v;
  }

 private:
  [[gnu::noinline]] void Grow() {
    size_t cap = std::max<size_t>(256, 2 * cap_);
    auto buf = std::make_unique<Val[]>(cap);
    std::copy(buf_.get(), buf_.get() + size_, buf.get());
    buf_ = std::move(buf);
    cap_ = cap;
  }
  std::unique_ptr<Val[]> buf_;
  size_t size_ = 0;
  size_t cap_ = 0;
};

// The dense memo: one 8-byte slot per index (CPython memoizes every object,
// so the memo holds as many entries as the input has objects). A Val whose
// fields fit (len < 2^16, u < 2^40: strings and containers of inputs under
// 1 TiB, small non-negative ints, bools, None) is packed into the slot as
// kind:5 | enc:3 | len:16 | u:40; any other Val (floats, negative or large
// ints, long strings) is kept whole in a side array and the slot holds its
// index with the tag kSpill. Slot 0 (all bits clear) is an empty entry.
class DenseMemo {
 public:
  size_t size() const { return slots_.size(); }
  void clear() {
    slots_.clear();
    spill_.clear();
  }
  // Grows to `n` slots, the new ones empty.
  void resize(size_t n) { slots_.resize(n, 0); }
  bool occupied(size_t i) const { return slots_[i] != 0; }
  Val get(size_t i) const {
    uint64_t b = slots_[i];
    if ((b & 0x1F) == kSpill) return spill_[b >> 8];
    Val v;
    v.kind = static_cast<Kind>(b & 0x1F);
    v.enc = static_cast<Enc>((b >> 5) & 0x7);
    v.len = static_cast<uint32_t>((b >> 8) & 0xFFFF);
    v.u = b >> 24;
    return v;
  }
  void set(size_t i, const Val& v) {
    auto kind = static_cast<uint64_t>(v.kind);
    auto enc = static_cast<uint64_t>(v.enc);
    if (v.len < (1u << 16) && v.u < (uint64_t{1} << 40) && enc < 8) {
      slots_[i] = kind | (enc << 5) | (uint64_t{v.len} << 8) | (v.u << 24);
    } else {
      slots_[i] = kSpill | (uint64_t{spill_.size()} << 8);
      spill_.push_back(v);
    }
  }

 private:
  static constexpr uint64_t kSpill = 31;
  SegArray<uint64_t> slots_;
  SegArray<Val> spill_;
};
static_assert(static_cast<int>(Kind::kUnknown) < 31);
static_assert(static_cast<int>(Kind::kEmpty) == 0);

constexpr size_t kMaxTupleItems = 64;  // numpy shapes have <= 64 dims
constexpr size_t kMaxListItems = 16;
constexpr size_t kMaxDictPairs = 32;
constexpr size_t kMaxSetItems = 16;
constexpr uint32_t kNoName = UINT32_MAX;
constexpr size_t kMaxNameBytes = 4096;
constexpr size_t kPreviewBytes = 240;
constexpr uint32_t kMaxCallReportsPerName = 3;

// The items of one arena object, stored in the stream's shared value pool
// (no allocation per object). Growth copies the items to the end of the
// pool; the abandoned slots stay until the stream ends (at most doubling).
// References into the pool are invalidated by any growth.
class Items {
 public:
  explicit Items(SegArray<Val>* pool) : pool_(pool) {}
  size_t size() const { return len_; }
  bool empty() const { return len_ == 0; }
  const Val& operator[](size_t i) const { return (*pool_)[begin_ + i]; }
  Val& operator[](size_t i) { return (*pool_)[begin_ + i]; }
  const Val& front() const { return (*this)[0]; }
  [[gnu::always_inline]] void push_back(Val v) {
    if (len_ == cap_) [[unlikely]] Grow(std::max<size_t>(4, 2 * size_t{cap_}));
    (*pool_)[begin_ + len_] = v;
    ++len_;
  }
  // Makes room for `n` more items without intermediate growth.
  void reserve_more(size_t n) {
    if (len_ + n > cap_) Grow(len_ + n);
  }
  template <typename It>
  void assign(It first, It last) {
    size_t n = static_cast<size_t>(last - first);
    begin_ = static_cast<uint32_t>(pool_->size());
    for (It it = first; it != last; ++it) pool_->push_back(*it);
    len_ = cap_ = static_cast<uint32_t>(n);
  }
  Items& operator=(std::initializer_list<Val> vals) {
    assign(vals.begin(), vals.end());
    return *this;
  }
  Items& operator=(const std::vector<Val>& vals) {
    assign(vals.begin(), vals.end());
    return *this;
  }

 private:
  void Grow(size_t cap) {
    auto new_begin = static_cast<uint32_t>(pool_->size());
    pool_->resize(pool_->size() + cap, Val{});
    for (uint32_t i = 0; i < len_; ++i) {
      (*pool_)[new_begin + i] = (*pool_)[begin_ + i];
    }
    begin_ = new_begin;
    cap_ = static_cast<uint32_t>(cap);
  }
  SegArray<Val>* pool_;
  uint32_t begin_ = 0;
  uint32_t len_ = 0;
  uint32_t cap_ = 0;
};

struct Obj {
  explicit Obj(SegArray<Val>* pool) : items(pool) {}
  Kind kind = Kind::kUnknown;
  uint8_t how = 0;        // kCall: creating opcode
  bool has_setstate = false;
  uint32_t name = kNoName;  // kGlobal: index into names_
  uint64_t count = 0;       // containers: items (dict: pairs)
  Items items;              // containers (capped); kCall: callee, args
                            // [, kwargs]; kPersId: pid
};

struct NameInfo {
  ResolvedName resolved;
  Classification cls;
  uint64_t first_offset = 0;
  bool runtime = false;   // operands computed at run time
  bool ext = false;       // EXT1/2/4
  bool malformed = false;  // operands of the wrong type
  bool reported = false;
  uint32_t call_reports = 0;
  uint64_t suppressed_calls = 0;
};

struct StreamResult {
  Kind kind = Kind::kEmpty;
  bool legacy_magic = false;
  int64_t int_value = 0;
  uint64_t count = 0;
};

constexpr std::array<uint8_t, 10> kLegacyMagicLe = {
    0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19};
constexpr std::string_view kLegacyMagicDecimal = "119547037146038801333356";
constexpr int64_t kLegacyProtocol = 1001;

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' ||
                        s.front() == '\r')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' ||
                        s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

// Python int() of a decimal line: optional sign, digits with single
// underscores between them.
bool IsDecimalInt(std::string_view s) {
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) s.remove_prefix(1);
  if (s.empty() || s.front() == '_' || s.back() == '_') return false;
  char prev = 0;
  for (char c : s) {
    if (c == '_') {
      if (prev == '_') return false;
    } else if (c < '0' || c > '9') {
      return false;
    }
    prev = c;
  }
  return true;
}

bool ParseInt64(std::string_view s, int64_t* out) {
  bool neg = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  uint64_t v = 0;
  for (char c : s) {
    if (c == '_') continue;
    uint64_t d = static_cast<uint64_t>(c - '0');
    if (!CheckedMul<uint64_t>(v, 10, &v) || !CheckedAdd<uint64_t>(v, d, &v)) {
      return false;
    }
  }
  if (neg) {
    if (v > static_cast<uint64_t>(INT64_MAX) + 1) return false;
    *out = v == static_cast<uint64_t>(INT64_MAX) + 1
               ? INT64_MIN
               : -static_cast<int64_t>(v);
  } else {
    if (v > static_cast<uint64_t>(INT64_MAX)) return false;
    *out = static_cast<int64_t>(v);
  }
  return true;
}

void AppendUtf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | ((cp >> 18) & 0x07)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decodes a STRING argument body (without quotes) like codecs.escape_decode.
std::string DecodeEscaped(std::string_view s, size_t max) {
  std::string out;
  for (size_t i = 0; i < s.size() && out.size() < max; ++i) {
    char c = s[i];
    if (c != '\\' || i + 1 >= s.size()) {
      out.push_back(c);
      continue;
    }
    char n = s[++i];
    switch (n) {
      case 'n': out.push_back('\n'); break;
      case 't': out.push_back('\t'); break;
      case 'r': out.push_back('\r'); break;
      case 'a': out.push_back('\a'); break;
      case 'b': out.push_back('\b'); break;
      case 'f': out.push_back('\f'); break;
      case 'v': out.push_back('\v'); break;
      case '\n': break;
      case 'x': {
        if (i + 2 < s.size() + 0 && HexDigit(s[i + 1]) >= 0 &&
            i + 2 < s.size() && HexDigit(s[i + 2]) >= 0) {
          out.push_back(static_cast<char>(HexDigit(s[i + 1]) * 16 +
                                          HexDigit(s[i + 2])));
          i += 2;
        } else {
          out.push_back('\\');
          out.push_back('x');
        }
        break;
      }
      default:
        if (n >= '0' && n <= '7') {
          int v = n - '0';
          for (int k = 0; k < 2 && i + 1 < s.size() && s[i + 1] >= '0' &&
                          s[i + 1] <= '7';
               ++k) {
            v = v * 8 + (s[++i] - '0');
          }
          out.push_back(static_cast<char>(v & 0xFF));
        } else {
          out.push_back(n);  // \\ \' \" and unknown escapes
          if (n != '\\' && n != '\'' && n != '"') out.insert(out.size() - 1, 1, '\\');
        }
    }
  }
  return out;
}

// Decodes a UNICODE argument (raw-unicode-escape) into UTF-8.
std::string DecodeRawUnicodeEscape(std::string_view s, size_t max) {
  std::string out;
  for (size_t i = 0; i < s.size() && out.size() < max; ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c == '\\' && i + 1 < s.size() && (s[i + 1] == 'u' || s[i + 1] == 'U')) {
      size_t digits = s[i + 1] == 'u' ? 4 : 8;
      if (i + 1 + digits < s.size()) {
        uint32_t cp = 0;
        bool ok = true;
        for (size_t k = 0; k < digits; ++k) {
          int h = HexDigit(s[i + 2 + k]);
          if (h < 0) {
            ok = false;
            break;
          }
          cp = cp * 16 + static_cast<uint32_t>(h);
        }
        if (ok && cp <= 0x10FFFF) {
          AppendUtf8(out, cp);
          i += 1 + digits;
          continue;
        }
      }
    }
    AppendUtf8(out, c);  // latin-1
  }
  return out;
}

bool LooksLikeEmbeddedPickle(ByteSpan b) {
  return b.size() >= 4 && b[0] == 0x80 && b[1] >= 2 && b[1] <= 5 &&
         b[b.size() - 1] == op::kStop;
}
bool LooksLikeZip(ByteSpan b) {
  return b.size() >= 30 && b[0] == 'P' && b[1] == 'K' && b[2] == 3 &&
         b[3] == 4;
}

bool IsJoblibWrapper(std::string_view full) {
  return full == "joblib.numpy_pickle.NumpyArrayWrapper" ||
         full == "sklearn.externals.joblib.numpy_pickle.NumpyArrayWrapper";
}

// ---------------------------------------------------------------------------

class Machine {
 public:
  Machine(ByteSpan data, ScanContext& ctx, uint64_t* ops, bool joblib_inline,
          uint32_t nesting)
      : data_(data),
        ctx_(ctx),
        limits_(ctx.limits()),
        ops_(ops),
        joblib_inline_(joblib_inline),
        nesting_(nesting) {}

  Status RunAll();
  // Runs one stream starting at `start`; *end receives the offset after its
  // STOP. Reports the stream's pending findings even on error.
  Status RunStream(uint64_t start, uint64_t* end, StreamResult* result);

 private:
  // --- reporting ---
  void Report(std::string_view rule, Severity sev, uint64_t offset,
              std::string message, std::string evidence = {});
  void Malformed4(uint64_t offset, std::string message);
  void ReportCall(const Val& callee, const Val& args, uint64_t offset,
                  std::string_view how);
  void FlushStream();

  // --- values ---
  uint32_t NewObj(Kind kind, uint64_t offset);
  Obj& O(const Val& v) { return arena_[v.u]; }
  Val ObjVal(Kind kind, uint32_t index) {
    return {kind, Enc::kRaw, 0, index};
  }
  std::string StrContent(const Val& v, size_t max) const;
  bool IsStr(const Val& v) const { return v.kind == Kind::kStr; }
  bool IsRuntime(const Val& v) const {
    return v.kind == Kind::kCall || v.kind == Kind::kUnknown ||
           v.kind == Kind::kPersId || v.kind == Kind::kBuffer;
  }
  void AppendPreview(std::string& out, const Val& v, int depth) const;
  std::string Preview(const Val& v) const;
  std::string ArgsPreview(const Val& args) const;
  std::string CalleeName(const Val& callee) const;
  const Val* DictGet(const Obj& dict, std::string_view key) const;

  // --- stack, memo ---
  Status Push(const Val& v);
  Result<Val> Pop();
  Result<Val*> Top();
  Result<size_t> MarkPos();          // index of first item above the mark
  Status PopMark(std::vector<Val>* items);
  Status MemoPut(uint64_t index, const Val& v, uint64_t offset);
  Result<Val> MemoGet(uint64_t index, uint64_t offset);

  // --- opcode helpers ---
  Result<std::string_view> Line(ByteReader& r);
  Status CheckLen(uint64_t declared_len, uint64_t offset);
  Status PushString(ByteReader& r, Kind kind, uint64_t len, uint64_t op_off,
                    bool check_embedded);
  Status MakeGlobal(std::string_view module, std::string_view name,
                    uint64_t offset, Val* out);
  Val MakeSpecialGlobal(std::string label, uint64_t offset, bool runtime,
                        bool ext, bool malformed);
  Status MakeCall(const Val& callee, const Val& args, uint64_t offset,
                  uint8_t how, std::string_view how_name, Val* out);
  Status Build(ByteReader& r, uint64_t op_off);
  Status JoblibArray(ByteReader& r, uint32_t wrapper, uint64_t op_off);
  Status Step(ByteReader& r, uint8_t code, uint64_t op_off, bool* stop);
  bool FastStep(ByteSpan rest, uint8_t code, size_t* consumed);
  void AddItems(uint8_t code, size_t lo, size_t hi);

  ByteSpan data_;
  ScanContext& ctx_;
  const Limits& limits_;
  uint64_t* ops_;
  bool joblib_inline_;
  uint32_t nesting_;
  bool refined_joblib_ = false;
  bool legacy_ = false;  // inside a PyTorch legacy stream sequence

  // Per-stream state.
  int proto_ = 0;
  ValStack stack_;
  std::vector<size_t> marks_;
  DenseMemo memo_dense_;
  std::unordered_map<uint64_t, Val> memo_sparse_;
  uint64_t memo_count_ = 0;
  SegArray<Obj> arena_;
  SegArray<Val> pool_;  // items of arena objects
  // kCall objects: last BUILD state, and a __setstate__ installed by BUILD.
  std::unordered_map<uint32_t, Val> state_;
  std::unordered_map<uint32_t, Val> setstate_;
  std::vector<NameInfo> names_;
  std::unordered_map<std::string, uint32_t> name_cache_;
  bool frame_active_ = false;
  uint64_t frame_end_ = 0;
  bool frame_split_reported_ = false;
};

// ---------------------------------------------------------------------------
// Reporting.

void Machine::Report(std::string_view rule, Severity sev, uint64_t offset,
                     std::string message, std::string evidence) {
  Finding f;
  f.rule_id = std::string(rule);
  f.severity = sev;
  f.offset = offset;
  f.message = std::move(message);
  f.evidence = std::move(evidence);
  ctx_.Report(std::move(f));
}

void Machine::Malformed4(uint64_t offset, std::string message) {
  Report(kRuleMalformed, Severity::kMedium, offset, std::move(message));
}

std::string Machine::CalleeName(const Val& callee) const {
  if (callee.kind == Kind::kGlobal) {
    const Obj& g = arena_[callee.u];
    if (g.name != kNoName) return names_[g.name].resolved.full;
  }
  std::string s;
  AppendPreview(s, callee, 1);
  return s;
}

void Machine::ReportCall(const Val& callee, const Val& args, uint64_t offset,
                         std::string_view how) {
  std::string evidence = CalleeName(callee) + ArgsPreview(args);
  if (evidence.size() > kPreviewBytes + 64) {
    evidence.resize(kPreviewBytes + 64);
    evidence += "...";
  }
  if (callee.kind == Kind::kGlobal) {
    const Obj& g = arena_[callee.u];
    if (g.name == kNoName) return;
    NameInfo& n = names_[g.name];
    if (n.cls.kind == NameClass::kAllowed && !n.runtime && !n.ext &&
        !n.malformed) {
      return;
    }
    if (n.call_reports >= kMaxCallReportsPerName) {
      ++n.suppressed_calls;
      return;
    }
    ++n.call_reports;
    n.reported = true;
    const std::string& full = n.resolved.full;
    if (n.runtime) {
      Report(kRuleRuntimeCallable, Severity::kHigh, offset,
             fmt::format("{} calls a callable imported with names computed at "
                         "load time",
                         how),
             evidence);
    } else if (n.ext) {
      Report(kRuleExtension, Severity::kMedium, offset,
             fmt::format("{} calls {}, a copyreg extension code the default "
                         "registry cannot resolve",
                         how, full),
             evidence);
    } else if (n.malformed) {
      Malformed4(offset, fmt::format("{} calls a global whose name operands "
                                     "are not strings",
                                     how));
    } else if (n.cls.kind == NameClass::kDenied) {
      const PolicyEntry* e = n.cls.entry;
      // A dotted name (`pathlib` + `os.system`) is judged by the real target
      // its attribute path reaches; say which.
      std::string target =
          n.cls.matched.empty() || n.cls.matched == full
              ? std::string()
              : fmt::format(", which resolves to {}",
                            EscapePreview(n.cls.matched, 128));
      Report(kRuleDeniedCallable, e->severity, offset,
             fmt::format("{} calls denied callable {}{} ({}{}{})", how,
                         EscapePreview(full, 128), target, e->category,
                         e->category.empty() ? "" : ": ",
                         e->reason.empty() ? e->name : e->reason),
             evidence);
    } else if (n.cls.kind == NameClass::kDotted) {
      Report(kRuleDottedName, Severity::kHigh, offset,
             fmt::format("{} calls dotted name {} that is not allowlisted "
                         "verbatim",
                         how, EscapePreview(full, 128)),
             evidence);
    } else {
      Report(kRuleUnknownCallable, Severity::kMedium, offset,
             fmt::format("{} calls unknown callable {}", how,
                         EscapePreview(full, 128)),
             evidence);
    }
    return;
  }
  if (IsRuntime(callee)) {
    Report(kRuleRuntimeCallable, Severity::kHigh, offset,
           fmt::format("{} calls a value computed at load time", how),
           evidence);
    return;
  }
  Malformed4(offset, fmt::format("{} calls a value that is not callable: {}",
                                 how, EscapePreview(evidence, 96)));
}

void Machine::FlushStream() {
  std::string allowed;
  size_t allowed_count = 0;
  uint64_t first_allowed = 0;
  for (const NameInfo& n : names_) {
    const std::string& full = n.resolved.full;
    if (n.cls.kind == NameClass::kAllowed && !n.runtime && !n.ext &&
        !n.malformed) {
      if (allowed_count == 0) first_allowed = n.first_offset;
      ++allowed_count;
      if (allowed.size() < 1024) {
        if (!allowed.empty()) allowed += ", ";
        allowed += EscapePreview(full, 96);
      }
      continue;
    }
    if (n.suppressed_calls > 0) {
      Report(n.cls.kind == NameClass::kDenied ? kRuleDeniedCallable
                                              : kRuleUnknownCallable,
             n.cls.kind == NameClass::kDenied ? n.cls.entry->severity
                                              : Severity::kMedium,
             n.first_offset,
             fmt::format("{} further calls of {} not listed",
                         n.suppressed_calls, EscapePreview(full, 128)));
    }
    if (n.reported) continue;
    std::string what = EscapePreview(full, 128);
    if (n.runtime) {
      Report(kRuleRuntimeCallable, Severity::kHigh, n.first_offset,
             "imports a global whose module or name is computed at load time",
             full);
    } else if (n.ext) {
      Report(kRuleExtension, Severity::kMedium, n.first_offset,
             fmt::format("imports {} through the copyreg extension registry, "
                         "which is empty by default",
                         what),
             full);
    } else if (n.malformed) {
      Malformed4(n.first_offset,
                 "STACK_GLOBAL operands are not strings (the loader fails)");
    } else if (n.cls.kind == NameClass::kDenied) {
      const PolicyEntry* e = n.cls.entry;
      Report(kRuleDeniedCallable, e->severity, n.first_offset,
             fmt::format("imports denied global {} ({}{}{})", what,
                         e->category, e->category.empty() ? "" : ": ",
                         e->reason.empty() ? e->name : e->reason),
             full);
    } else if (n.cls.kind == NameClass::kDotted) {
      Report(kRuleDottedName, Severity::kHigh, n.first_offset,
             fmt::format("imports dotted name {} that is not allowlisted "
                         "verbatim",
                         what),
             full);
    } else {
      Report(kRuleUnknownCallable, Severity::kMedium, n.first_offset,
             fmt::format("imports unknown global {}", what), full);
    }
  }
  if (allowed_count > 0) {
    Report(kRuleImports, Severity::kInfo, first_allowed,
           fmt::format("stream imports {} allowlisted global{}",
                       allowed_count, allowed_count == 1 ? "" : "s"),
           allowed);
  }
}

// ---------------------------------------------------------------------------
// Values.

uint32_t Machine::NewObj(Kind kind, uint64_t /*offset*/) {
  Obj o(&pool_);
  o.kind = kind;
  arena_.push_back(o);
  return static_cast<uint32_t>(arena_.size() - 1);
}

std::string Machine::StrContent(const Val& v, size_t max) const {
  ByteSpan raw = data_.subspan(v.u, v.len);
  std::string_view s = AsChars(raw);
  switch (v.enc) {
    case Enc::kQuoted:
      if (s.size() >= 2) s = s.substr(1, s.size() - 2);
      return DecodeEscaped(s, max);
    case Enc::kRawUnicodeEscape:
      return DecodeRawUnicodeEscape(s, max);
    default:
      return std::string(s.substr(0, std::min(s.size(), max)));
  }
}

void Machine::AppendPreview(std::string& out, const Val& v, int depth) const {
  if (out.size() > kPreviewBytes) return;
  switch (v.kind) {
    case Kind::kEmpty:
    case Kind::kUnknown:
      out += "<unknown>";
      return;
    case Kind::kNone:
      out += "None";
      return;
    case Kind::kBool:
      out += v.u != 0 ? "True" : "False";
      return;
    case Kind::kInt:
      out += std::to_string(IntOf(v));
      return;
    case Kind::kBigInt: {
      ByteSpan raw = data_.subspan(v.u, v.len);
      if (v.enc == Enc::kDecimal) {
        out += EscapePreview(AsChars(raw), 40);
      } else {
        out += "0x";
        for (size_t i = raw.size(); i > 0 && raw.size() - i < 16; --i) {
          out += fmt::format("{:02x}", raw[i - 1]);
        }
        if (raw.size() > 16) out += "...";
      }
      return;
    }
    case Kind::kFloat: {
      double d = 0;
      std::memcpy(&d, &v.u, sizeof d);
      out += fmt::format("{}", d);
      return;
    }
    case Kind::kStr:
      out += "'";
      out += EscapePreview(StrContent(v, 65), 64);
      out += "'";
      return;
    case Kind::kBytes:
      out += "b'";
      out += EscapePreview(StrContent(v, 33), 32);
      out += "'";
      return;
    case Kind::kBuffer:
      out += "<buffer>";
      return;
    default:
      break;
  }
  const Obj& o = arena_[v.u];
  if (depth >= 3) {
    out += "...";
    return;
  }
  auto items = [&](std::string_view open, std::string_view close,
                   bool pairs) {
    out += open;
    size_t n = o.items.size();
    for (size_t i = 0; i < n; ++i) {
      if (out.size() > kPreviewBytes) {
        out += "...";
        break;
      }
      if (i > 0) out += pairs && i % 2 == 1 ? ": " : ", ";
      AppendPreview(out, o.items[i], depth + 1);
    }
    uint64_t total = pairs ? o.count * 2 : o.count;
    if (total > n && out.size() <= kPreviewBytes) {
      out += fmt::format(", ...{} more", total - n);
    }
    if (v.kind == Kind::kTuple && o.count == 1) out += ",";
    out += close;
  };
  switch (v.kind) {
    case Kind::kTuple: items("(", ")", false); return;
    case Kind::kList: items("[", "]", false); return;
    case Kind::kDict: items("{", "}", true); return;
    case Kind::kSet: items("{", "}", false); return;
    case Kind::kFrozenSet: items("frozenset({", "})", false); return;
    case Kind::kGlobal:
      out += o.name != kNoName ? EscapePreview(names_[o.name].resolved.full, 96)
                               : "<global>";
      return;
    case Kind::kCall:
      if (!o.items.empty()) AppendPreview(out, o.items[0], depth + 1);
      if (o.items.size() > 1) out += ArgsPreview(o.items[1]);
      return;
    case Kind::kPersId:
      out += "persistent_load(";
      if (!o.items.empty()) AppendPreview(out, o.items[0], depth + 1);
      out += ")";
      return;
    default:
      out += "<?>";
  }
}

std::string Machine::Preview(const Val& v) const {
  std::string s;
  AppendPreview(s, v, 0);
  return s;
}

std::string Machine::ArgsPreview(const Val& args) const {
  if (args.kind == Kind::kTuple) {
    std::string s = Preview(args);
    // "(x,)" -> "(x)"
    if (s.size() >= 3 && s[s.size() - 2] == ',' && s.back() == ')') {
      s.erase(s.size() - 2, 1);
    }
    return s;
  }
  return "(*" + Preview(args) + ")";
}

const Val* Machine::DictGet(const Obj& dict, std::string_view key) const {
  for (size_t i = 0; i + 1 < dict.items.size(); i += 2) {
    const Val& k = dict.items[i];
    if (k.kind == Kind::kStr && k.len == key.size() &&
        StrContent(k, key.size() + 1) == key) {
      return &dict.items[i + 1];
    }
  }
  return nullptr;
}

// ---------------------------------------------------------------------------
// Stack and memo.

Status Machine::Push(const Val& v) {
  if (stack_.size() >= limits_.max_stack_items) {
    return LimitExceeded("pickle: {}",
                         LimitMessage("max_stack_items", limits_.max_stack_items));
  }
  stack_.push_back(v);
  return Status::Ok();
}

Result<Val> Machine::Pop() {
  size_t fence = marks_.empty() ? 0 : marks_.back();
  if (stack_.size() <= fence) {
    return Status(ErrorCode::kMalformed, "stack underflow");
  }
  Val v = stack_.back();
  stack_.pop_back();
  return v;
}

Result<Val*> Machine::Top() {
  size_t fence = marks_.empty() ? 0 : marks_.back();
  if (stack_.size() <= fence) {
    return Status(ErrorCode::kMalformed, "stack underflow");
  }
  return &stack_.back();
}

Result<size_t> Machine::MarkPos() {
  if (marks_.empty()) return Status(ErrorCode::kMalformed, "could not find MARK");
  return marks_.back();
}

Status Machine::PopMark(std::vector<Val>* items) {
  MATS_ASSIGN_OR_RETURN(size_t pos, MarkPos());
  if (items != nullptr) {
    items->assign(stack_.begin() + static_cast<std::ptrdiff_t>(pos),
                  stack_.end());
  }
  stack_.resize(pos);
  marks_.pop_back();
  return Status::Ok();
}

Status Machine::MemoPut(uint64_t index, const Val& v, uint64_t /*offset*/) {
  bool fresh = false;
  if (index < memo_dense_.size()) {
    fresh = !memo_dense_.occupied(index);
    memo_dense_.set(index, v);
  } else if (index < 2 * memo_count_ + 4096) {
    memo_dense_.resize(index + 1);
    memo_dense_.set(index, v);
    fresh = true;
    if (auto it = memo_sparse_.find(index); it != memo_sparse_.end()) {
      memo_sparse_.erase(it);
      fresh = false;
    }
  } else {
    fresh = memo_sparse_.insert_or_assign(index, v).second;
  }
  if (fresh) {
    if (memo_count_ >= limits_.max_memo_entries) {
      return LimitExceeded("pickle: {}", LimitMessage("max_memo_entries",
                                                      limits_.max_memo_entries));
    }
    ++memo_count_;
  }
  return Status::Ok();
}

Result<Val> Machine::MemoGet(uint64_t index, uint64_t offset) {
  if (index < memo_dense_.size() && memo_dense_.occupied(index)) {
    return memo_dense_.get(index);
  }
  if (auto it = memo_sparse_.find(index); it != memo_sparse_.end()) {
    return it->second;
  }
  Malformed4(offset, fmt::format("memo GET of index {} that was never stored "
                                 "(the loader fails here; scanners that "
                                 "model the memo differently are confused)",
                                 index));
  return Val{Kind::kUnknown};
}

// ---------------------------------------------------------------------------
// Opcode helpers.

Status Machine::CheckLen(uint64_t declared_len, uint64_t offset) {
  if (declared_len > limits_.max_string_bytes) {
    return LimitExceededAt(offset, "pickle: {}",
                           LimitMessage("max_string_bytes",
                                        limits_.max_string_bytes));
  }
  return Status::Ok();
}

Result<std::string_view> Machine::Line(ByteReader& r) {
  uint64_t at = r.offset();
  auto line = r.ReadLine(limits_.max_string_bytes);
  if (!line.ok()) {
    if (line.status().code() == ErrorCode::kLimitExceeded) {
      return LimitExceededAt(at, "pickle: {}",
                             LimitMessage("max_string_bytes",
                                          limits_.max_string_bytes));
    }
    return Status(ErrorCode::kMalformed, "line argument has no newline before "
                                         "the end of the data", at);
  }
  return line;
}

Status Machine::PushString(ByteReader& r, Kind kind, uint64_t len,
                           uint64_t op_off, bool check_embedded) {
  MATS_RETURN_IF_ERROR(CheckLen(len, op_off));
  uint64_t at = r.position();
  MATS_ASSIGN_OR_RETURN(ByteSpan bytes, r.ReadBytes(len));
  if (check_embedded && (LooksLikeEmbeddedPickle(bytes) || LooksLikeZip(bytes))) {
    bool zip = LooksLikeZip(bytes);
    Report(kRuleEmbedded, Severity::kLow, op_off,
           fmt::format("bytes value of {} bytes holds an embedded {}",
                       bytes.size(), zip ? "zip archive" : "pickle stream"),
           HexEncode(bytes.first(std::min<size_t>(bytes.size(), 16))));
    ctx_.ScanNested(bytes, fmt::format("bytes@{}", at),
                    zip ? std::string_view{} : std::string_view("pickle"))
        .IgnoreError();
  }
  return Push(MakeSpan(kind, Enc::kRaw, at, len));
}

Val Machine::MakeSpecialGlobal(std::string label, uint64_t offset,
                               bool runtime, bool ext, bool malformed) {
  NameInfo n;
  n.resolved.full = std::move(label);
  n.first_offset = offset;
  n.runtime = runtime;
  n.ext = ext;
  n.malformed = malformed;
  names_.push_back(std::move(n));
  uint32_t g = NewObj(Kind::kGlobal, offset);
  arena_[g].name = static_cast<uint32_t>(names_.size() - 1);
  return ObjVal(Kind::kGlobal, g);
}

Status Machine::MakeGlobal(std::string_view module, std::string_view name,
                           uint64_t offset, Val* out) {
  std::string key;
  key.reserve(module.size() + name.size() + 3);
  key.append(module).push_back('\0');
  key.append(name).push_back('\0');
  key.push_back(proto_ < 3 ? '2' : '3');
  uint32_t index;
  if (auto it = name_cache_.find(key); it != name_cache_.end()) {
    index = it->second;
  } else {
    NameInfo n;
    n.resolved = ResolveName(module.substr(0, kMaxNameBytes),
                             name.substr(0, kMaxNameBytes), proto_);
    n.cls = ClassifyName(ctx_.policy(), n.resolved);
    n.first_offset = offset;
    names_.push_back(std::move(n));
    index = static_cast<uint32_t>(names_.size() - 1);
    name_cache_.emplace(std::move(key), index);
    if (!refined_joblib_ && joblib_inline_ &&
        IsJoblibWrapper(names_[index].resolved.full)) {
      refined_joblib_ = true;
      ctx_.RefineFormat("joblib");
    }
  }
  uint32_t g = NewObj(Kind::kGlobal, offset);
  arena_[g].name = index;
  *out = ObjVal(Kind::kGlobal, g);
  return Status::Ok();
}

Status Machine::MakeCall(const Val& callee_in, const Val& args,
                         uint64_t offset, uint8_t how,
                         std::string_view how_name, Val* out) {
  Val callee = callee_in;
  // PyTorch legacy persistent ids ('module', <class>, source_file, source)
  // resolve to the class itself (torch.serialization._legacy_load).
  if (legacy_ && callee.kind == Kind::kPersId && !O(callee).items.empty() &&
      O(callee).items[0].kind == Kind::kTuple) {
    const Obj& pid = O(O(callee).items[0]);
    if (pid.items.size() >= 2 && pid.items[0].kind == Kind::kStr &&
        StrContent(pid.items[0], 8) == "module" &&
        pid.items[1].kind == Kind::kGlobal) {
      callee = pid.items[1];
    }
  }
  ReportCall(callee, args, offset, how_name);
  uint32_t c = NewObj(Kind::kCall, offset);
  arena_[c].how = how;
  arena_[c].items = {callee, args};
  *out = ObjVal(Kind::kCall, c);
  return Status::Ok();
}

Status Machine::Build(ByteReader& r, uint64_t op_off) {
  MATS_ASSIGN_OR_RETURN(Val state, Pop());
  MATS_ASSIGN_OR_RETURN(Val * inst_ptr, Top());
  Val inst = *inst_ptr;
  if (inst.kind != Kind::kCall) {
    if (inst.kind == Kind::kGlobal || IsRuntime(inst)) {
      // BUILD on a class or function object sets attributes on it (or calls
      // its __setstate__): the global itself is reported at the stream end.
      return Status::Ok();
    }
    return Status::Ok();
  }
  uint32_t idx = static_cast<uint32_t>(inst.u);
  // A previous BUILD installed an instance attribute __setstate__: this BUILD
  // calls it with `state` (the "BUILD twice" gadget).
  if (arena_[idx].has_setstate) {
    Val setstate = setstate_[idx];
    uint32_t t = NewObj(Kind::kTuple, op_off);
    arena_[t].items = {state};
    arena_[t].count = 1;
    ReportCall(setstate, ObjVal(Kind::kTuple, t), op_off,
               "BUILD (__setstate__ installed by an earlier BUILD)");
  }
  state_[idx] = state;
  const Val* state_dict = nullptr;
  Val dict_val{};
  if (state.kind == Kind::kDict) {
    dict_val = state;
  } else if (state.kind == Kind::kTuple && arena_[state.u].items.size() == 2 &&
             arena_[state.u].items[0].kind == Kind::kDict) {
    dict_val = arena_[state.u].items[0];
  }
  if (dict_val.kind == Kind::kDict) {
    const Obj& d = arena_[dict_val.u];
    state_dict = DictGet(d, "__setstate__");
    if (state_dict != nullptr) {
      arena_[idx].has_setstate = true;
      setstate_[idx] = *state_dict;
    }
  }
  // joblib: a NumpyArrayWrapper is followed by its array bytes.
  const Obj& call = arena_[idx];
  if (joblib_inline_ && !call.items.empty() &&
      call.items[0].kind == Kind::kGlobal) {
    const Obj& g = arena_[call.items[0].u];
    if (g.name != kNoName && IsJoblibWrapper(names_[g.name].resolved.full)) {
      return JoblibArray(r, idx, op_off);
    }
  }
  return Status::Ok();
}

// Decodes a numpy dtype symbolic value into (itemsize, hasobject).
struct DtypeInfo {
  uint64_t itemsize = 0;
  bool hasobject = false;
  bool known = false;
};

Status Machine::JoblibArray(ByteReader& r, uint32_t wrapper, uint64_t op_off) {
  auto fail = [&](std::string_view why) {
    return UnsupportedAt(op_off,
                         "joblib: cannot determine the inline array size of "
                         "the NumpyArrayWrapper at offset {}: {}",
                         op_off, why);
  };
  Val state = state_.count(wrapper) != 0 ? state_[wrapper] : Val{Kind::kEmpty};
  if (state.kind != Kind::kDict) return fail("state is not a dict");
  const Obj& d = arena_[state.u];
  const Val* shape = DictGet(d, "shape");
  const Val* dtype = DictGet(d, "dtype");
  const Val* align = DictGet(d, "numpy_array_alignment_bytes");
  if (shape == nullptr || dtype == nullptr) return fail("no shape or dtype");
  // Element count.
  uint64_t count = 1;
  if (shape->kind != Kind::kTuple) return fail("shape is not a tuple");
  const Obj& st = arena_[shape->u];
  if (st.items.size() != st.count) return fail("shape has too many dims");
  for (size_t i = 0; i < st.items.size(); ++i) {
    const Val& dim = st.items[i];
    if (dim.kind != Kind::kInt || IntOf(dim) < 0) {
      return fail("shape holds a value that is not a non-negative int");
    }
    if (!CheckedMul<uint64_t>(count, static_cast<uint64_t>(IntOf(dim)),
                              &count)) {
      return Malformed(op_off, "joblib: array element count overflows");
    }
  }
  // dtype: numpy.dtype(descr, align, copy) + BUILD state
  // (version, byteorder, subarray, names, fields, elsize, alignment, flags).
  DtypeInfo dt;
  if (dtype->kind == Kind::kCall) {
    const Obj& c = arena_[dtype->u];
    if (c.items.size() >= 2 && c.items[1].kind == Kind::kTuple &&
        !arena_[c.items[1].u].items.empty() &&
        arena_[c.items[1].u].items[0].kind == Kind::kStr) {
      std::string descr = StrContent(arena_[c.items[1].u].items[0], 64);
      if (!descr.empty() && (descr[0] == '|' || descr[0] == '<' ||
                             descr[0] == '>' || descr[0] == '=')) {
        descr.erase(0, 1);
      }
      if (!descr.empty()) {
        char k = descr[0];
        std::string_view digits = std::string_view(descr).substr(1);
        int64_t n = 0;
        bool has_digits = !digits.empty() && IsDecimalInt(digits) &&
                          digits[0] != '+' && digits[0] != '-' &&
                          ParseInt64(digits, &n) && n >= 0;
        if (k == 'O') {
          dt.hasobject = true;
          dt.itemsize = 8;
          dt.known = true;
        } else if (has_digits) {
          dt.itemsize = static_cast<uint64_t>(n);
          if (k == 'U') {
            if (!CheckedMul<uint64_t>(dt.itemsize, 4, &dt.itemsize)) {
              return fail("dtype size overflows");
            }
          }
          dt.known = true;
        }
      }
    }
    auto cs = state_.find(static_cast<uint32_t>(dtype->u));
    if (cs != state_.end() && cs->second.kind == Kind::kTuple) {
      const Obj& s = arena_[cs->second.u];
      if (s.items.size() >= 8) {
        const Val& elsize = s.items[5];
        const Val& flags = s.items[7];
        if (elsize.kind == Kind::kInt && IntOf(elsize) > 0) {
          dt.itemsize = static_cast<uint64_t>(IntOf(elsize));
          dt.known = true;
        }
        if (flags.kind == Kind::kInt && (IntOf(flags) & 1) != 0) {
          dt.hasobject = true;
        }
      }
    }
  }
  if (!dt.known) return fail("dtype is not a literal numpy.dtype");
  if (frame_active_ && r.position() != frame_end_) {
    Malformed4(op_off,
               "joblib array data starts inside a pickle frame (joblib reads "
               "it after the frame)");
    return Malformed(op_off, "joblib: array data inside a frame");
  }
  frame_active_ = false;
  if (dt.hasobject) {
    // The inline data is a complete nested pickle (numpy object array).
    Machine nested(data_, ctx_, ops_, /*joblib_inline=*/false, nesting_ + 1);
    uint64_t end = 0;
    StreamResult sr;
    MATS_RETURN_IF_ERROR(nested.RunStream(r.position(), &end, &sr));
    MATS_RETURN_IF_ERROR(r.Seek(end));
  } else {
    if (align != nullptr && align->kind != Kind::kNone) {
      uint64_t pad_at = r.offset();
      MATS_ASSIGN_OR_RETURN(uint8_t pad, r.ReadU8());
      MATS_ASSIGN_OR_RETURN(ByteSpan padding, r.ReadBytes(pad));
      for (uint8_t b : padding) {
        if (b != 0xFF) {
          Malformed4(pad_at, "joblib alignment padding is not 0xFF bytes");
          break;
        }
      }
    }
    uint64_t nbytes = 0;
    if (!CheckedMul<uint64_t>(count, dt.itemsize, &nbytes)) {
      return Malformed(op_off, "joblib: array byte size overflows");
    }
    if (nbytes > r.remaining()) {
      return Malformed(r.offset(),
                       "joblib: inline array of {} bytes at offset {} runs "
                       "past the end of the data ({} bytes left)",
                       nbytes, r.offset(), r.remaining());
    }
    MATS_RETURN_IF_ERROR(r.Skip(nbytes));
  }
  // The loader replaces the wrapper by the array.
  uint32_t arr = NewObj(Kind::kCall, op_off);
  arena_[arr].items = arena_[wrapper].items;
  stack_.back() = ObjVal(Kind::kCall, arr);
  return Status::Ok();
}

// APPEND(S), SETITEM(S), ADDITEMS with the items at stack_[lo, hi) and the
// target at stack_[lo - 1] (the caller checked both); drops the items.
void Machine::AddItems(uint8_t code, size_t lo, size_t hi) {
  size_t n_items = hi - lo;
  const Val target = stack_[lo - 1];
  bool is_dict_op = code == op::kSetItem || code == op::kSetItems;
  Kind want = is_dict_op ? Kind::kDict
              : code == op::kAddItems ? Kind::kSet
                                      : Kind::kList;
  if (target.kind == want) {
    Obj& o = arena_[target.u];
    size_t cap = want == Kind::kDict   ? 2 * kMaxDictPairs
                 : want == Kind::kSet ? kMaxSetItems
                                      : kMaxListItems;
    size_t take = std::min(n_items, cap - std::min(cap, o.items.size()));
    o.items.reserve_more(take);
    for (size_t i = 0; i < take; ++i) o.items.push_back(stack_[lo + i]);
    o.count += is_dict_op ? n_items / 2 : n_items;
  }
  // Otherwise the loader calls the target's append/extend/__setitem__/add;
  // the target's class was reported where it was created.
  stack_.resize(lo);
}

// ---------------------------------------------------------------------------
// One opcode.

Status Machine::Step(ByteReader& r, uint8_t code, uint64_t op_off,
                     bool* stop) {
  switch (code) {
    case op::kMark:
      if (marks_.size() >= limits_.max_depth) {
        return LimitExceededAt(op_off, "pickle: {}",
                               LimitMessage("max_depth", limits_.max_depth));
      }
      marks_.push_back(stack_.size());
      return Status::Ok();
    case op::kStop: {
      MATS_ASSIGN_OR_RETURN(Val v, Pop());
      stack_.push_back(v);
      *stop = true;
      return Status::Ok();
    }
    case op::kPop: {
      if (!marks_.empty() && marks_.back() == stack_.size()) {
        marks_.pop_back();
        return Status::Ok();
      }
      MATS_ASSIGN_OR_RETURN(Val v, Pop());
      (void)v;
      return Status::Ok();
    }
    case op::kPopMark:
      return PopMark(nullptr);
    case op::kDup: {
      MATS_ASSIGN_OR_RETURN(Val * v, Top());
      Val copy = *v;
      return Push(copy);
    }
    case op::kFloat: {
      MATS_ASSIGN_OR_RETURN(std::string_view line, Line(r));
      std::string s(Trim(line));
      char* end = nullptr;
      double d = std::strtod(s.c_str(), &end);
      if (s.empty() || end != s.c_str() + s.size()) {
        return Malformed(op_off, "pickle: FLOAT at offset {}: not a float: {}",
                         op_off, EscapePreview(line, 32));
      }
      Val v{Kind::kFloat};
      std::memcpy(&v.u, &d, sizeof d);
      return Push(v);
    }
    case op::kInt:
    case op::kLong: {
      uint64_t at = r.position();
      MATS_ASSIGN_OR_RETURN(std::string_view line, Line(r));
      std::string_view t = Trim(line);
      if (code == op::kInt && (t == "00" || t == "01")) {
        return Push({Kind::kBool, Enc::kRaw, 0, t == "01" ? 1u : 0u});
      }
      if (code == op::kLong && !t.empty() && t.back() == 'L') {
        t.remove_suffix(1);
      }
      if (!IsDecimalInt(t)) {
        return Malformed(op_off, "pickle: {} at offset {}: not an integer: {}",
                         OpName(code), op_off, EscapePreview(line, 32));
      }
      int64_t v = 0;
      if (ParseInt64(t, &v)) return Push(MakeInt(v));
      uint64_t start = at + static_cast<uint64_t>(t.data() - line.data());
      return Push(MakeSpan(Kind::kBigInt, Enc::kDecimal, start, t.size()));
    }
    case op::kBinInt: {
      MATS_ASSIGN_OR_RETURN(int32_t v, r.ReadI32Le());
      return Push(MakeInt(v));
    }
    case op::kBinInt1: {
      MATS_ASSIGN_OR_RETURN(uint8_t v, r.ReadU8());
      return Push(MakeInt(v));
    }
    case op::kBinInt2: {
      MATS_ASSIGN_OR_RETURN(uint16_t v, r.ReadU16Le());
      return Push(MakeInt(v));
    }
    case op::kLong1:
    case op::kLong4: {
      uint64_t n = 0;
      if (code == op::kLong1) {
        MATS_ASSIGN_OR_RETURN(uint8_t v, r.ReadU8());
        n = v;
      } else {
        MATS_ASSIGN_OR_RETURN(int32_t declared_len, r.ReadI32Le());
        if (declared_len < 0) {
          return Malformed(op_off, "pickle: LONG4 at offset {}: negative byte "
                                   "count {}", op_off, declared_len);
        }
        n = static_cast<uint64_t>(declared_len);
        MATS_RETURN_IF_ERROR(CheckLen(n, op_off));
      }
      uint64_t at = r.position();
      MATS_ASSIGN_OR_RETURN(ByteSpan b, r.ReadBytes(n));
      if (n <= 8) {
        uint64_t u = 0;
        for (size_t i = 0; i < n; ++i) u |= static_cast<uint64_t>(b[i]) << (8 * i);
        if (n > 0 && n < 8 && (b[n - 1] & 0x80) != 0) {
          u |= ~uint64_t{0} << (8 * n);  // sign-extend
        }
        return Push(MakeInt(static_cast<int64_t>(u)));
      }
      return Push(MakeSpan(Kind::kBigInt, Enc::kLongLe, at, n));
    }
    case op::kNone:
      return Push({Kind::kNone});
    case op::kNewTrue:
      return Push({Kind::kBool, Enc::kRaw, 0, 1});
    case op::kNewFalse:
      return Push({Kind::kBool, Enc::kRaw, 0, 0});
    case op::kBinFloat: {
      MATS_ASSIGN_OR_RETURN(double d, r.ReadF64Be());
      Val v{Kind::kFloat};
      std::memcpy(&v.u, &d, sizeof d);
      return Push(v);
    }
    case op::kString: {
      uint64_t at = r.position();
      MATS_ASSIGN_OR_RETURN(std::string_view line, Line(r));
      if (line.size() < 2 || line.front() != line.back() ||
          (line.front() != '\'' && line.front() != '"')) {
        return Malformed(op_off, "pickle: STRING at offset {}: the argument "
                                 "must be quoted", op_off);
      }
      return Push(MakeSpan(Kind::kStr, Enc::kQuoted, at, line.size()));
    }
    case op::kUnicode: {
      uint64_t at = r.position();
      MATS_ASSIGN_OR_RETURN(std::string_view line, Line(r));
      return Push(MakeSpan(Kind::kStr, Enc::kRawUnicodeEscape, at, line.size()));
    }
    case op::kBinString: {
      MATS_ASSIGN_OR_RETURN(int32_t declared_len, r.ReadI32Le());
      if (declared_len < 0) {
        return Malformed(op_off, "pickle: BINSTRING at offset {}: negative "
                                 "length {}", op_off, declared_len);
      }
      return PushString(r, Kind::kStr, static_cast<uint64_t>(declared_len),
                        op_off, true);
    }
    case op::kShortBinString: {
      MATS_ASSIGN_OR_RETURN(uint8_t n, r.ReadU8());
      return PushString(r, Kind::kStr, n, op_off, false);
    }
    case op::kBinUnicode: {
      MATS_ASSIGN_OR_RETURN(uint32_t declared_len, r.ReadU32Le());
      return PushString(r, Kind::kStr, declared_len, op_off, false);
    }
    case op::kShortBinUnicode: {
      MATS_ASSIGN_OR_RETURN(uint8_t n, r.ReadU8());
      return PushString(r, Kind::kStr, n, op_off, false);
    }
    case op::kBinUnicode8: {
      MATS_ASSIGN_OR_RETURN(uint64_t declared_len, r.ReadU64Le());
      return PushString(r, Kind::kStr, declared_len, op_off, false);
    }
    case op::kBinBytes: {
      MATS_ASSIGN_OR_RETURN(uint32_t declared_len, r.ReadU32Le());
      return PushString(r, Kind::kBytes, declared_len, op_off, true);
    }
    case op::kShortBinBytes: {
      MATS_ASSIGN_OR_RETURN(uint8_t n, r.ReadU8());
      return PushString(r, Kind::kBytes, n, op_off, true);
    }
    case op::kBinBytes8:
    case op::kByteArray8: {
      MATS_ASSIGN_OR_RETURN(uint64_t declared_len, r.ReadU64Le());
      return PushString(r, Kind::kBytes, declared_len, op_off, true);
    }
    case op::kEmptyTuple: {
      uint32_t t = NewObj(Kind::kTuple, op_off);
      return Push(ObjVal(Kind::kTuple, t));
    }
    case op::kTuple1:
    case op::kTuple2:
    case op::kTuple3: {
      size_t n = static_cast<size_t>(code - op::kTuple1) + 1;
      size_t fence = marks_.empty() ? 0 : marks_.back();
      if (stack_.size() < fence + n) {
        return Status(ErrorCode::kMalformed, "stack underflow");
      }
      uint32_t t = NewObj(Kind::kTuple, op_off);
      arena_[t].items.assign(stack_.end() - static_cast<std::ptrdiff_t>(n),
                             stack_.end());
      arena_[t].count = n;
      stack_.resize(stack_.size() - n);
      return Push(ObjVal(Kind::kTuple, t));
    }
    case op::kTuple:
    case op::kList:
    case op::kFrozenSet:
    case op::kDict: {
      MATS_ASSIGN_OR_RETURN(size_t pos, MarkPos());
      size_t n = stack_.size() - pos;
      Kind k = code == op::kTuple    ? Kind::kTuple
               : code == op::kList   ? Kind::kList
               : code == op::kDict   ? Kind::kDict
                                     : Kind::kFrozenSet;
      if (k == Kind::kDict && n % 2 != 0) {
        return Malformed(op_off, "pickle: DICT at offset {}: odd number of "
                                 "items ({})", op_off, n);
      }
      size_t cap = k == Kind::kTuple  ? kMaxTupleItems
                   : k == Kind::kDict ? 2 * kMaxDictPairs
                   : k == Kind::kList ? kMaxListItems
                                      : kMaxSetItems;
      uint32_t t = NewObj(k, op_off);
      auto first = stack_.begin() + static_cast<std::ptrdiff_t>(pos);
      arena_[t].items.assign(first,
                             first + static_cast<std::ptrdiff_t>(std::min(n, cap)));
      arena_[t].count = k == Kind::kDict ? n / 2 : n;
      stack_.resize(pos);
      marks_.pop_back();
      return Push(ObjVal(k, t));
    }
    case op::kEmptyList: {
      uint32_t t = NewObj(Kind::kList, op_off);
      return Push(ObjVal(Kind::kList, t));
    }
    case op::kEmptyDict: {
      uint32_t t = NewObj(Kind::kDict, op_off);
      return Push(ObjVal(Kind::kDict, t));
    }
    case op::kEmptySet: {
      uint32_t t = NewObj(Kind::kSet, op_off);
      return Push(ObjVal(Kind::kSet, t));
    }
    case op::kAppend:
    case op::kAppends:
    case op::kAddItems:
    case op::kSetItem:
    case op::kSetItems: {
      // The items are stack_[lo, hi); they are read in place (no copy) and
      // dropped from the stack at the end.
      size_t hi = stack_.size();
      size_t lo = 0;
      if (code == op::kAppend || code == op::kSetItem) {
        size_t n = code == op::kAppend ? 1 : 2;
        size_t fence = marks_.empty() ? 0 : marks_.back();
        if (hi < fence + n + 1) {
          return Status(ErrorCode::kMalformed, "stack underflow");
        }
        lo = hi - n;
      } else {
        MATS_ASSIGN_OR_RETURN(lo, MarkPos());
        marks_.pop_back();
        if (code == op::kSetItems && (hi - lo) % 2 != 0) {
          stack_.resize(lo);
          return Malformed(op_off, "pickle: SETITEMS at offset {}: odd number "
                                   "of items ({})", op_off, hi - lo);
        }
      }
      size_t n_items = hi - lo;
      size_t fence = marks_.empty() ? 0 : marks_.back();
      if (lo <= fence) {
        stack_.resize(lo);
        return Status(ErrorCode::kMalformed, "stack underflow");
      }
      (void)n_items;
      AddItems(code, lo, hi);
      return Status::Ok();
    }
    case op::kGet:
    case op::kBinGet:
    case op::kLongBinGet: {
      uint64_t index = 0;
      if (code == op::kGet) {
        MATS_ASSIGN_OR_RETURN(std::string_view line, Line(r));
        std::string_view t = Trim(line);
        int64_t v = 0;
        if (!IsDecimalInt(t) || !ParseInt64(t, &v) || v < 0) {
          return Malformed(op_off, "pickle: GET at offset {}: bad memo index "
                                   "{}", op_off, EscapePreview(line, 32));
        }
        index = static_cast<uint64_t>(v);
      } else if (code == op::kBinGet) {
        MATS_ASSIGN_OR_RETURN(uint8_t v, r.ReadU8());
        index = v;
      } else {
        MATS_ASSIGN_OR_RETURN(uint32_t v, r.ReadU32Le());
        index = v;
      }
      MATS_ASSIGN_OR_RETURN(Val v, MemoGet(index, op_off));
      return Push(v);
    }
    case op::kPut:
    case op::kBinPut:
    case op::kLongBinPut:
    case op::kMemoize: {
      uint64_t index = 0;
      if (code == op::kPut) {
        MATS_ASSIGN_OR_RETURN(std::string_view line, Line(r));
        std::string_view t = Trim(line);
        int64_t v = 0;
        if (!IsDecimalInt(t) || !ParseInt64(t, &v) || v < 0) {
          return Malformed(op_off, "pickle: PUT at offset {}: bad memo index "
                                   "{}", op_off, EscapePreview(line, 32));
        }
        index = static_cast<uint64_t>(v);
      } else if (code == op::kBinPut) {
        MATS_ASSIGN_OR_RETURN(uint8_t v, r.ReadU8());
        index = v;
      } else if (code == op::kLongBinPut) {
        MATS_ASSIGN_OR_RETURN(uint32_t v, r.ReadU32Le());
        index = v;
      } else {
        index = memo_count_;
      }
      MATS_ASSIGN_OR_RETURN(Val * top, Top());
      return MemoPut(index, *top, op_off);
    }
    case op::kGlobal:
    case op::kInst: {
      MATS_ASSIGN_OR_RETURN(std::string_view module, Line(r));
      MATS_ASSIGN_OR_RETURN(std::string_view name, Line(r));
      Val g;
      MATS_RETURN_IF_ERROR(MakeGlobal(module, name, op_off, &g));
      if (code == op::kGlobal) return Push(g);
      std::vector<Val> args;
      MATS_RETURN_IF_ERROR(PopMark(&args));
      uint32_t t = NewObj(Kind::kTuple, op_off);
      arena_[t].count = args.size();
      if (args.size() > kMaxTupleItems) args.resize(kMaxTupleItems);
      arena_[t].items = std::move(args);
      Val out;
      MATS_RETURN_IF_ERROR(
          MakeCall(g, ObjVal(Kind::kTuple, t), op_off, code, "INST", &out));
      return Push(out);
    }
    case op::kStackGlobal: {
      MATS_ASSIGN_OR_RETURN(Val name, Pop());
      MATS_ASSIGN_OR_RETURN(Val module, Pop());
      if (IsStr(name) && IsStr(module)) {
        std::string m = StrContent(module, kMaxNameBytes);
        std::string n = StrContent(name, kMaxNameBytes);
        Val g;
        MATS_RETURN_IF_ERROR(MakeGlobal(m, n, op_off, &g));
        return Push(g);
      }
      bool runtime = IsRuntime(name) || IsRuntime(module);
      std::string label = "<" + Preview(module) + ">.<" + Preview(name) + ">";
      return Push(MakeSpecialGlobal(std::move(label), op_off, runtime, false,
                                    !runtime));
    }
    case op::kExt1:
    case op::kExt2:
    case op::kExt4: {
      int64_t ext = 0;
      if (code == op::kExt1) {
        MATS_ASSIGN_OR_RETURN(uint8_t v, r.ReadU8());
        ext = v;
      } else if (code == op::kExt2) {
        MATS_ASSIGN_OR_RETURN(uint16_t v, r.ReadU16Le());
        ext = v;
      } else {
        MATS_ASSIGN_OR_RETURN(int32_t v, r.ReadI32Le());
        ext = v;
      }
      return Push(MakeSpecialGlobal(fmt::format("<copyreg extension {}>", ext),
                                    op_off, false, true, false));
    }
    case op::kReduce: {
      MATS_ASSIGN_OR_RETURN(Val args, Pop());
      MATS_ASSIGN_OR_RETURN(Val callee, Pop());
      Val out;
      MATS_RETURN_IF_ERROR(MakeCall(callee, args, op_off, code, "REDUCE", &out));
      return Push(out);
    }
    case op::kNewObj: {
      MATS_ASSIGN_OR_RETURN(Val args, Pop());
      MATS_ASSIGN_OR_RETURN(Val cls, Pop());
      Val out;
      MATS_RETURN_IF_ERROR(MakeCall(cls, args, op_off, code, "NEWOBJ", &out));
      return Push(out);
    }
    case op::kNewObjEx: {
      MATS_ASSIGN_OR_RETURN(Val kwargs, Pop());
      MATS_ASSIGN_OR_RETURN(Val args, Pop());
      MATS_ASSIGN_OR_RETURN(Val cls, Pop());
      Val out;
      MATS_RETURN_IF_ERROR(MakeCall(cls, args, op_off, code, "NEWOBJ_EX", &out));
      arena_[out.u].items.push_back(kwargs);
      return Push(out);
    }
    case op::kObj: {
      std::vector<Val> items;
      MATS_RETURN_IF_ERROR(PopMark(&items));
      if (items.empty()) {
        return Malformed(op_off, "pickle: OBJ at offset {}: no class after "
                                 "MARK", op_off);
      }
      Val cls = items.front();
      uint32_t t = NewObj(Kind::kTuple, op_off);
      arena_[t].count = items.size() - 1;
      arena_[t].items.assign(
          items.begin() + 1,
          items.begin() + 1 +
              static_cast<std::ptrdiff_t>(std::min(items.size() - 1, kMaxTupleItems)));
      Val out;
      MATS_RETURN_IF_ERROR(
          MakeCall(cls, ObjVal(Kind::kTuple, t), op_off, code, "OBJ", &out));
      return Push(out);
    }
    case op::kBuild:
      return Build(r, op_off);
    case op::kPersId:
    case op::kBinPersId: {
      Val pid;
      if (code == op::kPersId) {
        uint64_t at = r.position();
        MATS_ASSIGN_OR_RETURN(std::string_view line, Line(r));
        pid = MakeSpan(Kind::kStr, Enc::kRaw, at, line.size());
      } else {
        MATS_ASSIGN_OR_RETURN(pid, Pop());
      }
      uint32_t p = NewObj(Kind::kPersId, op_off);
      arena_[p].items = {pid};
      return Push(ObjVal(Kind::kPersId, p));
    }
    case op::kNextBuffer:
      return Push({Kind::kBuffer});
    case op::kReadOnlyBuffer: {
      MATS_ASSIGN_OR_RETURN(Val * v, Top());
      (void)v;
      return Status::Ok();
    }
    case op::kProto: {
      MATS_ASSIGN_OR_RETURN(uint8_t v, r.ReadU8());
      if (v > 5) {
        return Malformed(op_off, "pickle: PROTO at offset {}: unsupported "
                                 "protocol {}", op_off, v);
      }
      proto_ = v;
      return Status::Ok();
    }
    case op::kFrame: {
      MATS_ASSIGN_OR_RETURN(uint64_t declared_len, r.ReadU64Le());
      if (frame_active_ && op_off < frame_end_) {
        Malformed4(op_off, "FRAME starts before the end of the current frame");
      }
      if (declared_len > r.remaining()) {
        Malformed4(op_off, fmt::format("FRAME declares {} bytes but only {} "
                                       "remain",
                                       declared_len, r.remaining()));
        frame_active_ = false;
        return Status::Ok();
      }
      frame_active_ = true;
      frame_end_ = r.position() + declared_len;
      frame_split_reported_ = false;
      return Status::Ok();
    }
    default:
      return Malformed(op_off, "pickle: unknown opcode 0x{:02x} at offset {}",
                       code, op_off);
  }
}

// ---------------------------------------------------------------------------

bool Machine::FastStep(ByteSpan rest, uint8_t code, size_t* consumed) {
  if (stack_.size() + 1 >= limits_.max_stack_items) return false;
  size_t fence = marks_.empty() ? 0 : marks_.back();
  switch (code) {
    case op::kMark:
      if (marks_.size() >= limits_.max_depth) return false;
      marks_.push_back(stack_.size());
      return true;
    case op::kAppends:
    case op::kSetItems: {
      // The common case only: a MARK, an even count for SETITEMS, a target
      // below the MARK and above the next one.
      if (marks_.empty()) return false;
      size_t lo = marks_.back();
      size_t hi = stack_.size();
      if (code == op::kSetItems && (hi - lo) % 2 != 0) return false;
      size_t outer = marks_.size() >= 2 ? marks_[marks_.size() - 2] : 0;
      if (lo <= outer) return false;
      marks_.pop_back();
      AddItems(code, lo, hi);
      return true;
    }
    case op::kMemoize: {
      if (stack_.size() <= fence || memo_count_ >= limits_.max_memo_entries ||
          memo_count_ >= memo_dense_.size() + 4096 || !memo_sparse_.empty()) {
        return false;
      }
      if (memo_count_ >= memo_dense_.size()) {
        memo_dense_.resize(memo_count_ + 1);
      }
      if (memo_dense_.occupied(memo_count_)) return false;
      memo_dense_.set(memo_count_, stack_.back());
      ++memo_count_;
      return true;
    }
    case op::kBinGet: {
      if (rest.empty()) return false;
      uint8_t i = rest[0];
      if (i >= memo_dense_.size() || !memo_dense_.occupied(i)) {
        return false;
      }
      stack_.push_back(memo_dense_.get(i));
      *consumed = 1;
      return true;
    }
    case op::kBinInt1:
      if (rest.empty()) return false;
      stack_.push_back(MakeInt(rest[0]));
      *consumed = 1;
      return true;
    case op::kBinInt2:
      if (rest.size() < 2) return false;
      stack_.push_back(MakeInt(LoadU16Le(rest)));
      *consumed = 2;
      return true;
    case op::kBinInt:
      if (rest.size() < 4) return false;
      stack_.push_back(MakeInt(static_cast<int32_t>(LoadU32Le(rest))));
      *consumed = 4;
      return true;
    case op::kBinFloat: {
      if (rest.size() < 8) return false;
      uint64_t bits = 0;
      for (size_t i = 0; i < 8; ++i) bits = (bits << 8) | rest[i];
      stack_.push_back(Val{Kind::kFloat, Enc::kRaw, 0, bits});
      *consumed = 8;
      return true;
    }
    case op::kShortBinUnicode: {
      if (rest.empty() || rest[0] >= rest.size() ||
          rest[0] > limits_.max_string_bytes) {
        return false;
      }
      uint64_t at = static_cast<uint64_t>(data_.size() - rest.size()) + 1;
      stack_.push_back(MakeSpan(Kind::kStr, Enc::kRaw, at, rest[0]));
      *consumed = 1 + size_t{rest[0]};
      return true;
    }
    case op::kTuple1:
    case op::kTuple2:
    case op::kTuple3: {
      size_t n = static_cast<size_t>(code - op::kTuple1) + 1;
      if (stack_.size() < fence + n) return false;
      uint32_t t = NewObj(Kind::kTuple, 0);
      arena_[t].items.assign(stack_.end() - static_cast<std::ptrdiff_t>(n),
                             stack_.end());
      arena_[t].count = n;
      stack_.resize(stack_.size() - n);
      stack_.push_back(ObjVal(Kind::kTuple, t));
      return true;
    }
    case op::kEmptyList:
    case op::kEmptyDict:
    case op::kEmptyTuple: {
      Kind k = code == op::kEmptyList   ? Kind::kList
               : code == op::kEmptyDict ? Kind::kDict
                                        : Kind::kTuple;
      stack_.push_back(ObjVal(k, NewObj(k, 0)));
      return true;
    }
    case op::kNone:
      stack_.push_back(Val{Kind::kNone});
      return true;
    case op::kNewTrue:
    case op::kNewFalse:
      stack_.push_back(Val{Kind::kBool, Enc::kRaw, 0, code == op::kNewTrue ? 1u : 0u});
      return true;
    default:
      return false;
  }
}

Status Machine::RunStream(uint64_t start, uint64_t* end, StreamResult* result) {
  proto_ = 0;
  stack_.clear();
  marks_.clear();
  memo_dense_.clear();
  memo_sparse_.clear();
  memo_count_ = 0;
  arena_.clear();
  pool_.clear();
  state_.clear();
  setstate_.clear();
  names_.clear();
  name_cache_.clear();
  frame_active_ = false;
  frame_split_reported_ = false;

  ByteReader r(data_);
  Status status = r.Seek(start);
  const uint8_t* base = data_.data();
  const uint64_t size = data_.size();
  uint64_t pos = start;  // the cursor; `r` is synced only for Step()
  bool stop = false;
  while (status.ok() && !stop) {
    uint64_t op_off = pos;
    if (frame_active_ && op_off >= frame_end_) frame_active_ = false;
    if (*ops_ >= limits_.max_pickle_ops) {
      status = LimitExceededAt(op_off, "pickle: {}",
                               LimitMessage("max_pickle_ops",
                                            limits_.max_pickle_ops));
      break;
    }
    ++*ops_;
    if (pos >= size) {
      status = Malformed(op_off, "pickle: stream starting at offset {} ends "
                                 "at offset {} without STOP", start, op_off);
      break;
    }
    uint8_t code = base[pos];
    // Fast path for the opcodes that dominate dense pickles, on the raw
    // bytes; anything unusual (limits, truncation, missing memo entries)
    // falls through to Step(), which reports it.
    size_t consumed = 0;
    if (FastStep(ByteSpan(base + pos + 1, size - pos - 1), code, &consumed)) {
      pos += 1 + consumed;
    } else {
      status = r.Seek(pos + 1);
      if (status.ok()) status = Step(r, code, op_off, &stop);
      pos = r.position();
    }
    if (!status.ok()) {
      if (status.message().rfind("pickle", 0) != 0 &&
          status.message().rfind("joblib", 0) != 0) {
        status = Status(status.code(),
                        fmt::format("pickle: {} at offset {}: {}",
                                    OpName(code), op_off, status.message()),
                        status.offset().value_or(op_off));
      }
      break;
    }
    if (frame_active_ && op_off < frame_end_ && pos > frame_end_ &&
        !frame_split_reported_) {
      frame_split_reported_ = true;
      Malformed4(op_off, fmt::format("opcode {} crosses the end of its frame at "
                                     "offset {} (the Python unpickler rejects "
                                     "it, the C unpickler reads on)",
                                     OpName(code), frame_end_));
    }
  }
  if (stop) {
    *end = pos;
    const Val& v = stack_.back();
    result->kind = v.kind;
    if (v.kind == Kind::kInt) result->int_value = IntOf(v);
    if (v.kind == Kind::kBigInt) {
      ByteSpan raw = data_.subspan(v.u, v.len);
      if (v.enc == Enc::kLongLe) {
        result->legacy_magic =
            raw.size() == kLegacyMagicLe.size() &&
            std::equal(raw.begin(), raw.end(), kLegacyMagicLe.begin());
      } else {
        result->legacy_magic = AsChars(raw) == kLegacyMagicDecimal;
      }
    }
    if (IsObjKind(v.kind)) result->count = arena_[v.u].count;
  }
  FlushStream();
  return status;
}

Status Machine::RunAll() {
  if (data_.empty()) return Malformed(0, "pickle: empty input");
  uint64_t pos = 0;
  int stream = 0;
  bool legacy_candidate = false;
  bool legacy = false;
  while (pos < data_.size()) {
    StreamResult sr;
    uint64_t end = pos;
    Status s = RunStream(pos, &end, &sr);
    if (!s.ok()) {
      if (stream > 0 && !legacy) {
        s = s.WithContext(fmt::format("pickle stream {} (after {} complete)",
                                      stream + 1, stream));
      }
      return s;
    }
    pos = end;
    if (stream == 0) {
      legacy_candidate = sr.legacy_magic || sr.kind == Kind::kCall;
    } else if (stream == 1 && legacy_candidate && sr.kind == Kind::kInt &&
               sr.int_value == kLegacyProtocol) {
      legacy = true;
      legacy_ = true;
      ctx_.RefineFormat("pytorch-legacy");
    } else if (legacy && stream == 4) {
      if (sr.kind != Kind::kList) {
        Malformed4(pos, "PyTorch legacy stream: the fifth pickle is not the "
                        "list of storage keys");
      }
      // Raw storage data follows; torch reads it without unpickling.
      return Status::Ok();
    }
    ++stream;
  }
  return Status::Ok();
}

}  // namespace

Status RunPickleMachine(ByteSpan data, ScanContext& ctx) {
  uint64_t ops = 0;
  Machine m(data, ctx, &ops, /*joblib_inline=*/true, 0);
  return m.RunAll();
}

// ---------------------------------------------------------------------------
// Tokenizer for the sniffer.

namespace {

bool IdentifierLine(std::string_view s) {
  if (s.empty() || s.size() > 256) return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

TokenScan TokenizePickle(ByteSpan data, uint64_t max_bytes) {
  TokenScan t;
  ByteReader r(data.first(std::min<uint64_t>(data.size(), max_bytes)));
  auto skip = [&](uint64_t n) { return r.Skip(n).ok(); };
  auto line = [&]() -> std::optional<std::string_view> {
    auto l = r.ReadLine(4096);
    if (!l.ok()) return std::nullopt;
    return *l;
  };
  while (!r.empty()) {
    uint64_t off = r.position();
    uint8_t code = *r.ReadU8();
    bool ok = true;
    switch (code) {
      case op::kStop:
        t.reached_stop = true;
        t.stop_offset = off;
        ++t.ops;
        t.valid_start = true;
        return t;
      case op::kMark: case op::kPop: case op::kPopMark: case op::kDup:
      case op::kNone: case op::kBinPersId: case op::kReduce: case op::kAppend:
      case op::kBuild: case op::kDict: case op::kEmptyDict: case op::kAppends:
      case op::kList: case op::kEmptyList: case op::kObj: case op::kSetItem:
      case op::kTuple: case op::kEmptyTuple: case op::kSetItems:
      case op::kNewObj: case op::kTuple1: case op::kTuple2: case op::kTuple3:
      case op::kNewTrue: case op::kNewFalse: case op::kEmptySet:
      case op::kAddItems: case op::kFrozenSet: case op::kNewObjEx:
      case op::kStackGlobal: case op::kMemoize: case op::kNextBuffer:
      case op::kReadOnlyBuffer:
        break;
      case op::kFloat: case op::kInt: case op::kLong: case op::kPersId:
      case op::kString: case op::kUnicode: case op::kGet: case op::kPut: {
        auto l = line();
        ok = l.has_value();
        if (ok && code != op::kUnicode && code != op::kPersId) {
          for (char c : *l) {
            if (static_cast<unsigned char>(c) < 0x20 && c != '\r') ok = false;
          }
        }
        break;
      }
      case op::kGlobal: case op::kInst: {
        auto m = line();
        auto n = m ? line() : std::nullopt;
        ok = m && n;
        if (ok && IdentifierLine(*m) && IdentifierLine(*n)) t.saw_global = true;
        break;
      }
      case op::kBinInt: case op::kExt4: ok = skip(4); break;
      case op::kBinInt1: case op::kBinGet: case op::kBinPut: case op::kExt1:
      case op::kProto:
        ok = skip(1);
        break;
      case op::kBinInt2: case op::kExt2: ok = skip(2); break;
      case op::kLongBinGet: case op::kLongBinPut: ok = skip(4); break;
      case op::kBinFloat: ok = skip(8); break;
      case op::kFrame: ok = skip(8); break;
      case op::kLong1: case op::kShortBinString: case op::kShortBinBytes:
      case op::kShortBinUnicode: {
        auto n = r.ReadU8();
        ok = n.ok() && skip(*n);
        break;
      }
      case op::kLong4: case op::kBinString: {
        auto n = r.ReadI32Le();
        ok = n.ok() && *n >= 0 && skip(static_cast<uint64_t>(*n));
        break;
      }
      case op::kBinUnicode: case op::kBinBytes: {
        auto n = r.ReadU32Le();
        ok = n.ok() && skip(*n);
        break;
      }
      case op::kBinUnicode8: case op::kBinBytes8: case op::kByteArray8: {
        auto n = r.ReadU64Le();
        ok = n.ok() && skip(*n);
        break;
      }
      default:
        ok = false;
    }
    if (!ok) return t;
    if (t.saw_global && (code == op::kReduce || code == op::kObj ||
                         code == op::kNewObj || code == op::kBuild ||
                         code == op::kInst)) {
      t.saw_call_after_global = true;
    }
    ++t.ops;
    t.valid_start = true;
  }
  return t;
}

}  // namespace mats::pickle::internal
