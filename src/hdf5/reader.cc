// Bounded HDF5 reader. Spec: https://docs.hdfgroup.org/hdf5/develop/_f_m_t3.html
#include <algorithm>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "mats/core/byte_reader.h"
#include "mats/core/checked_math.h"
#include "mats/core/encoding.h"
#include "mats/hdf5/hdf5.h"

namespace mats::hdf5 {
namespace {

constexpr uint8_t kSignature[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};

// Message types.
constexpr uint16_t kMsgNil = 0x0000;
constexpr uint16_t kMsgLinkInfo = 0x0002;
constexpr uint16_t kMsgLink = 0x0006;
constexpr uint16_t kMsgExternalFiles = 0x0007;
constexpr uint16_t kMsgLayout = 0x0008;
constexpr uint16_t kMsgAttribute = 0x000C;
constexpr uint16_t kMsgContinuation = 0x0010;
constexpr uint16_t kMsgSymbolTable = 0x0011;
constexpr uint16_t kMsgAttributeInfo = 0x0015;

// Root attributes whose string values are decoded.
constexpr std::string_view kRootStringAttrs[] = {
    "model_config", "keras_version", "backend", "training_config"};

struct Message {
  uint16_t type = 0;
  uint8_t flags = 0;
  ByteSpan data;
  uint64_t offset = 0;  // absolute offset of the message data
};

struct WalkItem {
  uint64_t address;  // relative to base
  std::string path;
  uint32_t depth;
};

class Reader {
 public:
  Reader(ByteSpan data, const Limits& limits, FileSummary* out)
      : data_(data), limits_(limits), out_(out) {}

  Status Run() {
    int64_t sig = FindSignature(data_);
    if (sig < 0) return Malformed(0, "hdf5: no signature at 0, 512, 1024, ...");
    base_ = static_cast<uint64_t>(sig);
    out_->signature_offset = base_;
    for (uint64_t i = 0; i < base_; ++i) {
      if (data_[i] != 0) {
        out_->user_block_nonzero = true;
        break;
      }
    }
    uint64_t root = 0;
    MATS_RETURN_IF_ERROR(ReadSuperblock(&root));
    return Walk(root);
  }

 private:
  // ---- primitive reads -------------------------------------------------
  Result<uint64_t> ReadSized(ByteReader& r, uint8_t size) {
    switch (size) {
      case 1: {
        MATS_ASSIGN_OR_RETURN(uint8_t v, r.ReadU8());
        return uint64_t{v};
      }
      case 2: {
        MATS_ASSIGN_OR_RETURN(uint16_t v, r.ReadU16Le());
        return uint64_t{v};
      }
      case 4: {
        MATS_ASSIGN_OR_RETURN(uint32_t v, r.ReadU32Le());
        return uint64_t{v};
      }
      case 8:
        return r.ReadU64Le();
      default:
        return Internal("hdf5: field size {}", size);
    }
  }
  Result<uint64_t> ReadOffset(ByteReader& r) { return ReadSized(r, size_off_); }
  Result<uint64_t> ReadLength(ByteReader& r) { return ReadSized(r, size_len_); }

  bool Undefined(uint64_t addr) const {
    return size_off_ == 8 ? addr == ~uint64_t{0}
                          : addr == (uint64_t{1} << (8 * size_off_)) - 1;
  }

  // A reader over [addr, addr+len) (addr relative to the base address).
  Result<ByteReader> At(uint64_t addr, uint64_t len, std::string_view what) {
    uint64_t abs = 0;
    if (!CheckedAdd(base_, addr, &abs) || !RangeInside(abs, len, data_.size())) {
      return Malformed(abs, "hdf5: {} at address {:#x} (+{} bytes) is outside "
                            "the file of {} bytes",
                       what, addr, len, data_.size());
    }
    return ByteReader(data_.subspan(abs, len), abs);
  }
  // A reader from addr to the end of the file.
  Result<ByteReader> From(uint64_t addr, std::string_view what) {
    uint64_t abs = 0;
    if (!CheckedAdd(base_, addr, &abs) || abs > data_.size()) {
      return Malformed(abs, "hdf5: {} at address {:#x} is outside the file of "
                            "{} bytes",
                       what, addr, data_.size());
    }
    return ByteReader(data_.subspan(abs), abs);
  }

  Status CheckSizes(uint64_t at) {
    for (uint8_t s : {size_off_, size_len_}) {
      if (s != 2 && s != 4 && s != 8) {
        return UnsupportedAt(at, "hdf5: offset/length size {} (supported: 2, "
                                 "4, 8)",
                             s);
      }
    }
    return Status::Ok();
  }

  Status Count(uint64_t at) {
    if (++work_ > limits_.max_entries) {
      return LimitExceededAt(at, "hdf5: {}",
                             LimitMessage("max_entries", limits_.max_entries));
    }
    return Status::Ok();
  }

