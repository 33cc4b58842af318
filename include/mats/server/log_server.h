// The transparency-log HTTP server behind `mats serve`: C2SP tlog-tiles read
// paths as immutable static data, JSON convenience endpoints, and an
// authenticated append endpoint. docs/api/log-api.md and
// docs/api/openapi.yaml describe every route.
//
//   LogServerOptions opts;                 // 127.0.0.1, ephemeral port
//   MATS_ASSIGN_OR_RETURN(auto server, LogServer::Start(*log, tokens, opts));
//   uint16_t port = server->port();
//   ...
//   server->Stop();                        // also done by the destructor
//
// Threads: Start owns an accept thread, a pool of connection threads and,
// when witnesses are configured, a cosigning thread; Stop joins them all.
// Handlers never throw past the server: every exception becomes a 500.
#ifndef MATS_SERVER_LOG_SERVER_H_
#define MATS_SERVER_LOG_SERVER_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mats/core/result.h"
#include "mats/server/tokens.h"
#include "mats/tlog/log.h"

namespace mats::server {

// A witness the log asks for cosignatures (C2SP tlog-witness).
struct WitnessEndpoint {
  std::string url;           // base URL; the server POSTs <url>/add-checkpoint
  std::string verifier_key;  // the witness's cosignature key (type 0x04)
};

struct LogServerOptions {
  std::string host = "127.0.0.1";  // loopback unless told otherwise
  uint16_t port = 0;               // 0 = any free port (see port())
  size_t threads = 64;             // connection threads (one per keep-alive client)
  bool public_read = true;         // false: GETs need a token with scope read
  // The log's verifier key, published at /api/v1/log.
  std::string verifier_key;
  std::chrono::milliseconds append_timeout{30'000};
  std::vector<WitnessEndpoint> witnesses;
  std::chrono::milliseconds witness_interval{500};
};

// One served route, as documented in docs/api/openapi.yaml.
struct RouteInfo {
  std::string_view method;        // "GET", "POST"
  std::string_view openapi_path;  // e.g. "/tile/{level}/{index}"
};

class LogServer {
 public:
  // Binds and starts serving. `log` and `tokens` must outlive the server;
  // `tokens` is read-only while the server runs. kIo when the address cannot
  // be bound, kInvalidArgument for bad options or witness keys.
  static Result<std::unique_ptr<LogServer>> Start(tlog::Log& log, const TokenStore& tokens,
                                                  LogServerOptions options);
  ~LogServer();
  LogServer(const LogServer&) = delete;
  LogServer& operator=(const LogServer&) = delete;

  uint16_t port() const;
  // Stops accepting, finishes running requests, joins the threads. Idempotent.
  void Stop();
  // Blocks until Stop() is called from another thread (or a signal handler
  // thread) and the server has stopped.
  void Wait();

  // Every route the log server serves.
  static std::span<const RouteInfo> Routes();

  class Impl;

 private:
  explicit LogServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Strict decimal uint64 for URL parameters: digits only, no sign, no leading
// zeros (except "0"), at most 20 digits, no overflow. kInvalidArgument.
Result<uint64_t> ParseDecimalU64(std::string_view text, std::string_view what);

}  // namespace mats::server

#endif  // MATS_SERVER_LOG_SERVER_H_
