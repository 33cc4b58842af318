// Fuzzes the witness's add-checkpoint request parser and checks: arbitrary
// bodies (old line, proof lines, note) never crash and never get a 200.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "mats/core/bytes.h"
#include "mats/server/witness.h"
#include "mats/tlog/note.h"

namespace {

mats::server::Witness* GetWitness() {
  static std::unique_ptr<mats::server::Witness> witness = [] {
    auto log = mats::tlog::Ed25519NoteSigner::FromSeed("fuzz.test/log", mats::Bytes(32, 1));
    auto cos = mats::tlog::CosignatureSigner::FromSeed("fuzz.test/witness", mats::Bytes(32, 2));
    if (!log.ok() || !cos.ok()) std::abort();
    // State goes to a scratch file; a fuzzed body cannot carry a valid log
    // signature, so it is never written.
    auto w = mats::server::Witness::Create(std::move(*cos), {(*log)->VerifierKey()},
                                           "/tmp/mats-fuzz-witness-state.json");
    if (!w.ok()) std::abort();
    return std::move(*w);
  }();
  return witness.get();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);  // NOLINT
  mats::server::WitnessAnswer a = GetWitness()->AddCheckpoint(body);
  if (a.status == 200 || a.status < 400 || a.status > 499) std::abort();
  return 0;
}