  // ---- superblock --------------------------------------------------------
  Status ReadSuperblock(uint64_t* root) {
    MATS_ASSIGN_OR_RETURN(ByteReader r, From(0, "superblock"));
    MATS_RETURN_IF_ERROR(r.Skip(8));
    uint64_t vat = r.offset();
    MATS_ASSIGN_OR_RETURN(uint8_t version, r.ReadU8());
    out_->superblock_version = version;
    if (version <= 1) {
      MATS_RETURN_IF_ERROR(r.Skip(4));  // free-space, root, reserved, shared
      MATS_ASSIGN_OR_RETURN(size_off_, r.ReadU8());
      MATS_ASSIGN_OR_RETURN(size_len_, r.ReadU8());
      MATS_RETURN_IF_ERROR(CheckSizes(r.offset() - 2));
      MATS_RETURN_IF_ERROR(r.Skip(1 + 2 + 2 + 4));  // reserved, K, K, flags
      if (version == 1) MATS_RETURN_IF_ERROR(r.Skip(4));
      for (int i = 0; i < 4; ++i) {  // base, free space, eof, driver
        MATS_ASSIGN_OR_RETURN(uint64_t unused, ReadOffset(r));
        (void)unused;
      }
      // Root group symbol table entry.
      MATS_ASSIGN_OR_RETURN(uint64_t name_off, ReadOffset(r));
      (void)name_off;
      MATS_ASSIGN_OR_RETURN(*root, ReadOffset(r));
      MATS_RETURN_IF_ERROR(r.Skip(4 + 4 + 16));
      return Status::Ok();
    }
    if (version == 2 || version == 3) {
      MATS_ASSIGN_OR_RETURN(size_off_, r.ReadU8());
      MATS_ASSIGN_OR_RETURN(size_len_, r.ReadU8());
      MATS_RETURN_IF_ERROR(CheckSizes(r.offset() - 2));
      MATS_RETURN_IF_ERROR(r.Skip(1));  // flags
      for (int i = 0; i < 3; ++i) {     // base, extension, eof
        MATS_ASSIGN_OR_RETURN(uint64_t unused, ReadOffset(r));
        (void)unused;
      }
      MATS_ASSIGN_OR_RETURN(*root, ReadOffset(r));
      MATS_RETURN_IF_ERROR(r.Skip(4));  // checksum (not verified)
      return Status::Ok();
    }
    return UnsupportedAt(vat, "hdf5: superblock version {} (supported: 0-3)",
                         version);
  }

  // ---- object headers ----------------------------------------------------
  Status ParseV1Messages(ByteReader& r, std::vector<Message>* msgs,
                         std::vector<std::pair<uint64_t, uint64_t>>* conts) {
    while (r.remaining() >= 8) {
      uint64_t at = r.offset();
      MATS_RETURN_IF_ERROR(Count(at));
      MATS_ASSIGN_OR_RETURN(uint16_t type, r.ReadU16Le());
      MATS_ASSIGN_OR_RETURN(uint16_t size, r.ReadU16Le());
      MATS_ASSIGN_OR_RETURN(uint8_t flags, r.ReadU8());
      MATS_RETURN_IF_ERROR(r.Skip(3));
      uint64_t data_at = r.offset();
      MATS_ASSIGN_OR_RETURN(ByteSpan body, r.ReadBytes(size));
      MATS_RETURN_IF_ERROR(AddMessage(type, flags, body, data_at, msgs, conts));
    }
    return Status::Ok();
  }

  Status ParseV2Messages(ByteReader& r, bool creation_order,
                         std::vector<Message>* msgs,
                         std::vector<std::pair<uint64_t, uint64_t>>* conts) {
    uint64_t header = creation_order ? 6 : 4;
    while (r.remaining() >= header) {
      uint64_t at = r.offset();
      MATS_RETURN_IF_ERROR(Count(at));
      MATS_ASSIGN_OR_RETURN(uint8_t type, r.ReadU8());
      MATS_ASSIGN_OR_RETURN(uint16_t size, r.ReadU16Le());
      MATS_ASSIGN_OR_RETURN(uint8_t flags, r.ReadU8());
      if (creation_order) MATS_RETURN_IF_ERROR(r.Skip(2));
      uint64_t data_at = r.offset();
      MATS_ASSIGN_OR_RETURN(ByteSpan body, r.ReadBytes(size));
      MATS_RETURN_IF_ERROR(AddMessage(type, flags, body, data_at, msgs, conts));
    }
    return Status::Ok();
  }

