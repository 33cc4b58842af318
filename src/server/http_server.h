// Shared cpp-httplib server plumbing for the log server and the witness:
// binding, the accept thread, the connection pool, exception fencing and
// small response helpers. Private to src/server.
#ifndef MATS_SERVER_HTTP_SERVER_H_
#define MATS_SERVER_HTTP_SERVER_H_

#include <httplib.h>

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <thread>

#include "mats/core/result.h"

namespace mats::server::internal {

inline constexpr std::string_view kImmutableCache = "public, max-age=31536000, immutable";
inline constexpr std::string_view kNoCache = "no-cache";

// Owns an httplib::Server and its accept thread.
class HttpServerCore {
 public:
  HttpServerCore(size_t threads, size_t max_payload_bytes);
  ~HttpServerCore();
  httplib::Server& http() { return server_; }

  // Binds host:port (port 0 = any) and starts the accept thread. kIo.
  Result<uint16_t> Start(const std::string& host, uint16_t port);
  void Stop();
  void Wait();
  uint16_t port() const { return port_; }

 private:
  httplib::Server server_;
  std::thread thread_;
  uint16_t port_ = 0;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopped_ = false;
};

// Wraps a handler so that no exception escapes (answers 500).
httplib::Server::Handler Fenced(std::function<void(const httplib::Request&, httplib::Response&)> fn);

void SendText(httplib::Response& res, int status, std::string_view text,
              std::string_view content_type = "text/plain; charset=utf-8");
void SendJson(httplib::Response& res, int status, const nlohmann::json& body);
// {"error": message} with the status; message escaped for safety.
void SendJsonError(httplib::Response& res, int status, std::string_view message);
// The HTTP status for a Status from the library.
int HttpStatusFor(const Status& s);

}  // namespace mats::server::internal

#endif  // MATS_SERVER_HTTP_SERVER_H_
