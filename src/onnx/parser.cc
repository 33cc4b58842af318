// ModelProto walker. Field numbers: onnx/onnx.proto (IR version 3..10),
// https://github.com/onnx/onnx/blob/main/onnx/onnx.proto — see
// docs/formats/onnx.md for the table.
#include <vector>

#include "mats/core/checked_math.h"
#include "mats/onnx/onnx.h"
#include "mats/protobuf/wire.h"

namespace mats::onnx {
namespace {

using protobuf::WireField;
using protobuf::WireReader;
using protobuf::WireType;

enum class Kind : uint8_t {
  kModel,
  kGraph,
  kNode,
  kAttribute,
  kTensor,
  kSparseTensor,
  kFunction,
  kTrainingInfo,
};

struct Work {
  Kind kind;
  ByteSpan bytes;
  uint64_t base;
  uint32_t depth;
  // kNode: domain inherited by nothing; kept for future use.
};

constexpr std::string_view kWhat = "onnx";

class Walker {
 public:
  Walker(const Limits& limits, OnnxModel* out) : limits_(limits), out_(out) {}

  Status Run(ByteSpan data) {
    MATS_RETURN_IF_ERROR(protobuf::CheckMessageSize(data, kWhat));
    stack_.push_back({Kind::kModel, data, 0, 0});
    while (!stack_.empty()) {
      Work w = stack_.back();
      stack_.pop_back();
      if (w.depth > out_->max_depth_seen) out_->max_depth_seen = w.depth;
      switch (w.kind) {
        case Kind::kModel: Keep(Model(w)); break;
        case Kind::kGraph: Keep(Graph(w)); break;
        case Kind::kNode: Keep(Node(w)); break;
        case Kind::kAttribute: Keep(Attribute(w)); break;
        case Kind::kTensor: Keep(Tensor(w)); break;
        case Kind::kSparseTensor: Keep(SparseTensor(w)); break;
        case Kind::kFunction: Keep(Function(w)); break;
        case Kind::kTrainingInfo: Keep(TrainingInfo(w)); break;
      }
    }
    return first_error_;
  }

 private:
  // A broken message does not stop the walk: the sub-messages already
  // pushed passed their length checks and are still analysed, so findings
  // before (and beside) the error are kept. The first error is returned.
  void Keep(Status st) {
    if (!st.ok() && first_error_.ok()) first_error_ = std::move(st);
  }

  Status Push(Kind kind, const WireField& f, uint32_t parent_depth,
              std::string_view what) {
    MATS_RETURN_IF_ERROR(protobuf::ExpectType(f, WireType::kLen, what));
    const uint32_t depth = parent_depth + 1;
    if (depth > limits_.max_depth) {
      return LimitExceededAt(f.offset, "onnx: {} nested at offset {}: {}", what,
                             f.offset, LimitMessage("max_depth", limits_.max_depth));
    }
    stack_.push_back({kind, f.bytes, f.value_offset, depth});
    return Status::Ok();
  }

  WireReader Reader(const Work& w) const {
    return WireReader(w.bytes, w.base, limits_.max_depth);
  }

  Result<std::string_view> Str(const WireField& f, std::string_view what) const {
    return protobuf::FieldString(f, limits_, what);
  }

  Status Varint(const WireField& f, std::string_view what, int64_t* out) const {
    MATS_RETURN_IF_ERROR(protobuf::ExpectType(f, WireType::kVarint, what));
    *out = static_cast<int64_t>(f.value);
    return Status::Ok();
  }

  Status StringEntry(const WireField& f, std::string_view what,
                     std::pair<std::string_view, std::string_view>* kv) const {
    MATS_RETURN_IF_ERROR(protobuf::ExpectType(f, WireType::kLen, what));
    WireReader r(f.bytes, f.value_offset, limits_.max_depth);
    WireField g;
    while (true) {
      MATS_ASSIGN_OR_RETURN(bool more, r.Next(&g));
      if (!more) break;
      if (g.number == 1) {
        MATS_ASSIGN_OR_RETURN(kv->first, Str(g, what));
      } else if (g.number == 2) {
        MATS_ASSIGN_OR_RETURN(kv->second, Str(g, what));
      }
    }
    return Status::Ok();
  }