  Status AddMessage(uint16_t type, uint8_t flags, ByteSpan body, uint64_t at,
                    std::vector<Message>* msgs,
                    std::vector<std::pair<uint64_t, uint64_t>>* conts) {
    if (type == kMsgNil) return Status::Ok();
    if (type == kMsgContinuation) {
      ByteReader c(body, at);
      MATS_ASSIGN_OR_RETURN(uint64_t addr, ReadOffset(c));
      MATS_ASSIGN_OR_RETURN(uint64_t len, ReadLength(c));
      conts->emplace_back(addr, len);
      return Status::Ok();
    }
    msgs->push_back(Message{type, flags, body, at});
    return Status::Ok();
  }

  Result<std::vector<Message>> ReadObjectHeader(uint64_t addr) {
    std::vector<Message> msgs;
    std::vector<std::pair<uint64_t, uint64_t>> conts;
    MATS_ASSIGN_OR_RETURN(ByteReader r, From(addr, "object header"));
    uint64_t at = r.offset();
    MATS_ASSIGN_OR_RETURN(uint8_t first, r.PeekU8());
    bool v2 = false;
    bool creation_order = false;
    if (first == 1) {
      MATS_RETURN_IF_ERROR(r.Skip(2));  // version, reserved
      MATS_ASSIGN_OR_RETURN(uint16_t nmsgs, r.ReadU16Le());
      (void)nmsgs;
      MATS_RETURN_IF_ERROR(r.Skip(4));  // reference count
      MATS_ASSIGN_OR_RETURN(uint32_t declared_size, r.ReadU32Le());
      MATS_RETURN_IF_ERROR(r.Skip(4));  // alignment padding
      MATS_ASSIGN_OR_RETURN(ByteReader block,
                            r.Slice(r.position(), declared_size));
      MATS_RETURN_IF_ERROR(ParseV1Messages(block, &msgs, &conts));
    } else if (first == 'O') {
      v2 = true;
      MATS_ASSIGN_OR_RETURN(std::string_view sig, r.ReadChars(4));
      if (sig != "OHDR") {
        return Malformed(at, "hdf5: object header signature {}, want OHDR",
                         EscapePreview(sig, 8));
      }
      MATS_ASSIGN_OR_RETURN(uint8_t version, r.ReadU8());
      if (version != 2) {
        return UnsupportedAt(at + 4, "hdf5: object header version {}", version);
      }
      MATS_ASSIGN_OR_RETURN(uint8_t flags, r.ReadU8());
      creation_order = (flags & 0x04) != 0;
      if ((flags & 0x20) != 0) MATS_RETURN_IF_ERROR(r.Skip(16));
      if ((flags & 0x10) != 0) MATS_RETURN_IF_ERROR(r.Skip(4));
      static constexpr uint8_t kChunkSizes[] = {1, 2, 4, 8};
      MATS_ASSIGN_OR_RETURN(uint64_t declared_size,
                            ReadSized(r, kChunkSizes[flags & 3]));
      MATS_ASSIGN_OR_RETURN(ByteReader block,
                            r.Slice(r.position(), declared_size));
      MATS_RETURN_IF_ERROR(ParseV2Messages(block, creation_order, &msgs, &conts));
    } else {
      return UnsupportedAt(at, "hdf5: object header version {:#04x} (supported: "
                               "1, OHDR v2)",
                           first);
    }
    // Continuation blocks, each at most once.
    std::set<uint64_t> seen;
    for (size_t i = 0; i < conts.size(); ++i) {
      auto [caddr, clen] = conts[i];
      if (!seen.insert(caddr).second) {
        return Malformed(at, "hdf5: continuation block {:#x} repeats", caddr);
      }
      MATS_RETURN_IF_ERROR(Count(at));
      MATS_ASSIGN_OR_RETURN(ByteReader block, At(caddr, clen, "continuation block"));
      if (v2) {
        MATS_ASSIGN_OR_RETURN(std::string_view sig, block.ReadChars(4));
        if (sig != "OCHK") {
          return Malformed(block.offset() - 4,
                           "hdf5: continuation signature {}, want OCHK",
                           EscapePreview(sig, 8));
        }
        if (block.remaining() < 4) {
          return Malformed(block.offset(), "hdf5: continuation block too short");
        }
        MATS_ASSIGN_OR_RETURN(ByteReader body,
                              block.Slice(4, block.remaining() - 4));
        MATS_RETURN_IF_ERROR(ParseV2Messages(body, creation_order, &msgs, &conts));
      } else {
        MATS_RETURN_IF_ERROR(ParseV1Messages(block, &msgs, &conts));
      }
    }
    return msgs;
  }

  // ---- heaps -------------------------------------------------------------
  struct LocalHeap {
    ByteReader data{ByteSpan{}};
  };

