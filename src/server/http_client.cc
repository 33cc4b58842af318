#include "server/http_client.h"

#include <httplib.h>

#include <exception>

#include "mats/core/encoding.h"

namespace mats::server {

namespace {

std::string ErrorName(httplib::Error e) {
  return httplib::to_string(e);
}

}  // namespace

Result<std::unique_ptr<HttpClient>> HttpClient::Create(
    std::string_view base_url, std::chrono::milliseconds timeout,
    uint64_t max_body_bytes) {
  std::string_view rest = base_url;
  std::string scheme;
  if (rest.starts_with("http://")) {
    scheme = "http://";
  } else if (rest.starts_with("https://")) {
    scheme = "https://";
  } else {
    return InvalidArgument("http: url \"{}\" must start with http:// or https://",
                           EscapePreview(base_url));
  }
  rest.remove_prefix(scheme.size());
  size_t slash = rest.find('/');
  std::string host_port(rest.substr(0, slash));
  std::string prefix(slash == std::string_view::npos ? "" : rest.substr(slash));
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  if (host_port.empty() || host_port.find_first_of("@?# ") != std::string::npos) {
    return InvalidArgument("http: bad host in url \"{}\"", EscapePreview(base_url));
  }
  auto c = std::unique_ptr<HttpClient>(new HttpClient());
  c->base_url_ = std::string(base_url);
  c->prefix_ = prefix;
  c->max_body_bytes_ = max_body_bytes;
  try {
    auto hc = std::make_unique<httplib::Client>(scheme + host_port);
    hc->set_keep_alive(true);
    auto secs = std::chrono::duration_cast<std::chrono::seconds>(timeout);
    auto usecs = std::chrono::duration_cast<std::chrono::microseconds>(timeout - secs);
    hc->set_connection_timeout(secs.count(), usecs.count());
    hc->set_read_timeout(secs.count(), usecs.count());
    hc->set_write_timeout(secs.count(), usecs.count());
    if (scheme == "https://") hc->enable_server_certificate_verification(true);
    MutexLock lock(&c->mu_);
    c->client_ = std::move(hc);
  } catch (const std::exception& e) {
    return InvalidArgument("http: cannot create client for \"{}\": {}",
                           EscapePreview(base_url), EscapePreview(e.what()));
  }
  return c;
}

HttpClient::~HttpClient() = default;

Result<HttpResponse> HttpClient::Get(const std::string& path) {
  MutexLock lock(&mu_);
  std::string full = prefix_ + path;
  try {
    std::string body;
    bool too_big = false;
    httplib::Result res = client_->Get(
        full.c_str(), httplib::Headers{},
        [&](const char* data, size_t len) {
          if (body.size() + len > max_body_bytes_) {
            too_big = true;
            return false;
          }
          body.append(data, len);
          return true;
        });
    if (too_big) {
      return IoError("http: GET {}: response larger than {} bytes", full, max_body_bytes_);
    }
    if (!res) return IoError("http: GET {}{}: {}", base_url_, path, ErrorName(res.error()));
    HttpResponse out;
    out.status = res->status;
    out.body = std::move(body);
    out.content_type = res->get_header_value("Content-Type");
    out.cache_control = res->get_header_value("Cache-Control");
    return out;
  } catch (const std::exception& e) {
    return IoError("http: GET {}: {}", full, EscapePreview(e.what()));
  }
}

Result<HttpResponse> HttpClient::Post(
    const std::string& path, const std::string& body,
    const std::string& content_type,
    const std::vector<std::pair<std::string, std::string>>& headers) {
  MutexLock lock(&mu_);
  std::string full = prefix_ + path;
  try {
    httplib::Headers h;
    for (const auto& [k, v] : headers) h.emplace(k, v);
    httplib::Result res = client_->Post(full.c_str(), h, body, content_type.c_str());
    if (!res) return IoError("http: POST {}{}: {}", base_url_, path, ErrorName(res.error()));
    if (res->body.size() > max_body_bytes_) {
      return IoError("http: POST {}: response larger than {} bytes", full, max_body_bytes_);
    }
    HttpResponse out;
    out.status = res->status;
    out.body = std::move(res->body);
    out.content_type = res->get_header_value("Content-Type");
    out.cache_control = res->get_header_value("Cache-Control");
    return out;
  } catch (const std::exception& e) {
    return IoError("http: POST {}: {}", full, EscapePreview(e.what()));
  }
}

}  // namespace mats::server