  Status Opset(const WireField& f) {
    MATS_RETURN_IF_ERROR(protobuf::ExpectType(f, WireType::kLen, "onnx: opset_import"));
    OnnxModel::Opset op;
    op.offset = f.value_offset;
    WireReader r(f.bytes, f.value_offset, limits_.max_depth);
    WireField g;
    while (true) {
      MATS_ASSIGN_OR_RETURN(bool more, r.Next(&g));
      if (!more) break;
      if (g.number == 1) {
        MATS_ASSIGN_OR_RETURN(op.domain, Str(g, "onnx: opset_import.domain"));
      } else if (g.number == 2) {
        MATS_RETURN_IF_ERROR(Varint(g, "onnx: opset_import.version", &op.version));
      }
    }
    if (out_->opsets.size() >= limits_.max_entries) {
      return LimitExceededAt(f.offset, "onnx: opset_import at offset {}: {}", f.offset,
                             LimitMessage("max_entries", limits_.max_entries));
    }
    out_->opsets.push_back(op);
    return Status::Ok();
  }

  Status Model(const Work& w) {
    WireReader r = Reader(w);
    WireField f;
    while (true) {
      MATS_ASSIGN_OR_RETURN(bool more, r.Next(&f));
      if (!more) break;
      switch (f.number) {
        case 1:
          MATS_RETURN_IF_ERROR(Varint(f, "onnx: ir_version", &out_->ir_version));
          break;
        case 2:
          {
            MATS_ASSIGN_OR_RETURN(out_->producer_name, Str(f, "onnx: producer_name"));
          }
          break;
        case 7:
          MATS_RETURN_IF_ERROR(Push(Kind::kGraph, f, w.depth, "graph"));
          break;
        case 8:
          MATS_RETURN_IF_ERROR(Opset(f));
          break;
        case 14: {
          std::pair<std::string_view, std::string_view> kv;
          MATS_RETURN_IF_ERROR(StringEntry(f, "onnx: metadata_props", &kv));
          if (out_->metadata_props.size() >= limits_.max_entries) {
            return LimitExceededAt(f.offset, "onnx: metadata_props at offset {}: {}",
                                   f.offset,
                                   LimitMessage("max_entries", limits_.max_entries));
          }
          out_->metadata_props.push_back(kv);
          break;
        }
        case 20:
          MATS_RETURN_IF_ERROR(Push(Kind::kTrainingInfo, f, w.depth, "training_info"));
          break;
        case 25:
          MATS_RETURN_IF_ERROR(Push(Kind::kFunction, f, w.depth, "function"));
          break;
        default:
          break;  // producer_version, domain, model_version, doc_string ...
      }
    }
    return Status::Ok();
  }

  Status TrainingInfo(const Work& w) {
    WireReader r = Reader(w);
    WireField f;
    while (true) {
      MATS_ASSIGN_OR_RETURN(bool more, r.Next(&f));
      if (!more) break;
      if (f.number == 1 || f.number == 2) {
        MATS_RETURN_IF_ERROR(Push(Kind::kGraph, f, w.depth, "training graph"));
      }
    }
    return Status::Ok();
  }

  Status CountGraph(uint64_t offset) {
    if (++out_->graph_count > limits_.max_entries) {
      return LimitExceededAt(offset, "onnx: graphs at offset {}: {}", offset,
                             LimitMessage("max_entries", limits_.max_entries));
    }
    return Status::Ok();
  }

  Status Graph(const Work& w) {
    MATS_RETURN_IF_ERROR(CountGraph(w.base));
    WireReader r = Reader(w);
    WireField f;
    while (true) {
      MATS_ASSIGN_OR_RETURN(bool more, r.Next(&f));
      if (!more) break;
      switch (f.number) {
        case 1:
          MATS_RETURN_IF_ERROR(Push(Kind::kNode, f, w.depth, "node"));
          break;
        case 5:
          MATS_RETURN_IF_ERROR(Push(Kind::kTensor, f, w.depth, "initializer"));
          break;
        case 15:
          MATS_RETURN_IF_ERROR(
              Push(Kind::kSparseTensor, f, w.depth, "sparse_initializer"));
          break;
        default:
          break;  // name, doc_string, input/output/value_info (types only)
      }
    }
    return Status::Ok();
  }

  Status Function(const Work& w) {
    WireReader r = Reader(w);
    WireField f;
    std::pair<std::string_view, std::string_view> id;  // (domain, name)
    while (true) {
      MATS_ASSIGN_OR_RETURN(bool more, r.Next(&f));
      if (!more) break;
      switch (f.number) {
        case 1:
          {
            MATS_ASSIGN_OR_RETURN(id.second, Str(f, "onnx: function.name"));
          }
          break;
        case 7:
          MATS_RETURN_IF_ERROR(Push(Kind::kNode, f, w.depth, "function node"));
          break;
        case 9:
          MATS_RETURN_IF_ERROR(Opset(f));
          break;
        case 10:
          {
            MATS_ASSIGN_OR_RETURN(id.first, Str(f, "onnx: function.domain"));
          }
          break;
        case 11:
          MATS_RETURN_IF_ERROR(Push(Kind::kAttribute, f, w.depth, "function attribute"));
          break;
        default:
          break;
      }
    }
    if (out_->functions.size() >= limits_.max_entries) {
      return LimitExceededAt(w.base, "onnx: functions at offset {}: {}", w.base,
                             LimitMessage("max_entries", limits_.max_entries));
    }
    out_->functions.push_back(id);
    return Status::Ok();
  }