  Result<LocalHeap> ReadLocalHeap(uint64_t addr) {
    MATS_ASSIGN_OR_RETURN(ByteReader r, From(addr, "local heap"));
    MATS_ASSIGN_OR_RETURN(std::string_view sig, r.ReadChars(4));
    if (sig != "HEAP") {
      return Malformed(r.offset() - 4, "hdf5: local heap signature {}, want HEAP",
                       EscapePreview(sig, 8));
    }
    MATS_RETURN_IF_ERROR(r.Skip(4));  // version, reserved
    MATS_ASSIGN_OR_RETURN(uint64_t size, ReadLength(r));
    MATS_ASSIGN_OR_RETURN(uint64_t free_list, ReadLength(r));
    (void)free_list;
    MATS_ASSIGN_OR_RETURN(uint64_t data_addr, ReadOffset(r));
    MATS_ASSIGN_OR_RETURN(ByteReader data, At(data_addr, size, "local heap data"));
    return LocalHeap{data};
  }

  Result<std::string> HeapString(const LocalHeap& heap, uint64_t off) {
    if (off >= heap.data.size()) {
      return Malformed(heap.data.base_offset(),
                       "hdf5: name offset {} outside local heap of {} bytes",
                       off, heap.data.size());
    }
    std::string_view rest = AsChars(heap.data.data().subspan(off));
    size_t nul = rest.find('\0');
    if (nul == std::string_view::npos) {
      return Malformed(heap.data.base_offset() + off,
                       "hdf5: unterminated name in local heap");
    }
    if (nul > limits_.max_string_bytes) {
      return LimitExceededAt(heap.data.base_offset() + off, "hdf5: {}",
                             LimitMessage("max_string_bytes",
                                          limits_.max_string_bytes));
    }
    return std::string(rest.substr(0, nul));
  }

  // Object `index` of the global heap collection at `addr`.
  Result<ByteSpan> GlobalHeapObject(uint64_t addr, uint32_t index) {
    MATS_ASSIGN_OR_RETURN(ByteReader r, From(addr, "global heap"));
    uint64_t at = r.offset();
    MATS_ASSIGN_OR_RETURN(std::string_view sig, r.ReadChars(4));
    if (sig != "GCOL") {
      return Malformed(at, "hdf5: global heap signature {}, want GCOL",
                       EscapePreview(sig, 8));
    }
    MATS_RETURN_IF_ERROR(r.Skip(4));  // version, reserved
    MATS_ASSIGN_OR_RETURN(uint64_t size, ReadLength(r));
    uint64_t header = 8 + size_len_;
    if (size < header || size - header > r.remaining()) {
      return Malformed(at, "hdf5: global heap collection size {} does not fit",
                       size);
    }
    MATS_ASSIGN_OR_RETURN(ByteReader objs, r.Slice(r.position(), size - header));
    while (objs.remaining() >= uint64_t{8} + size_len_) {
      MATS_RETURN_IF_ERROR(Count(objs.offset()));
      MATS_ASSIGN_OR_RETURN(uint16_t idx, objs.ReadU16Le());
      MATS_RETURN_IF_ERROR(objs.Skip(6));  // refcount, reserved
      MATS_ASSIGN_OR_RETURN(uint64_t osize, ReadLength(objs));
      if (idx == 0) break;  // free space
      uint64_t start = objs.offset();
      MATS_ASSIGN_OR_RETURN(ByteSpan body, objs.ReadBytes(osize));
      if (idx == index) return body;
      uint64_t pad = (8 - osize % 8) % 8;
      if (pad > objs.remaining()) break;
      MATS_RETURN_IF_ERROR(objs.Skip(pad));
      (void)start;
    }
    return Malformed(at, "hdf5: global heap object {} not found", index);
  }

