#include "mats/protobuf/wire.h"

#include "mats/core/byte_reader.h"
#include "mats/core/encoding.h"

namespace mats::protobuf {

std::string_view WireTypeName(WireType t) {
  switch (t) {
    case WireType::kVarint: return "varint";
    case WireType::kFixed64: return "fixed64";
    case WireType::kLen: return "length-delimited";
    case WireType::kStartGroup: return "start-group";
    case WireType::kEndGroup: return "end-group";
    case WireType::kFixed32: return "fixed32";
  }
  return "invalid";
}

Result<uint64_t> DecodeVarint(ByteSpan data, uint64_t* pos, uint64_t base) {
  const uint64_t start = *pos;
  uint64_t value = 0;
  for (uint64_t i = 0; i < kMaxVarintBytes; ++i) {
    if (start + i >= data.size()) {
      return Malformed(base + start, "protobuf: truncated varint at offset {}",
                       base + start);
    }
    const uint8_t b = data[start + i];
    if (i == kMaxVarintBytes - 1 && b > 1) {
      return Malformed(base + start,
                       "protobuf: varint at offset {} overflows 64 bits",
                       base + start);
    }
    value |= static_cast<uint64_t>(b & 0x7F) << (7 * i);
    if ((b & 0x80) == 0) {
      *pos = start + i + 1;
      return value;
    }
  }
  return Malformed(base + start,
                   "protobuf: varint at offset {} longer than 10 bytes",
                   base + start);
}

Result<uint32_t> WireReader::ReadTag(WireType* type, uint64_t* tag_offset) {
  *tag_offset = base_ + pos_;
  MATS_ASSIGN_OR_RETURN(uint64_t tag, DecodeVarint(data_, &pos_, base_));
  const uint64_t declared_number = tag >> 3;
  const uint64_t wire = tag & 7;
  if (declared_number == 0 || declared_number > kMaxFieldNumber) {
    return Malformed(*tag_offset,
                     "protobuf: invalid field number {} at offset {}",
                     declared_number, *tag_offset);
  }
  if (wire > 5) {
    return Malformed(*tag_offset,
                     "protobuf: invalid wire type {} at offset {}", wire,
                     *tag_offset);
  }
  *type = static_cast<WireType>(wire);
  return static_cast<uint32_t>(declared_number);
}

Status WireReader::SkipGroup(uint32_t number, uint64_t tag_offset) {
  // Explicit stack of open group numbers; no recursion.
  std::vector<uint32_t> open;
  open.push_back(number);
  while (!open.empty()) {
    if (pos_ >= data_.size()) {
      return Malformed(tag_offset,
                       "protobuf: group {} opened at offset {} is not closed",
                       number, tag_offset);
    }
    WireType type;
    uint64_t off = 0;
    MATS_ASSIGN_OR_RETURN(uint32_t n, ReadTag(&type, &off));
    switch (type) {
      case WireType::kVarint: {
        MATS_ASSIGN_OR_RETURN(uint64_t ignored, DecodeVarint(data_, &pos_, base_));
        (void)ignored;
        break;
      }
      case WireType::kFixed64:
      case WireType::kFixed32: {
        const uint64_t n_bytes = type == WireType::kFixed64 ? 8 : 4;
        if (n_bytes > data_.size() - pos_) {
          return Malformed(off, "protobuf: truncated fixed field at offset {}", off);
        }
        pos_ += n_bytes;
        break;
      }
      case WireType::kLen: {
        MATS_ASSIGN_OR_RETURN(uint64_t declared_len, DecodeVarint(data_, &pos_, base_));
        if (declared_len > data_.size() - pos_) {
          return Malformed(off,
                           "protobuf: field {} at offset {} has length {}, "
                           "only {} bytes left",
                           n, off, declared_len, data_.size() - pos_);
        }
        pos_ += declared_len;
        break;
      }
      case WireType::kStartGroup:
        if (open.size() >= max_group_depth_) {
          return LimitExceededAt(off, "protobuf: groups nested at offset {}: {}",
                                 off, LimitMessage("max_depth", max_group_depth_));
        }
        open.push_back(n);
        break;
      case WireType::kEndGroup:
        if (open.back() != n) {
          return Malformed(off,
                           "protobuf: end-group {} at offset {} does not match "
                           "open group {}",
                           n, off, open.back());
        }
        open.pop_back();
        break;
    }
  }
  return Status::Ok();
}

Result<bool> WireReader::Next(WireField* f) {
  while (true) {
    if (pos_ >= data_.size()) return false;
    WireType type;
    uint64_t tag_offset = 0;
    MATS_ASSIGN_OR_RETURN(uint32_t number, ReadTag(&type, &tag_offset));
    f->number = number;
    f->type = type;
    f->offset = tag_offset;
    f->value_offset = base_ + pos_;
    f->value = 0;
    f->bytes = {};
    switch (type) {
      case WireType::kVarint: {
        MATS_ASSIGN_OR_RETURN(f->value, DecodeVarint(data_, &pos_, base_));
        return true;
      }
      case WireType::kFixed64: {
        if (8 > data_.size() - pos_) {
          return Malformed(tag_offset,
                           "protobuf: truncated fixed64 field {} at offset {}",
                           number, tag_offset);
        }
        f->value = LoadU64Le(data_.subspan(pos_, 8));
        pos_ += 8;
        return true;
      }
      case WireType::kFixed32: {
        if (4 > data_.size() - pos_) {
          return Malformed(tag_offset,
                           "protobuf: truncated fixed32 field {} at offset {}",
                           number, tag_offset);
        }
        f->value = LoadU32Le(data_.subspan(pos_, 4));
        pos_ += 4;
        return true;
      }
      case WireType::kLen: {
        MATS_ASSIGN_OR_RETURN(uint64_t declared_len, DecodeVarint(data_, &pos_, base_));
        if (declared_len > data_.size() - pos_) {
          return Malformed(tag_offset,
                           "protobuf: field {} at offset {} has length {}, "
                           "only {} bytes left",
                           number, tag_offset, declared_len,
                           data_.size() - pos_);
        }
        f->value_offset = base_ + pos_;
        f->bytes = data_.subspan(pos_, declared_len);
        pos_ += declared_len;
        return true;
      }
      case WireType::kStartGroup:
        MATS_RETURN_IF_ERROR(SkipGroup(number, tag_offset));
        continue;
      case WireType::kEndGroup:
        return Malformed(tag_offset,
                         "protobuf: end-group {} at offset {} without a "
                         "matching start-group",
                         number, tag_offset);
    }
  }
}

Status CheckMessageSize(ByteSpan data, std::string_view what) {
  if (data.size() > kMaxMessageBytes) {
    return LimitExceeded(
        "{}: message of {} bytes exceeds protobuf's 2 GiB message limit",
        what, data.size());
  }
  return Status::Ok();
}

Status AppendVarints(const WireField& f, uint64_t max_values,
                     std::vector<uint64_t>* out) {
  if (f.type == WireType::kVarint) {
    if (out->size() >= max_values) {
      return LimitExceededAt(f.offset, "protobuf: repeated field {} at offset {}: {}",
                             f.number, f.offset,
                             LimitMessage("max_entries", max_values));
    }
    out->push_back(f.value);
    return Status::Ok();
  }
  if (f.type != WireType::kLen) {
    return Malformed(f.offset,
                     "protobuf: field {} at offset {} has wire type {}, want "
                     "varint or packed",
                     f.number, f.offset, WireTypeName(f.type));
  }
  uint64_t pos = 0;
  while (pos < f.bytes.size()) {
    if (out->size() >= max_values) {
      return LimitExceededAt(f.offset, "protobuf: repeated field {} at offset {}: {}",
                             f.number, f.offset,
                             LimitMessage("max_entries", max_values));
    }
    MATS_ASSIGN_OR_RETURN(uint64_t v, DecodeVarint(f.bytes, &pos, f.value_offset));
    out->push_back(v);
  }
  return Status::Ok();
}

Result<uint64_t> CountPackedVarints(const WireField& f) {
  if (f.type == WireType::kVarint) return uint64_t{1};
  if (f.type != WireType::kLen) {
    return Malformed(f.offset,
                     "protobuf: field {} at offset {} has wire type {}, want "
                     "varint or packed",
                     f.number, f.offset, WireTypeName(f.type));
  }
  uint64_t n = 0;
  uint64_t pos = 0;
  while (pos < f.bytes.size()) {
    MATS_ASSIGN_OR_RETURN(uint64_t v, DecodeVarint(f.bytes, &pos, f.value_offset));
    (void)v;
    ++n;
  }
  return n;
}

bool IsUtf8String(const WireField& f) {
  return f.type == WireType::kLen && IsValidUtf8(f.chars());
}

Status ExpectType(const WireField& f, WireType want, std::string_view what) {
  if (f.type != want) {
    return Malformed(f.offset,
                     "{}: field {} at offset {} has wire type {}, want {}",
                     what, f.number, f.offset, WireTypeName(f.type),
                     WireTypeName(want));
  }
  return Status::Ok();
}

Result<std::string_view> FieldString(const WireField& f, const Limits& limits,
                                     std::string_view what) {
  MATS_RETURN_IF_ERROR(ExpectType(f, WireType::kLen, what));
  if (f.bytes.size() > limits.max_string_bytes) {
    return LimitExceededAt(f.offset, "{}: string field {} at offset {}: {}", what,
                           f.number, f.offset,
                           LimitMessage("max_string_bytes", limits.max_string_bytes));
  }
  return f.chars();
}

}  // namespace mats::protobuf