  Status Node(const Work& w) {
    if (++out_->node_count > limits_.max_entries) {
      return LimitExceededAt(w.base, "onnx: nodes at offset {}: {}", w.base,
                             LimitMessage("max_entries", limits_.max_entries));
    }
    WireReader r = Reader(w);
    WireField f;
    std::string_view op_type;
    std::string_view domain;
    while (true) {
      MATS_ASSIGN_OR_RETURN(bool more, r.Next(&f));
      if (!more) break;
      switch (f.number) {
        case 4:
          {
            MATS_ASSIGN_OR_RETURN(op_type, Str(f, "onnx: node.op_type"));
          }
          break;
        case 7:
          {
            MATS_ASSIGN_OR_RETURN(domain, Str(f, "onnx: node.domain"));
          }
          break;
        case 5:
          MATS_RETURN_IF_ERROR(Push(Kind::kAttribute, f, w.depth, "attribute"));
          break;
        default:
          break;  // input, output, name, doc_string, overload
      }
    }
    OnnxOpUse& use = out_->ops[{std::string(domain), std::string(op_type)}];
    if (use.count == 0) use.first_offset = w.base;
    ++use.count;
    return Status::Ok();
  }

  void CheckLibraryString(std::string_view key, const WireField& f) {
    std::string_view s = f.chars();
    if (LooksLikeSharedLibrary(s) && out_->library_hints.size() < limits_.max_entries) {
      out_->library_hints.push_back({key, s, f.value_offset});
    }
  }

  Status Attribute(const Work& w) {
    WireReader r = Reader(w);
    WireField f;
    std::string_view name;
    std::vector<WireField> strings;
    while (true) {
      MATS_ASSIGN_OR_RETURN(bool more, r.Next(&f));
      if (!more) break;
      switch (f.number) {
        case 1:
          {
            MATS_ASSIGN_OR_RETURN(name, Str(f, "onnx: attribute.name"));
          }
          break;
        case 4:
        case 9:
          MATS_RETURN_IF_ERROR(
              protobuf::ExpectType(f, WireType::kLen, "onnx: attribute string"));
          if (strings.size() < 64) strings.push_back(f);
          break;
        case 5:
        case 10:
          MATS_RETURN_IF_ERROR(Push(Kind::kTensor, f, w.depth, "attribute tensor"));
          break;
        case 6:
        case 11:
          MATS_RETURN_IF_ERROR(Push(Kind::kGraph, f, w.depth, "attribute graph"));
          break;
        case 22:
        case 23:
          MATS_RETURN_IF_ERROR(
              Push(Kind::kSparseTensor, f, w.depth, "attribute sparse tensor"));
          break;
        default:
          break;
      }
    }
    for (const WireField& s : strings) CheckLibraryString(name, s);
    return Status::Ok();
  }

  Status SparseTensor(const Work& w) {
    WireReader r = Reader(w);
    WireField f;
    while (true) {
      MATS_ASSIGN_OR_RETURN(bool more, r.Next(&f));
      if (!more) break;
      if (f.number == 1 || f.number == 2) {
        MATS_RETURN_IF_ERROR(Push(Kind::kTensor, f, w.depth, "sparse tensor part"));
      }
    }
    return Status::Ok();
  }

  Status AddTypedCount(OnnxTensor& t, const WireField& f, uint64_t n) {
    if (!CheckedAdd(t.typed_values, n, &t.typed_values)) {
      return Malformed(f.offset, "onnx: tensor value count overflows at offset {}",
                       f.offset);
    }
    if (t.typed_field_number != f.number) {
      ++t.typed_fields;
      t.typed_field_number = f.number;
    }
    return Status::Ok();
  }