  // ---- messages ----------------------------------------------------------
  Status OnAttribute(const Message& m, const std::string& path, bool root) {
    ByteReader r(m.data, m.offset);
    MATS_ASSIGN_OR_RETURN(uint8_t version, r.ReadU8());
    if (version < 1 || version > 3) {
      return UnsupportedAt(m.offset, "hdf5: attribute message version {}",
                           version);
    }
    MATS_ASSIGN_OR_RETURN(uint8_t flags, r.ReadU8());
    MATS_ASSIGN_OR_RETURN(uint16_t name_size, r.ReadU16Le());
    MATS_ASSIGN_OR_RETURN(uint16_t dt_size, r.ReadU16Le());
    MATS_ASSIGN_OR_RETURN(uint16_t ds_size, r.ReadU16Le());
    if (version == 3) MATS_RETURN_IF_ERROR(r.Skip(1));  // encoding
    auto padded = [&](uint64_t n) { return version == 1 ? (n + 7) / 8 * 8 : n; };
    MATS_ASSIGN_OR_RETURN(std::string_view raw_name, r.ReadChars(padded(name_size)));
    std::string_view name = raw_name.substr(0, std::min<size_t>(name_size, raw_name.size()));
    if (size_t nul = name.find('\0'); nul != std::string_view::npos) {
      name = name.substr(0, nul);
    }
    uint64_t dt_at = r.offset();
    MATS_ASSIGN_OR_RETURN(ByteSpan dt, r.ReadBytes(padded(dt_size)));
    uint64_t ds_at = r.offset();
    MATS_ASSIGN_OR_RETURN(ByteSpan ds, r.ReadBytes(padded(ds_size)));
    if (!root) return Status::Ok();
    if (std::find(std::begin(kRootStringAttrs), std::end(kRootStringAttrs),
                  name) == std::end(kRootStringAttrs)) {
      return Status::Ok();
    }
    Attribute attr;
    attr.name = std::string(name);
    attr.offset = m.offset;
    if ((flags & 0x03) != 0) {
      out_->unsupported.push_back(
          {path, UnsupportedAt(m.offset, "hdf5: attribute {} uses a shared "
                                         "datatype or dataspace",
                               EscapePreview(name, 64))});
      return Status::Ok();
    }
    MATS_ASSIGN_OR_RETURN(uint64_t count, ElementCount(ds, ds_at));
    ByteReader d(dt, dt_at);
    MATS_ASSIGN_OR_RETURN(uint8_t class_version, d.ReadU8());
    MATS_ASSIGN_OR_RETURN(uint8_t bits0, d.ReadU8());
    MATS_RETURN_IF_ERROR(d.Skip(2));
    MATS_ASSIGN_OR_RETURN(uint32_t elem_size, d.ReadU32Le());
    uint8_t cls = class_version & 0x0f;
    if (cls == 3) {  // fixed-length string
      attr.is_string = true;
      uint64_t total = 0;
      if (!CheckedMul<uint64_t>(count, elem_size, &total) ||
          total > r.remaining()) {
        return Malformed(r.offset(), "hdf5: attribute {} needs {} x {} bytes, "
                                     "{} present",
                         EscapePreview(name, 64), count, elem_size,
                         r.remaining());
      }
      for (uint64_t i = 0; i < count; ++i) {
        MATS_ASSIGN_OR_RETURN(std::string_view v, r.ReadChars(elem_size));
        while (!v.empty() && (v.back() == '\0' || v.back() == ' ')) {
          v.remove_suffix(1);
        }
        if (size_t nul = v.find('\0'); nul != std::string_view::npos) {
          v = v.substr(0, nul);
        }
        attr.values.emplace_back(v);
      }
    } else if (cls == 9 && (bits0 & 0x0f) == 1) {  // variable-length string
      attr.is_string = true;
      for (uint64_t i = 0; i < count; ++i) {
        MATS_ASSIGN_OR_RETURN(uint32_t len, r.ReadU32Le());
        MATS_ASSIGN_OR_RETURN(uint64_t heap, ReadOffset(r));
        MATS_ASSIGN_OR_RETURN(uint32_t index, r.ReadU32Le());
        if (len > limits_.max_string_bytes) {
          return LimitExceededAt(m.offset, "hdf5: attribute {} of {} bytes: {}",
                                 EscapePreview(name, 64), len,
                                 LimitMessage("max_string_bytes",
                                              limits_.max_string_bytes));
        }
        if (Undefined(heap) || len == 0) {
          attr.values.emplace_back();
          continue;
        }
        MATS_ASSIGN_OR_RETURN(ByteSpan obj, GlobalHeapObject(heap, index));
        if (obj.size() < len) {
          return Malformed(m.offset, "hdf5: string of {} bytes in a global heap "
                                     "object of {}",
                           len, obj.size());
        }
        attr.values.emplace_back(AsChars(obj.first(len)));
      }
    }
    out_->root_attributes.push_back(std::move(attr));
    return Status::Ok();
  }

  Result<uint64_t> ElementCount(ByteSpan ds, uint64_t at) {
    ByteReader r(ds, at);
    MATS_ASSIGN_OR_RETURN(uint8_t version, r.ReadU8());
    MATS_ASSIGN_OR_RETURN(uint8_t rank, r.ReadU8());
    MATS_ASSIGN_OR_RETURN(uint8_t flags, r.ReadU8());
    (void)flags;
    if (version == 1) {
      MATS_RETURN_IF_ERROR(r.Skip(5));
    } else if (version == 2) {
      MATS_ASSIGN_OR_RETURN(uint8_t type, r.ReadU8());
      if (type == 2) return uint64_t{0};  // null dataspace
    } else {
      return UnsupportedAt(at, "hdf5: dataspace version {}", version);
    }
    uint64_t count = 1;
    for (uint8_t i = 0; i < rank; ++i) {
      MATS_ASSIGN_OR_RETURN(uint64_t dim, ReadLength(r));
      if (!CheckedMul(count, dim, &count) || count > limits_.max_entries) {
        return LimitExceededAt(at, "hdf5: attribute elements: {}",
                               LimitMessage("max_entries", limits_.max_entries));
      }
    }
    return count;
  }

