#include "mats/keras/marshal.h"

#include <algorithm>
#include <array>
#include <set>

#include "mats/core/byte_reader.h"
#include "mats/core/encoding.h"

namespace mats::keras {
namespace {

constexpr uint8_t kFlagRef = 0x80;
constexpr size_t kMaxConstantPreview = 256;

// What a string found at some position of a code object is.
enum class Role : uint8_t {
  kOther,
  kConsts,
  kNames,
  kName,       // co_name
  kCodeBytes,  // co_code: must be a bytes object
};

// What type a code-object field must have; it tells the layouts apart (a
// 3.11 stream cut short would otherwise parse as a 3.0-3.7 one).
enum class Expect : uint8_t { kAny, kTuple, kBytes };

// One field of a code object: a raw int32 or a marshalled object.
struct Field {
  bool is_int;
  Role role;
  Expect expect;
};

struct Layout {
  std::string_view name;
  std::span<const Field> fields;
};

constexpr Field kI{true, Role::kOther, Expect::kAny};
constexpr Field kCoCode{false, Role::kCodeBytes, Expect::kBytes};
constexpr Field kConsts{false, Role::kConsts, Expect::kTuple};
constexpr Field kNames{false, Role::kNames, Expect::kTuple};
constexpr Field kTuple{false, Role::kOther, Expect::kTuple};
constexpr Field kBytesField{false, Role::kOther, Expect::kBytes};
constexpr Field kObj{false, Role::kOther, Expect::kAny};
constexpr Field kCoName{false, Role::kName, Expect::kAny};

// CPython 3.11+: argcount, posonlyargcount, kwonlyargcount, stacksize, flags,
// code, consts, names, localsplusnames, localspluskinds, filename, name,
// qualname, firstlineno, linetable, exceptiontable.
constexpr Field kLayout311[] = {kI,     kI,      kI,     kI,         kI,
                                kCoCode, kConsts, kNames, kTuple,     kBytesField,
                                kObj,   kCoName, kObj,   kI,         kBytesField,
                                kBytesField};
// CPython 3.8-3.10: argcount, posonlyargcount, kwonlyargcount, nlocals,
// stacksize, flags, code, consts, names, varnames, freevars, cellvars,
// filename, name, firstlineno, lnotab.
constexpr Field kLayout38[] = {kI,      kI,      kI,     kI,     kI,
                               kI,      kCoCode, kConsts, kNames, kTuple,
                               kTuple,  kTuple,  kObj,   kCoName, kI,
                               kBytesField};
// CPython 3.0-3.7: as 3.8 without posonlyargcount.
constexpr Field kLayout30[] = {kI,     kI,      kI,     kI,      kI,
                               kCoCode, kConsts, kNames, kTuple,  kTuple,
                               kTuple, kObj,    kCoName, kI,     kBytesField};

constexpr Layout kLayouts[] = {
    {"3.11+", kLayout311},
    {"3.8-3.10", kLayout38},
    {"3.0-3.7", kLayout30},
};

struct RefEntry {
  bool is_string = false;
  std::string_view text;
};

struct Frame {
  enum class Kind : uint8_t { kRoot, kSeq, kDict, kCode };
  Kind kind = Kind::kRoot;
  Role role = Role::kOther;
  uint64_t remaining = 0;  // kRoot, kSeq: children still to read
  size_t field = 0;        // kCode: next field
  bool dict_value = false; // kDict: next child is a value
};

class Parser {
 public:
  Parser(ByteSpan data, const Limits& limits, const Layout& layout)
      : r_(data), limits_(limits), layout_(layout) {}

  Result<CodeSummary> Run() {
    summary_.layout = std::string(layout_.name);
    // The top-level object must be a code object.
    MATS_ASSIGN_OR_RETURN(uint8_t first, r_.PeekU8());
    if ((first & ~kFlagRef) != 'c') {
      return Malformed(0, "marshal: top-level object is type {:#04x}, want a "
                          "code object ('c')",
                       first);
    }
    stack_.push_back(Frame{Frame::Kind::kRoot, Role::kOther, 1, 0, false});
    while (!stack_.empty()) {
      Frame& f = stack_.back();
      Role role = Role::kOther;
      Expect expect = Expect::kAny;
      switch (f.kind) {
        case Frame::Kind::kRoot:
        case Frame::Kind::kSeq:
          if (f.remaining == 0) {
            stack_.pop_back();
            continue;
          }
          --f.remaining;
          role = f.role;
          break;
        case Frame::Kind::kDict: {
          MATS_ASSIGN_OR_RETURN(uint8_t t, r_.PeekU8());
          if (!f.dict_value && t == '0') {
            MATS_RETURN_IF_ERROR(r_.Skip(1));
            stack_.pop_back();
            continue;
          }
          f.dict_value = !f.dict_value;
          role = Role::kOther;
          break;
        }
        case Frame::Kind::kCode: {
          bool pushed_or_done = false;
          while (f.field < layout_.fields.size() && layout_.fields[f.field].is_int) {
            MATS_RETURN_IF_ERROR(r_.Skip(4));
            ++f.field;
          }
          if (f.field == layout_.fields.size()) {
            stack_.pop_back();
            pushed_or_done = true;
          } else {
            role = layout_.fields[f.field].role;
            expect = layout_.fields[f.field].expect;
            ++f.field;
          }
          if (pushed_or_done) continue;
          break;
        }
      }
      MATS_RETURN_IF_ERROR(ReadObject(role, expect));
    }
    MATS_RETURN_IF_ERROR(r_.ExpectEnd());
    return std::move(summary_);
  }

