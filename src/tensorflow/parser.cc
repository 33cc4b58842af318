// SavedModel / GraphDef / SavedMetadata walkers. Field numbers (see
// docs/formats/tensorflow.md):
//   SavedModel:        saved_model_schema_version=1, meta_graphs=2
//   MetaGraphDef:      meta_info_def=1, graph_def=2, saver_def=3,
//                      collection_def=4, signature_def=5, asset_file_def=6,
//                      object_graph_def=7
//   GraphDef:          node=1, library=2, version=3, versions=4
//   FunctionDefLibrary: function=1, gradient=2, registered_gradients=3
//   FunctionDef:       signature=1 (OpDef: name=1), attr=5, node_def=3, ret=4
//   NodeDef:           name=1, op=2, input=3, device=4, attr=5 (map entry:
//                      key=1, value=2 AttrValue)
//   AttrValue:         list=1 (ListValue: s=2), s=2, i=3, f=4, b=5, type=6,
//                      shape=7, tensor=8, placeholder=9, func=10
//   SavedMetadata:     nodes=1; SavedObject: node_id=2, node_path=3,
//                      identifier=4, metadata=5, version=6
#include <algorithm>
#include <array>
#include <vector>

#include "mats/protobuf/wire.h"
#include "mats/tensorflow/tensorflow.h"

namespace mats::tensorflow {
namespace {

using protobuf::WireField;
using protobuf::WireReader;
using protobuf::WireType;

constexpr std::string_view kStandardOps[] = {
#include "tensorflow/standard_ops.inc"
};

constexpr std::array<std::string_view, 5> kInterestingAttrs = {
    "output_stream", "token", "memory_region_name", "debug_urls", "file_path"};

enum class Kind : uint8_t { kSavedModel, kMetaGraph, kGraph, kLibrary, kFunction, kNode };

struct Work {
  Kind kind;
  ByteSpan bytes;
  uint64_t base;
  uint32_t depth;
  std::string_view function;  // enclosing function name for kNode
};

class Walker {
 public:
  Walker(const Limits& limits, TfGraph* out) : limits_(limits), out_(out) {}