  Status Tensor(const Work& w) {
    if (out_->tensors.size() >= limits_.max_entries) {
      return LimitExceededAt(w.base, "onnx: tensors at offset {}: {}", w.base,
                             LimitMessage("max_entries", limits_.max_entries));
    }
    OnnxTensor t;
    t.offset = w.base;
    WireReader r = Reader(w);
    WireField f;
    std::vector<uint64_t> dims;
    while (true) {
      MATS_ASSIGN_OR_RETURN(bool more, r.Next(&f));
      if (!more) break;
      switch (f.number) {
        case 1:
          MATS_RETURN_IF_ERROR(protobuf::AppendVarints(f, limits_.max_entries, &dims));
          break;
        case 2: {
          int64_t dt = 0;
          MATS_RETURN_IF_ERROR(Varint(f, "onnx: tensor.data_type", &dt));
          t.data_type = static_cast<int32_t>(dt);
          break;
        }
        case 3:
          t.has_segment = true;
          break;
        case 4:  // float_data, packed fixed32
          if (f.type == WireType::kFixed32) {
            MATS_RETURN_IF_ERROR(AddTypedCount(t, f, 1));
          } else {
            MATS_RETURN_IF_ERROR(protobuf::ExpectType(f, WireType::kLen, "onnx: float_data"));
            if (f.bytes.size() % 4 != 0) {
              return Malformed(f.offset, "onnx: float_data at offset {} has {} bytes, "
                               "want a multiple of 4", f.offset, f.bytes.size());
            }
            MATS_RETURN_IF_ERROR(AddTypedCount(t, f, f.bytes.size() / 4));
          }
          break;
        case 10:  // double_data, packed fixed64
          if (f.type == WireType::kFixed64) {
            MATS_RETURN_IF_ERROR(AddTypedCount(t, f, 1));
          } else {
            MATS_RETURN_IF_ERROR(protobuf::ExpectType(f, WireType::kLen, "onnx: double_data"));
            if (f.bytes.size() % 8 != 0) {
              return Malformed(f.offset, "onnx: double_data at offset {} has {} bytes, "
                               "want a multiple of 8", f.offset, f.bytes.size());
            }
            MATS_RETURN_IF_ERROR(AddTypedCount(t, f, f.bytes.size() / 8));
          }
          break;
        case 5:   // int32_data
        case 7:   // int64_data
        case 11: {  // uint64_data
          MATS_ASSIGN_OR_RETURN(uint64_t n, protobuf::CountPackedVarints(f));
          MATS_RETURN_IF_ERROR(AddTypedCount(t, f, n));
          break;
        }
        case 6:  // string_data, one element per field
          MATS_RETURN_IF_ERROR(protobuf::ExpectType(f, WireType::kLen, "onnx: string_data"));
          MATS_RETURN_IF_ERROR(AddTypedCount(t, f, 1));
          break;
        case 8:
          {
            MATS_ASSIGN_OR_RETURN(t.name, Str(f, "onnx: tensor.name"));
          }
          break;
        case 9:
          MATS_RETURN_IF_ERROR(protobuf::ExpectType(f, WireType::kLen, "onnx: raw_data"));
          t.has_raw_data = true;
          t.raw_data_size = f.bytes.size();
          break;
        case 13: {
          std::pair<std::string_view, std::string_view> kv;
          MATS_RETURN_IF_ERROR(StringEntry(f, "onnx: external_data", &kv));
          if (t.external_data.size() >= 64) {
            return LimitExceededAt(f.offset,
                                   "onnx: more than 64 external_data entries at offset {}",
                                   f.offset);
          }
          t.external_data.push_back(kv);
          break;
        }
        case 14:
          MATS_RETURN_IF_ERROR(Varint(f, "onnx: tensor.data_location", &t.data_location));
          break;
        default:
          break;
      }
    }
    t.dims.reserve(dims.size());
    for (uint64_t d : dims) t.dims.push_back(static_cast<int64_t>(d));
    out_->tensors.push_back(std::move(t));
    return Status::Ok();
  }

  const Limits& limits_;
  OnnxModel* out_;
  std::vector<Work> stack_;
  Status first_error_;
};

}  // namespace

uint32_t OnnxElementBits(int32_t data_type) {
  switch (data_type) {
    case 1: return 32;    // FLOAT
    case 2: return 8;     // UINT8
    case 3: return 8;     // INT8
    case 4: return 16;    // UINT16
    case 5: return 16;    // INT16
    case 6: return 32;    // INT32
    case 7: return 64;    // INT64
    case 9: return 8;     // BOOL
    case 10: return 16;   // FLOAT16
    case 11: return 64;   // DOUBLE
    case 12: return 32;   // UINT32
    case 13: return 64;   // UINT64
    case 14: return 64;   // COMPLEX64
    case 15: return 128;  // COMPLEX128
    case 16: return 16;   // BFLOAT16
    case 17: case 18: case 19: case 20: return 8;  // FLOAT8 variants
    case 21: case 22: case 23: return 4;           // UINT4, INT4, FLOAT4E2M1
    default: return 0;    // UNDEFINED, STRING, unknown
  }
}

Status ParseOnnx(ByteSpan data, const Limits& limits, OnnxModel* out) {
  Walker w(limits, out);
  return w.Run(data);
}

}  // namespace mats::onnx
