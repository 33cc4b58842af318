#include "mats/sign/bundle.h"

#include "mats/core/encoding.h"
#include "mats/core/json.h"

namespace mats::sign {

using nlohmann::json;

Bytes Pae(std::string_view payload_type, ByteSpan payload) {
  std::string head = fmt::format("DSSEv1 {} {} {} ", payload_type.size(), payload_type,
                                 payload.size());
  Bytes out(head.begin(), head.end());
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

std::string SerializeBundle(const Bundle& b) {
  json vm = json::object();
  switch (b.kind) {
    case MaterialKind::kPublicKey:
      vm["publicKey"] = {{"hint", b.hint}};
      break;
    case MaterialKind::kX509CertificateChain: {
      json certs = json::array();
      for (const Bytes& c : b.certificates) certs.push_back({{"rawBytes", Base64Encode(c)}});
      vm["x509CertificateChain"] = {{"certificates", certs}};
      break;
    }
    case MaterialKind::kCertificate:
      vm["certificate"] = {
          {"rawBytes", b.certificates.empty() ? "" : Base64Encode(b.certificates[0])}};
      break;
  }
  auto tlog = ParseJson(b.tlog_entries_json);
  vm["tlogEntries"] = tlog.ok() ? *tlog : json::array();
  json env = {{"payload", Base64Encode(b.payload)},
              {"payloadType", b.payload_type},
              {"signatures", json::array({{{"sig", Base64Encode(b.signature)},
                                           {"keyid", b.keyid}}})}};
  json doc = {{"mediaType", b.media_type},
              {"verificationMaterial", vm},
              {"dsseEnvelope", env}};
  return DumpJson(doc, 2) + "\n";
}

namespace {

Result<Bytes> DecodeB64Field(const json& obj, std::string_view field, std::string_view where) {
  auto it = obj.find(field);
  if (it == obj.end() || !it->is_string())
    return Malformed(0, "bundle: {}.{} missing or not a string", where, field);
  auto raw = Base64Decode(it->get_ref<const std::string&>());
  if (!raw.ok())
    return Malformed(0, "bundle: {}.{} is not valid base64: {}", where, field,
                     raw.status().message());
  return std::move(raw).value();
}

Status OnlyKeys(const json& obj, std::initializer_list<std::string_view> allowed,
                std::string_view where) {
  for (auto& [k, v] : obj.items()) {
    bool ok = false;
    for (std::string_view a : allowed) ok = ok || k == a;
    if (!ok)
      return Malformed(0, "bundle: unknown field {}.{}", where, EscapePreview(k));
  }
  return Status::Ok();
}

}  // namespace

Result<Bundle> ParseBundle(std::string_view text, const Limits& limits) {
  uint64_t cap = std::min<uint64_t>(kMaxBundleBytes, limits.max_json_bytes);
  if (text.size() > cap)
    return LimitExceeded("bundle: signature file has {} bytes: {}", text.size(),
                         LimitMessage("max_json_bytes", cap));
  MATS_ASSIGN_OR_RETURN(json doc, ParseJson(text, {.max_depth = std::min<uint32_t>(limits.max_depth, 64),
                                                   .what = "bundle"}));
  if (!doc.is_object()) return Malformed(0, "bundle: top level is not a JSON object");
  MATS_RETURN_IF_ERROR(OnlyKeys(doc, {"mediaType", "verificationMaterial", "dsseEnvelope"}, "bundle"));
  Bundle b;
  auto mt = doc.find("mediaType");
  if (mt == doc.end() || !mt->is_string()) return Malformed(0, "bundle: mediaType missing");
  b.media_type = mt->get<std::string>();
  if (b.media_type != kBundleMediaType &&
      b.media_type != "application/vnd.dev.sigstore.bundle+json;version=0.2" &&
      b.media_type != "application/vnd.dev.sigstore.bundle+json;version=0.3")
    return Unsupported("bundle: mediaType \"{}\" is not a Sigstore bundle v0.3",
                       EscapePreview(b.media_type));

  auto vm_it = doc.find("verificationMaterial");
  if (vm_it == doc.end() || !vm_it->is_object())
    return Malformed(0, "bundle: verificationMaterial missing");
  const json& vm = *vm_it;
  MATS_RETURN_IF_ERROR(OnlyKeys(vm, {"publicKey", "x509CertificateChain", "certificate",
                                     "tlogEntries", "timestampVerificationData"},
                                "verificationMaterial"));
  int kinds = static_cast<int>(vm.contains("publicKey")) +
              static_cast<int>(vm.contains("x509CertificateChain")) +
              static_cast<int>(vm.contains("certificate"));
  if (kinds != 1)
    return Malformed(0, "bundle: verificationMaterial has {} key materials, want exactly 1",
                     kinds);
  if (vm.contains("publicKey")) {
    const json& pk = vm["publicKey"];
    if (!pk.is_object()) return Malformed(0, "bundle: publicKey is not an object");
    b.kind = MaterialKind::kPublicKey;
    if (pk.contains("hint")) {
      if (!pk["hint"].is_string()) return Malformed(0, "bundle: publicKey.hint is not a string");
      b.hint = pk["hint"].get<std::string>();
    }
    b.legacy_raw_key = pk.contains("rawBytes");
  } else if (vm.contains("x509CertificateChain")) {
    const json& ch = vm["x509CertificateChain"];
    if (!ch.is_object() || !ch.contains("certificates") || !ch["certificates"].is_array() ||
        ch["certificates"].empty())
      return Malformed(0, "bundle: x509CertificateChain.certificates missing or empty");
    if (ch["certificates"].size() > 16)
      return LimitExceeded("bundle: certificate chain has {} certificates, at most 16",
                           ch["certificates"].size());
    b.kind = MaterialKind::kX509CertificateChain;
    for (const json& c : ch["certificates"]) {
      if (!c.is_object()) return Malformed(0, "bundle: certificate entry is not an object");
      MATS_ASSIGN_OR_RETURN(Bytes der, DecodeB64Field(c, "rawBytes", "certificates[]"));
      b.certificates.push_back(std::move(der));
    }
  } else {
    const json& c = vm["certificate"];
    if (!c.is_object()) return Malformed(0, "bundle: certificate is not an object");
    b.kind = MaterialKind::kCertificate;
    MATS_ASSIGN_OR_RETURN(Bytes der, DecodeB64Field(c, "rawBytes", "certificate"));
    b.certificates.push_back(std::move(der));
  }
  if (vm.contains("tlogEntries")) {
    if (!vm["tlogEntries"].is_array()) return Malformed(0, "bundle: tlogEntries is not an array");
    b.tlog_entries_json = DumpJson(vm["tlogEntries"]);
  }
  if (vm.contains("timestampVerificationData")) {
    const json& tvd = vm["timestampVerificationData"];
    if (!tvd.is_object()) return Malformed(0, "bundle: timestampVerificationData is not an object");
    MATS_RETURN_IF_ERROR(OnlyKeys(tvd, {"rfc3161Timestamps"}, "timestampVerificationData"));
    if (tvd.contains("rfc3161Timestamps")) {
      const json& list = tvd["rfc3161Timestamps"];
      if (!list.is_array()) return Malformed(0, "bundle: rfc3161Timestamps is not an array");
      if (list.size() > kMaxBundleTimestamps)
        return LimitExceeded("bundle: {} RFC 3161 timestamps, at most {}", list.size(),
                             kMaxBundleTimestamps);
      for (const json& t : list) {
        if (!t.is_object()) return Malformed(0, "bundle: rfc3161Timestamps entry is not an object");
        MATS_ASSIGN_OR_RETURN(Bytes der, DecodeB64Field(t, "signedTimestamp", "rfc3161Timestamps[]"));
        b.rfc3161_timestamps.push_back(std::move(der));
      }
    }
  }

  auto env_it = doc.find("dsseEnvelope");
  if (env_it == doc.end() || !env_it->is_object())
    return Malformed(0, "bundle: dsseEnvelope missing (message signatures are not OMS)");
  const json& env = *env_it;
  MATS_RETURN_IF_ERROR(OnlyKeys(env, {"payload", "payloadType", "signatures"}, "dsseEnvelope"));
  MATS_ASSIGN_OR_RETURN(b.payload, DecodeB64Field(env, "payload", "dsseEnvelope"));
  if (!env.contains("payloadType") || !env["payloadType"].is_string())
    return Malformed(0, "bundle: dsseEnvelope.payloadType missing");
  b.payload_type = env["payloadType"].get<std::string>();
  if (b.payload_type != kInTotoPayloadType)
    return Unsupported("bundle: payloadType \"{}\" is not {}", EscapePreview(b.payload_type),
                       kInTotoPayloadType);
  if (!env.contains("signatures") || !env["signatures"].is_array() ||
      env["signatures"].empty())
    return Malformed(0, "bundle: dsseEnvelope.signatures missing or empty");
  b.signature_count = env["signatures"].size();
  const json& sig = env["signatures"][0];
  if (!sig.is_object()) return Malformed(0, "bundle: signatures[0] is not an object");
  MATS_ASSIGN_OR_RETURN(b.signature, DecodeB64Field(sig, "sig", "signatures[0]"));
  if (b.signature.empty() || b.signature.size() > 512)
    return Malformed(0, "bundle: signature has {} bytes", b.signature.size());
  if (sig.contains("keyid") && sig["keyid"].is_string()) b.keyid = sig["keyid"].get<std::string>();
  return b;
}

}  // namespace mats::sign