 private:
  Status CountObject() {
    if (++objects_ > limits_.max_entries) {
      return LimitExceededAt(r_.offset(), "marshal: {}",
                             LimitMessage("max_entries", limits_.max_entries));
    }
    return Status::Ok();
  }

  Status Push(Frame f) {
    if (stack_.size() >= limits_.max_depth) {
      return LimitExceededAt(r_.offset(), "marshal: {}",
                             LimitMessage("max_depth", limits_.max_depth));
    }
    stack_.push_back(f);
    return Status::Ok();
  }

  // Reserves a slot in the reference table for a flagged object.
  Result<size_t> Reserve(bool flagged) {
    if (!flagged) return static_cast<size_t>(-1);
    refs_.emplace_back();
    return refs_.size() - 1;
  }

  Result<uint64_t> ReadCount() {
    uint64_t at = r_.offset();
    MATS_ASSIGN_OR_RETURN(int32_t declared_count, r_.ReadI32Le());
    if (declared_count < 0) {
      return Malformed(at, "marshal: negative count {}", declared_count);
    }
    auto count = static_cast<uint64_t>(declared_count);
    // Every element takes at least one byte.
    if (count > r_.remaining()) {
      return Malformed(at, "marshal: count {} exceeds the {} remaining bytes",
                       count, r_.remaining());
    }
    return count;
  }

  void Record(Role role, std::string_view text, bool is_bytes) {
    switch (role) {
      case Role::kNames:
        if (!is_bytes) AddUnique(summary_.names, names_seen_, text);
        break;
      case Role::kName:
        if (!is_bytes) summary_.code_names.emplace_back(text);
        break;
      case Role::kConsts:
        AddUnique(summary_.string_constants, consts_seen_,
                  text.substr(0, std::min(text.size(), kMaxConstantPreview)));
        break;
      default:
        break;
    }
  }

  static void AddUnique(std::vector<std::string>& out,
                        std::set<std::string, std::less<>>& seen,
                        std::string_view text) {
    if (seen.insert(std::string(text)).second) out.emplace_back(text);
  }

  Status ReadString(uint64_t len, uint64_t at, uint8_t type, Role role,
                    size_t ref) {
    if (len > limits_.max_string_bytes) {
      return LimitExceededAt(at, "marshal: string of {} bytes: {}", len,
                             LimitMessage("max_string_bytes",
                                          limits_.max_string_bytes));
    }
    MATS_ASSIGN_OR_RETURN(std::string_view text, r_.ReadChars(len));
    bool is_bytes = type == 's';
    if (role == Role::kCodeBytes) {
      if (!is_bytes) {
        return Malformed(at, "marshal: co_code is type {:#04x}, want bytes",
                         type);
      }
    } else {
      Record(role, text, is_bytes);
    }
    if (ref != static_cast<size_t>(-1)) refs_[ref] = {true, text};
    return Status::Ok();
  }