  Status OnExternalFiles(const Message& m, const std::string& path) {
    ByteReader r(m.data, m.offset);
    MATS_ASSIGN_OR_RETURN(uint8_t version, r.ReadU8());
    if (version != 1) {
      return UnsupportedAt(m.offset, "hdf5: external files message version {}",
                           version);
    }
    MATS_RETURN_IF_ERROR(r.Skip(3));
    MATS_ASSIGN_OR_RETURN(uint16_t allocated, r.ReadU16Le());
    (void)allocated;
    MATS_ASSIGN_OR_RETURN(uint16_t used, r.ReadU16Le());
    MATS_ASSIGN_OR_RETURN(uint64_t heap_addr, ReadOffset(r));
    ExternalStorage es;
    es.path = path;
    es.offset = m.offset;
    Result<LocalHeap> heap = ReadLocalHeap(heap_addr);
    for (uint16_t i = 0; i < used; ++i) {
      MATS_ASSIGN_OR_RETURN(uint64_t name_off, ReadLength(r));
      MATS_RETURN_IF_ERROR(r.Skip(2ull * size_len_));  // offset, size
      if (!heap.ok()) continue;
      Result<std::string> name = HeapString(*heap, name_off);
      es.files.push_back(name.ok() ? *name : "<unreadable name>");
    }
    out_->external_storage.push_back(std::move(es));
    if (!heap.ok()) return heap.status();
    return Status::Ok();
  }

  Status OnLayout(const Message& m, const std::string& path) {
    ByteReader r(m.data, m.offset);
    MATS_ASSIGN_OR_RETURN(uint8_t version, r.ReadU8());
    if (version < 3) return Status::Ok();  // v1/v2 have no virtual class
    if (version > 5) {
      return UnsupportedAt(m.offset, "hdf5: data layout version {}", version);
    }
    MATS_ASSIGN_OR_RETURN(uint8_t cls, r.ReadU8());
    if (cls != 3) return Status::Ok();
    VirtualDataset vds;
    vds.path = path;
    vds.offset = m.offset;
    MATS_ASSIGN_OR_RETURN(uint64_t heap, ReadOffset(r));
    MATS_ASSIGN_OR_RETURN(uint32_t index, r.ReadU32Le());
    // Decode the first mapping: version, count, then source file and
    // dataset names (null-terminated) before the selections.
    Result<ByteSpan> obj = GlobalHeapObject(heap, index);
    if (obj.ok()) {
      ByteReader g(*obj, 0);
      Result<uint8_t> gv = g.ReadU8();
      if (gv.ok() && *gv == 0) {
        Result<uint64_t> n = ReadLength(g);
        if (n.ok()) vds.mappings = *n;
        std::string_view rest = AsChars(g.PeekRemaining());
        size_t a = rest.find('\0');
        if (a != std::string_view::npos) {
          vds.first_source_file = std::string(rest.substr(0, a));
          size_t b = rest.find('\0', a + 1);
          if (b != std::string_view::npos) {
            vds.first_source_dataset = std::string(rest.substr(a + 1, b - a - 1));
          }
        }
      }
    }
    out_->virtual_datasets.push_back(std::move(vds));
    if (!obj.ok()) return obj.status();
    return Status::Ok();
  }

  Status OnLink(const Message& m, const WalkItem& item,
                std::vector<WalkItem>* children) {
    ByteReader r(m.data, m.offset);
    MATS_ASSIGN_OR_RETURN(uint8_t version, r.ReadU8());
    if (version != 1) {
      return UnsupportedAt(m.offset, "hdf5: link message version {}", version);
    }
    MATS_ASSIGN_OR_RETURN(uint8_t flags, r.ReadU8());
    uint8_t type = 0;
    if ((flags & 0x08) != 0) {
      MATS_ASSIGN_OR_RETURN(type, r.ReadU8());
    }
    if ((flags & 0x04) != 0) MATS_RETURN_IF_ERROR(r.Skip(8));
    if ((flags & 0x10) != 0) MATS_RETURN_IF_ERROR(r.Skip(1));
    static constexpr uint8_t kLenSizes[] = {1, 2, 4, 8};
    MATS_ASSIGN_OR_RETURN(uint64_t name_len, ReadSized(r, kLenSizes[flags & 3]));
    if (name_len > limits_.max_string_bytes) {
      return LimitExceededAt(m.offset, "hdf5: link name: {}",
                             LimitMessage("max_string_bytes",
                                          limits_.max_string_bytes));
    }
    MATS_ASSIGN_OR_RETURN(std::string_view name, r.ReadChars(name_len));
    std::string child_path = JoinPath(item.path, name);
    if (type == 0) {
      MATS_ASSIGN_OR_RETURN(uint64_t addr, ReadOffset(r));
      children->push_back({addr, child_path, item.depth + 1});
    } else if (type == 1) {
      // Soft link: a path inside this file; the target is walked on its own.
    } else if (type == 64) {
      MATS_ASSIGN_OR_RETURN(uint16_t len, r.ReadU16Le());
      MATS_ASSIGN_OR_RETURN(std::string_view info, r.ReadChars(len));
      ExternalLink link;
      link.path = child_path;
      link.offset = m.offset;
      if (!info.empty()) info.remove_prefix(1);  // version and flags
      size_t nul = info.find('\0');
      link.target_file = std::string(info.substr(0, nul));
      if (nul != std::string_view::npos) {
        std::string_view obj = info.substr(nul + 1);
        link.target_object = std::string(obj.substr(0, obj.find('\0')));
      }
      out_->external_links.push_back(std::move(link));
    } else {
      out_->unsupported.push_back(
          {child_path, UnsupportedAt(m.offset, "hdf5: user-defined link type {}",
                                     type)});
    }
    return Status::Ok();
  }

