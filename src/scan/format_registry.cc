// The list of format handlers, in order of detection precedence.
// Each format module adds its include and its handler here (one line each).
#include <array>

#include "mats/scan/registry.h"
#include "scan/builtin_formats.h"
// format includes: one line per module
#include "mats/onnx/onnx.h"
#include "mats/tensorflow/tensorflow.h"
#include "mats/tflite/tflite.h"
#include "mats/hdf5/hdf5.h"
#include "mats/keras/keras.h"
#include "mats/repo/repo.h"
#include "mats/archive/archive.h"
#include "mats/numpy/npy.h"
#include "mats/zip/zip.h"
#include "mats/gguf/gguf.h"
#include "mats/jinja/jinja.h"
#include "mats/safetensors/safetensors.h"
#include "mats/pickle/pickle.h"

namespace mats::scan {

std::span<const FormatHandler* const> AllFormats() {
  static const FormatHandler* const kFormats[] = {
      // Strong-magic containers and formats first; add handlers here.
      &zip::ZipHandler(), &numpy::NpyHandler(),
      &archive::SevenZipHandler(), &archive::GzipHandler(), &archive::Bzip2Handler(), &archive::XzHandler(), &archive::ZstdHandler(), &archive::Lz4Handler(), &archive::LzmaHandler(), &archive::TarHandler(), &archive::ZlibHandler(),
      &safetensors::SafetensorsHandler(), &gguf::GgufHandler(),
      &pickle::PickleHandler(),
      &hdf5::Hdf5Handler(),
      &keras::KerasConfigHandler(),
      &repo::HfConfigHandler(), &repo::PythonHandler(),
      &jinja::JinjaHandler(), &jinja::TokenizerConfigHandler(),
      &tflite::TfliteHandler(), &tensorflow::TfKerasMetadataHandler(), &tensorflow::TfSavedModelHandler(), &tensorflow::TfGraphDefHandler(), &onnx::OnnxHandler(),
      // Fallbacks last:
      &TextFormat(),
      &UnknownFormat(),
  };
  return kFormats;
}

const FormatHandler* FindFormat(std::string_view id) {
  for (const FormatHandler* f : AllFormats()) {
    if (f->id == id) return f;
  }
  return nullptr;
}

}  // namespace mats::scan