  Status ReadObject(Role role, Expect expect) {
    uint64_t at = r_.offset();
    MATS_RETURN_IF_ERROR(CountObject());
    MATS_ASSIGN_OR_RETURN(uint8_t code, r_.ReadU8());
    bool flagged = (code & kFlagRef) != 0;
    auto type = static_cast<uint8_t>(code & ~kFlagRef);
    if (role == Role::kCodeBytes && type != 's') {
      return Malformed(at, "marshal: co_code is type {:#04x}, want bytes", type);
    }
    if (expect == Expect::kTuple && type != '(' && type != ')' && type != 'r') {
      return Malformed(at, "marshal: code-object field is type {:#04x}, want "
                           "a tuple", type);
    }
    if (expect == Expect::kBytes && type != 's' && type != 'r') {
      return Malformed(at, "marshal: code-object field is type {:#04x}, want "
                           "bytes", type);
    }
    MATS_ASSIGN_OR_RETURN(size_t ref, Reserve(flagged));
    switch (type) {
      case 'N': case 'F': case 'T': case 'S': case '.':
        return Status::Ok();
      case '0':
        return Malformed(at, "marshal: unexpected NULL object");
      case 'i':
        return r_.Skip(4);
      case 'I':
        return r_.Skip(8);
      case 'g':
        return r_.Skip(8);
      case 'y':
        return r_.Skip(16);
      case 'f': {
        MATS_ASSIGN_OR_RETURN(uint8_t n, r_.ReadU8());
        return r_.Skip(n);
      }
      case 'x': {
        for (int i = 0; i < 2; ++i) {
          MATS_ASSIGN_OR_RETURN(uint8_t n, r_.ReadU8());
          MATS_RETURN_IF_ERROR(r_.Skip(n));
        }
        return Status::Ok();
      }
      case 'l': {
        MATS_ASSIGN_OR_RETURN(int32_t declared_digits, r_.ReadI32Le());
        // INT32_MIN has no absolute value in int32: widen first.
        int64_t wide = declared_digits;
        uint64_t digits = static_cast<uint64_t>(wide < 0 ? -wide : wide);
        if (digits > r_.remaining() / 2) {
          return Malformed(at, "marshal: long with {} digits exceeds the input",
                           digits);
        }
        return r_.Skip(digits * 2);
      }
      case 's': case 'u': case 't': case 'a': case 'A': {
        MATS_ASSIGN_OR_RETURN(uint64_t len, ReadCount());
        return ReadString(len, at, type, role, ref);
      }
      case 'z': case 'Z': {
        MATS_ASSIGN_OR_RETURN(uint8_t len, r_.ReadU8());
        return ReadString(len, at, type, role, ref);
      }
      case 'r': {
        MATS_ASSIGN_OR_RETURN(uint32_t index, r_.ReadU32Le());
        if (index >= refs_.size()) {
          return Malformed(at, "marshal: reference {} to one of {} objects",
                           index, refs_.size());
        }
        if (refs_[index].is_string) Record(role, refs_[index].text, false);
        return Status::Ok();
      }
      case '(': case '[': case '<': case '>': {
        MATS_ASSIGN_OR_RETURN(uint64_t n, ReadCount());
        return Push(Frame{Frame::Kind::kSeq, role, n, 0, false});
      }
      case ')': {
        MATS_ASSIGN_OR_RETURN(uint8_t n, r_.ReadU8());
        return Push(Frame{Frame::Kind::kSeq, role, n, 0, false});
      }
      case ':':  // slice (3.14+): start, stop, step
        return Push(Frame{Frame::Kind::kSeq, Role::kOther, 3, 0, false});
      case '{':
        return Push(Frame{Frame::Kind::kDict, Role::kOther, 0, 0, false});
      case 'c':
        ++summary_.code_objects;
        return Push(Frame{Frame::Kind::kCode, Role::kOther, 0, 0, false});
      default:
        return Malformed(at, "marshal: unknown type code {:#04x}", type);
    }
  }

  ByteReader r_;
  const Limits& limits_;
  const Layout& layout_;
  std::vector<Frame> stack_;
  std::vector<RefEntry> refs_;
  uint64_t objects_ = 0;
  CodeSummary summary_;
  std::set<std::string, std::less<>> names_seen_;
  std::set<std::string, std::less<>> consts_seen_;
};

constexpr std::string_view kDangerous[] = {
    "os", "posix", "nt", "subprocess", "system", "popen", "spawnl", "spawnv",
    "execl", "execv", "execve", "execvp", "exec", "eval", "compile",
    "__import__", "import_module", "importlib", "builtins", "__builtins__",
    "getattr", "globals", "open", "socket", "connect", "urlopen", "urllib",
    "requests", "pty", "shutil", "rmtree", "remove", "unlink", "marshal",
    "pickle", "loads", "runpy", "ctypes", "sys", "Popen", "check_output",
    "check_call", "b64decode", "setattr", "delattr",
};

}  // namespace

Result<CodeSummary> SummarizeMarshalCode(ByteSpan data, const Limits& limits) {
  Status first_error;
  std::string_view best;
  for (const Layout& layout : kLayouts) {
    Parser p(data, limits, layout);
    Result<CodeSummary> r = p.Run();
    if (r.ok()) return r;
    // A limit is a property of the input, not of the layout guess.
    if (r.status().code() == ErrorCode::kLimitExceeded) return r.status();
    // Keep the error of the layout that got furthest: it is the likely one.
    if (first_error.ok() ||
        r.status().offset().value_or(0) > first_error.offset().value_or(0)) {
      first_error = r.status();
      best = layout.name;
    }
  }
  return Status(first_error.code(),
                fmt::format("no CPython code-object layout fits; {} layout: {}",
                            best, first_error.message()),
                first_error.offset());
}

std::vector<std::string> DangerousNames(const CodeSummary& s) {
  std::vector<std::string> out;
  auto dangerous = [](std::string_view n) {
    return std::find(std::begin(kDangerous), std::end(kDangerous), n) !=
           std::end(kDangerous);
  };
  for (const std::string& n : s.names) {
    if (dangerous(n)) out.push_back(n);
  }
  for (const std::string& c : s.string_constants) {
    if (dangerous(c) && std::find(out.begin(), out.end(), c) == out.end()) {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace mats::keras