  Status OnSymbolTable(const Message& m, const WalkItem& item,
                       std::vector<WalkItem>* children) {
    ByteReader r(m.data, m.offset);
    MATS_ASSIGN_OR_RETURN(uint64_t btree, ReadOffset(r));
    MATS_ASSIGN_OR_RETURN(uint64_t heap_addr, ReadOffset(r));
    MATS_ASSIGN_OR_RETURN(LocalHeap heap, ReadLocalHeap(heap_addr));
    // Walk the v1 B-tree with an explicit stack.
    std::vector<std::pair<uint64_t, uint32_t>> nodes = {{btree, 0}};
    std::set<uint64_t> seen;
    while (!nodes.empty()) {
      auto [addr, depth] = nodes.back();
      nodes.pop_back();
      if (depth > limits_.max_depth) {
        return LimitExceededAt(m.offset, "hdf5: group B-tree: {}",
                               LimitMessage("max_depth", limits_.max_depth));
      }
      if (!seen.insert(addr).second) {
        return Malformed(m.offset, "hdf5: group B-tree node {:#x} repeats", addr);
      }
      MATS_RETURN_IF_ERROR(Count(m.offset));
      MATS_ASSIGN_OR_RETURN(ByteReader n, From(addr, "B-tree node"));
      uint64_t at = n.offset();
      MATS_ASSIGN_OR_RETURN(std::string_view sig, n.ReadChars(4));
      if (sig != "TREE") {
        return Malformed(at, "hdf5: B-tree signature {}, want TREE",
                         EscapePreview(sig, 8));
      }
      MATS_ASSIGN_OR_RETURN(uint8_t type, n.ReadU8());
      if (type != 0) {
        return Malformed(at, "hdf5: group B-tree node type {}, want 0", type);
      }
      MATS_ASSIGN_OR_RETURN(uint8_t level, n.ReadU8());
      MATS_ASSIGN_OR_RETURN(uint16_t entries, n.ReadU16Le());
      MATS_RETURN_IF_ERROR(n.Skip(2ull * size_off_));  // siblings
      MATS_ASSIGN_OR_RETURN(uint64_t key0, ReadLength(n));
      (void)key0;
      for (uint16_t i = 0; i < entries; ++i) {
        MATS_ASSIGN_OR_RETURN(uint64_t child, ReadOffset(n));
        MATS_ASSIGN_OR_RETURN(uint64_t key, ReadLength(n));
        (void)key;
        if (level > 0) {
          nodes.emplace_back(child, depth + 1);
        } else {
          MATS_RETURN_IF_ERROR(ReadSymbolNode(child, heap, item, children));
        }
      }
    }
    return Status::Ok();
  }

  Status ReadSymbolNode(uint64_t addr, const LocalHeap& heap,
                        const WalkItem& item, std::vector<WalkItem>* children) {
    MATS_ASSIGN_OR_RETURN(ByteReader n, From(addr, "symbol table node"));
    uint64_t at = n.offset();
    MATS_ASSIGN_OR_RETURN(std::string_view sig, n.ReadChars(4));
    if (sig != "SNOD") {
      return Malformed(at, "hdf5: symbol node signature {}, want SNOD",
                       EscapePreview(sig, 8));
    }
    MATS_RETURN_IF_ERROR(n.Skip(2));  // version, reserved
    MATS_ASSIGN_OR_RETURN(uint16_t count, n.ReadU16Le());
    for (uint16_t i = 0; i < count; ++i) {
      MATS_RETURN_IF_ERROR(Count(n.offset()));
      MATS_ASSIGN_OR_RETURN(uint64_t name_off, ReadOffset(n));
      MATS_ASSIGN_OR_RETURN(uint64_t obj, ReadOffset(n));
      MATS_ASSIGN_OR_RETURN(uint32_t cache, n.ReadU32Le());
      MATS_RETURN_IF_ERROR(n.Skip(4 + 16));
      MATS_ASSIGN_OR_RETURN(std::string name, HeapString(heap, name_off));
      if (cache == 2 || Undefined(obj)) continue;  // soft link
      children->push_back({obj, JoinPath(item.path, name), item.depth + 1});
    }
    return Status::Ok();
  }

