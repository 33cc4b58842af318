// Thin adapter over cpp-httplib's client: the only place (with the server
// handlers) where its exceptions are caught. Private to src/server.
//
//   MATS_ASSIGN_OR_RETURN(auto http, HttpClient::Create("http://127.0.0.1:8080/log"));
//   MATS_ASSIGN_OR_RETURN(HttpResponse r, http->Get("/checkpoint"));
#ifndef MATS_SERVER_HTTP_CLIENT_H_
#define MATS_SERVER_HTTP_CLIENT_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mats/core/mutex.h"
#include "mats/core/result.h"

namespace httplib {
class Client;
}

namespace mats::server {

struct HttpResponse {
  int status = 0;
  std::string body;
  std::string content_type;
  std::string cache_control;
};

// A keep-alive HTTP(S) client for one base URL ("http[s]://host[:port][/prefix]").
// Thread-safe: requests are serialised on one connection.
class HttpClient {
 public:
  // kInvalidArgument for a URL that is not http(s)://host[:port][/path].
  static Result<std::unique_ptr<HttpClient>> Create(
      std::string_view base_url,
      std::chrono::milliseconds timeout = std::chrono::seconds(30),
      uint64_t max_body_bytes = 32 << 20);
  ~HttpClient();

  // `path` starts with '/' and is appended to the base prefix. Any HTTP
  // status is a successful Result; kIo for connection errors, timeouts and
  // bodies over max_body_bytes.
  Result<HttpResponse> Get(const std::string& path);
  Result<HttpResponse> Post(
      const std::string& path, const std::string& body,
      const std::string& content_type,
      const std::vector<std::pair<std::string, std::string>>& headers = {});

  const std::string& base_url() const { return base_url_; }

 private:
  HttpClient() = default;
  std::string base_url_;
  std::string prefix_;
  uint64_t max_body_bytes_ = 0;
  Mutex mu_;
  std::unique_ptr<httplib::Client> client_ MATS_GUARDED_BY(mu_);
};

}  // namespace mats::server

#endif  // MATS_SERVER_HTTP_CLIENT_H_