  Status Run(ByteSpan data, Kind root) {
    MATS_RETURN_IF_ERROR(protobuf::CheckMessageSize(data, "tensorflow"));
    stack_.push_back({root, data, 0, 0, {}});
    while (!stack_.empty()) {
      Work w = stack_.back();
      stack_.pop_back();
      switch (w.kind) {
        case Kind::kSavedModel: Keep(SavedModel(w)); break;
        case Kind::kMetaGraph: Keep(MetaGraph(w)); break;
        case Kind::kGraph: Keep(Graph(w)); break;
        case Kind::kLibrary: Keep(Library(w)); break;
        case Kind::kFunction: Keep(Function(w)); break;
        case Kind::kNode: Keep(Node(w)); break;
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

  Status Push(Kind kind, const WireField& f, const Work& parent, std::string_view what,
              std::string_view function = {}) {
    MATS_RETURN_IF_ERROR(protobuf::ExpectType(f, WireType::kLen, what));
    const uint32_t depth = parent.depth + 1;
    if (depth > limits_.max_depth) {
      return LimitExceededAt(f.offset, "{} nested at offset {}: {}", what, f.offset,
                             LimitMessage("max_depth", limits_.max_depth));
    }
    stack_.push_back({kind, f.bytes, f.value_offset, depth, function});
    return Status::Ok();
  }

  WireReader Reader(const Work& w) const { return WireReader(w.bytes, w.base, limits_.max_depth); }

  Status SavedModel(const Work& w) {
    WireReader r = Reader(w);
    WireField f;
    while (true) {
      MATS_ASSIGN_OR_RETURN(bool more, r.Next(&f));
      if (!more) break;
      if (f.number == 1) {
        MATS_RETURN_IF_ERROR(
            protobuf::ExpectType(f, WireType::kVarint, "tf: saved_model_schema_version"));
      } else if (f.number == 2) {
        if (++out_->meta_graph_count > limits_.max_entries) {
          return LimitExceededAt(f.offset, "tf: meta_graphs at offset {}: {}", f.offset,
                                 LimitMessage("max_entries", limits_.max_entries));
        }
        MATS_RETURN_IF_ERROR(Push(Kind::kMetaGraph, f, w, "tf: meta_graph"));
      }
    }
    return Status::Ok();
  }

  Status MetaGraph(const Work& w) {
    WireReader r = Reader(w);
    WireField f;
    while (true) {
      MATS_ASSIGN_OR_RETURN(bool more, r.Next(&f));
      if (!more) break;
      if (f.number == 2) MATS_RETURN_IF_ERROR(Push(Kind::kGraph, f, w, "tf: graph_def"));
    }
    return Status::Ok();
  }

  Status Graph(const Work& w) {
    WireReader r = Reader(w);
    WireField f;
    while (true) {
      MATS_ASSIGN_OR_RETURN(bool more, r.Next(&f));
      if (!more) break;
      if (f.number == 1) {
        MATS_RETURN_IF_ERROR(Push(Kind::kNode, f, w, "tf: node"));
      } else if (f.number == 2) {
        MATS_RETURN_IF_ERROR(Push(Kind::kLibrary, f, w, "tf: library"));
      }
    }
    return Status::Ok();
  }

  Status Library(const Work& w) {
    WireReader r = Reader(w);
    WireField f;
    while (true) {
      MATS_ASSIGN_OR_RETURN(bool more, r.Next(&f));
      if (!more) break;
      if (f.number == 1) MATS_RETURN_IF_ERROR(Push(Kind::kFunction, f, w, "tf: function"));
    }
    return Status::Ok();
  }

  Status Function(const Work& w) {
    // The signature (field 1) may come after the nodes: find the name first.
    std::string_view name;
    {
      WireReader r = Reader(w);
      WireField f;
      while (true) {
        MATS_ASSIGN_OR_RETURN(bool more, r.Next(&f));
        if (!more) break;
        if (f.number != 1) continue;
        MATS_RETURN_IF_ERROR(protobuf::ExpectType(f, WireType::kLen, "tf: function signature"));
        WireReader s(f.bytes, f.value_offset, limits_.max_depth);
        WireField g;
        while (true) {
          MATS_ASSIGN_OR_RETURN(bool more_sig, s.Next(&g));
          if (!more_sig) break;
          if (g.number == 1) {
            MATS_ASSIGN_OR_RETURN(name, protobuf::FieldString(g, limits_, "tf: function name"));
          }
        }
      }
    }
    if (out_->functions.size() >= limits_.max_entries) {
      return LimitExceededAt(w.base, "tf: functions at offset {}: {}", w.base,
                             LimitMessage("max_entries", limits_.max_entries));
    }
    out_->functions.push_back(name);
    WireReader r = Reader(w);
    WireField f;
    while (true) {
      MATS_ASSIGN_OR_RETURN(bool more, r.Next(&f));
      if (!more) break;
      if (f.number == 3) {
        MATS_RETURN_IF_ERROR(Push(Kind::kNode, f, w, "tf: function node", name));
      }
    }
    return Status::Ok();
  }

  // Reads AttrValue.s or AttrValue.list.s values of an attribute.
  Status AttrStrings(const WireField& value, std::string_view node, std::string_view op,
                     std::string_view key) {
    WireReader r(value.bytes, value.value_offset, limits_.max_depth);
    WireField f;
    while (true) {
      MATS_ASSIGN_OR_RETURN(bool more, r.Next(&f));
      if (!more) break;
      if (f.number == 2) {
        MATS_ASSIGN_OR_RETURN(std::string_view s, protobuf::FieldString(f, limits_, "tf: attr s"));
        MATS_RETURN_IF_ERROR(AddAttr({node, op, key, s, f.value_offset}));
      } else if (f.number == 1) {
        MATS_RETURN_IF_ERROR(protobuf::ExpectType(f, WireType::kLen, "tf: attr list"));
        WireReader l(f.bytes, f.value_offset, limits_.max_depth);
        WireField g;
        while (true) {
          MATS_ASSIGN_OR_RETURN(bool more_list, l.Next(&g));
          if (!more_list) break;
          if (g.number != 2) continue;
          MATS_ASSIGN_OR_RETURN(std::string_view s,
                                protobuf::FieldString(g, limits_, "tf: attr list s"));
          MATS_RETURN_IF_ERROR(AddAttr({node, op, key, s, g.value_offset}));
        }
      }
    }
    return Status::Ok();
  }

  Status AddAttr(const TfStringAttr& a) {
    if (out_->attrs.size() >= limits_.max_entries) {
      return LimitExceededAt(a.offset, "tf: string attributes at offset {}: {}", a.offset,
                             LimitMessage("max_entries", limits_.max_entries));
    }
    out_->attrs.push_back(a);
    return Status::Ok();
  }

  Status Node(const Work& w) {
    if (++out_->node_count > limits_.max_entries) {
      return LimitExceededAt(w.base, "tf: nodes at offset {}: {}", w.base,
                             LimitMessage("max_entries", limits_.max_entries));
    }
    WireReader r = Reader(w);
    WireField f;
    std::string_view name;
    std::string_view op;
    std::vector<WireField> attrs;
    while (true) {
      MATS_ASSIGN_OR_RETURN(bool more, r.Next(&f));
      if (!more) break;
      if (f.number == 1) {
        MATS_ASSIGN_OR_RETURN(name, protobuf::FieldString(f, limits_, "tf: node name"));
      } else if (f.number == 2) {
        MATS_ASSIGN_OR_RETURN(op, protobuf::FieldString(f, limits_, "tf: node op"));
      } else if (f.number == 5) {
        MATS_RETURN_IF_ERROR(protobuf::ExpectType(f, WireType::kLen, "tf: node attr"));
        attrs.push_back(f);
      }
    }
    for (const WireField& entry : attrs) {
      WireReader e(entry.bytes, entry.value_offset, limits_.max_depth);
      WireField g;
      std::string_view key;
      WireField value;
      bool has_value = false;
      while (true) {
        MATS_ASSIGN_OR_RETURN(bool more, e.Next(&g));
        if (!more) break;
        if (g.number == 1) {
          MATS_ASSIGN_OR_RETURN(key, protobuf::FieldString(g, limits_, "tf: attr key"));
        } else if (g.number == 2) {
          MATS_RETURN_IF_ERROR(protobuf::ExpectType(g, WireType::kLen, "tf: attr value"));
          value = g;
          has_value = true;
        }
      }
      if (has_value && std::find(kInterestingAttrs.begin(), kInterestingAttrs.end(), key) !=
                           kInterestingAttrs.end()) {
        MATS_RETURN_IF_ERROR(AttrStrings(value, name, op, key));
      }
    }
    auto it = out_->ops.find(op);
    if (it == out_->ops.end()) {
      TfOpUse use;
      use.first_offset = w.base;
      use.first_node = std::string(name);
      use.first_function = std::string(w.function);
      it = out_->ops.emplace(std::string(op), std::move(use)).first;
    }
    ++it->second.count;
    return Status::Ok();
  }

  const Limits& limits_;
  TfGraph* out_;
  std::vector<Work> stack_;
  Status first_error_;
};

}  // namespace

std::span<const std::string_view> StandardTfOps() { return kStandardOps; }

bool IsStandardTfOp(std::string_view op) {
  return std::binary_search(std::begin(kStandardOps), std::end(kStandardOps), op);
}

Status ParseGraphDef(ByteSpan data, const Limits& limits, TfGraph* out) {
  return Walker(limits, out).Run(data, Kind::kGraph);
}

Status ParseSavedModel(ByteSpan data, const Limits& limits, TfGraph* out) {
  return Walker(limits, out).Run(data, Kind::kSavedModel);
}

Status ParseKerasMetadata(ByteSpan data, const Limits& limits, std::vector<KerasObject>* out) {
  MATS_RETURN_IF_ERROR(protobuf::CheckMessageSize(data, "keras_metadata"));
  WireReader r(data, 0, limits.max_depth);
  WireField f;
  while (true) {
    MATS_ASSIGN_OR_RETURN(bool more, r.Next(&f));
    if (!more) break;
    if (f.number != 1) continue;
    MATS_RETURN_IF_ERROR(protobuf::ExpectType(f, WireType::kLen, "keras_metadata: node"));
    if (out->size() >= limits.max_entries) {
      return LimitExceededAt(f.offset, "keras_metadata: nodes at offset {}: {}", f.offset,
                             LimitMessage("max_entries", limits.max_entries));
    }
    KerasObject o;
    o.offset = f.value_offset;
    WireReader n(f.bytes, f.value_offset, limits.max_depth);
    WireField g;
    while (true) {
      MATS_ASSIGN_OR_RETURN(bool more_node, n.Next(&g));
      if (!more_node) break;
      switch (g.number) {
        case 2:
          MATS_RETURN_IF_ERROR(protobuf::ExpectType(g, WireType::kVarint, "keras_metadata: node_id"));
          o.node_id = static_cast<int64_t>(g.value);
          break;
        case 3: {
          MATS_ASSIGN_OR_RETURN(o.node_path,
                                protobuf::FieldString(g, limits, "keras_metadata: node_path"));
          break;
        }
        case 4: {
          MATS_ASSIGN_OR_RETURN(o.identifier,
                                protobuf::FieldString(g, limits, "keras_metadata: identifier"));
          break;
        }
        case 5: {
          MATS_RETURN_IF_ERROR(protobuf::ExpectType(g, WireType::kLen, "keras_metadata: metadata"));
          if (g.bytes.size() > limits.max_json_bytes) {
            return LimitExceededAt(g.offset, "keras_metadata: metadata at offset {}: {}",
                                   g.offset, LimitMessage("max_json_bytes", limits.max_json_bytes));
          }
          o.metadata = g.chars();
          o.metadata_offset = g.value_offset;
          break;
        }
        default:
          break;
      }
    }
    out->push_back(o);
  }
  return Status::Ok();
}

}  // namespace mats::tensorflow