  static std::string JoinPath(const std::string& parent, std::string_view name) {
    std::string p = parent == "/" ? "/" : parent + "/";
    p += EscapePreview(name, 128);
    return p;
  }

  // ---- the walk ----------------------------------------------------------
  Status Walk(uint64_t root) {
    std::vector<WalkItem> stack = {{root, "/", 0}};
    std::set<uint64_t> visited;
    while (!stack.empty()) {
      WalkItem item = std::move(stack.back());
      stack.pop_back();
      if (item.depth > limits_.max_depth) {
        return LimitExceeded("hdf5: group nesting at {}: {}", item.path,
                             LimitMessage("max_depth", limits_.max_depth));
      }
      if (Undefined(item.address) || !visited.insert(item.address).second) {
        continue;  // hard links may point to an object seen before
      }
      ++out_->objects;
      MATS_RETURN_IF_ERROR(Count(item.address));
      MATS_ASSIGN_OR_RETURN(std::vector<Message> msgs,
                            ReadObjectHeader(item.address));
      std::vector<WalkItem> children;
      bool is_root = item.depth == 0;
      for (const Message& m : msgs) {
        Status s;
        if ((m.flags & 0x02) != 0 && m.type != kMsgAttribute) {
          // Shared message: the body is a reference, not the message.
          if (m.type == kMsgLayout || m.type == kMsgLink ||
              m.type == kMsgExternalFiles || m.type == kMsgSymbolTable) {
            out_->unsupported.push_back(
                {item.path, UnsupportedAt(m.offset, "hdf5: shared message of "
                                                    "type {:#06x}",
                                          m.type)});
          }
          continue;
        }
        switch (m.type) {
          case kMsgAttribute:
            s = OnAttribute(m, item.path, is_root);
            break;
          case kMsgLink:
            s = OnLink(m, item, &children);
            break;
          case kMsgSymbolTable:
            s = OnSymbolTable(m, item, &children);
            break;
          case kMsgExternalFiles:
            s = OnExternalFiles(m, item.path);
            break;
          case kMsgLayout:
            s = OnLayout(m, item.path);
            break;
          case kMsgLinkInfo:
          case kMsgAttributeInfo:
            s = CheckDense(m, item.path);
            break;
          default:
            break;
        }
        if (!s.ok()) {
          if (s.code() == ErrorCode::kUnsupported) {
            out_->unsupported.push_back({item.path, s});
          } else {
            return s;
          }
        }
      }
      for (auto c = children.rbegin(); c != children.rend(); ++c) {
        stack.push_back(std::move(*c));
      }
    }
    return Status::Ok();
  }

  Status CheckDense(const Message& m, const std::string& path) {
    ByteReader r(m.data, m.offset);
    MATS_ASSIGN_OR_RETURN(uint8_t version, r.ReadU8());
    if (version != 0) {
      return UnsupportedAt(m.offset, "hdf5: link/attribute info version {}",
                           version);
    }
    MATS_ASSIGN_OR_RETURN(uint8_t flags, r.ReadU8());
    if ((flags & 0x01) != 0) {
      MATS_RETURN_IF_ERROR(r.Skip(m.type == kMsgLinkInfo ? 8 : 2));
    }
    MATS_ASSIGN_OR_RETURN(uint64_t heap, ReadOffset(r));
    if (!Undefined(heap)) {
      out_->unsupported.push_back(
          {path, UnsupportedAt(m.offset, "hdf5: dense {} storage (fractal heap) "
                                         "not supported",
                               m.type == kMsgLinkInfo ? "link" : "attribute")});
    }
    return Status::Ok();
  }

  ByteSpan data_;
  const Limits& limits_;
  FileSummary* out_;
  uint64_t base_ = 0;
  uint8_t size_off_ = 8;
  uint8_t size_len_ = 8;
  uint64_t work_ = 0;
};

}  // namespace

int64_t FindSignature(ByteSpan data) {
  uint64_t off = 0;
  while (RangeInside(off, sizeof(kSignature), data.size())) {
    if (std::equal(std::begin(kSignature), std::end(kSignature),
                   data.begin() + static_cast<std::ptrdiff_t>(off))) {
      return static_cast<int64_t>(off);
    }
    off = off == 0 ? 512 : off * 2;
    if (off > (uint64_t{1} << 62)) break;
  }
  return -1;
}

Status ReadHdf5(ByteSpan data, const Limits& limits, FileSummary* out) {
  Reader r(data, limits, out);
  return r.Run();
}

}  // namespace mats::hdf5
