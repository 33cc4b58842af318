// Fuzzes the C2SP signed-note parser and verifier (Go's test key).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mats/core/bytes.h"
#include "mats/tlog/note.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in = mats::AsChars(mats::ByteSpan(data, size));
  mats::tlog::ParseNote(in).status().IgnoreError();
  static auto verifier = mats::tlog::Ed25519NoteVerifier::FromVerifierKey(
      "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW");
  static auto cosigner = mats::tlog::CosignatureVerifier::FromPublicKey(
      "witness", mats::Bytes(32, 0x42));
  if (verifier.ok() && cosigner.ok()) {
    const mats::tlog::NoteVerifier* vs[] = {verifier->get(), cosigner->get()};
    mats::tlog::OpenNote(in, vs).status().IgnoreError();
  }
  // Key strings are parsed from configuration files.
  mats::tlog::Ed25519NoteVerifier::FromVerifierKey(in).status().IgnoreError();
  mats::tlog::CosignatureVerifier::FromVerifierKey(in).status().IgnoreError();
  return 0;
}
