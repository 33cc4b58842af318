#include "server/http_server.h"

#include <chrono>
#include <exception>

#include "mats/core/encoding.h"
#include "mats/core/json.h"
#include "mats/core/log.h"
#include "mats/server/log_server.h"

namespace mats::server::internal {

HttpServerCore::HttpServerCore(size_t threads, size_t max_payload_bytes) {
  // httplib owns the queue it gets from this factory (its API takes a raw
  // pointer and deletes it).
  server_.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };  // NOLINT
  server_.set_payload_max_length(max_payload_bytes);
  server_.set_keep_alive_max_count(100'000);
  // Idle keep-alive connections are closed after 5 s; Stop() waits for them.
  server_.set_keep_alive_timeout(5);
  server_.set_read_timeout(30, 0);
  server_.set_write_timeout(30, 0);
  server_.set_tcp_nodelay(true);
  server_.set_exception_handler(
      [](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
        SendJsonError(res, 500, "internal error");
      });
  server_.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (res.body.empty()) {
      std::string msg;
      switch (res.status) {
        case 404: msg = "not found"; break;
        case 413: msg = "request body too large"; break;
        case 414: msg = "request uri too long"; break;
        case 405: msg = "method not allowed"; break;
        default: msg = fmt::format("http status {}", res.status);
      }
      SendJsonError(res, res.status, msg);
    }
  });
}

HttpServerCore::~HttpServerCore() { Stop(); }

Result<uint16_t> HttpServerCore::Start(const std::string& host, uint16_t port) {
  try {
    int bound = 0;
    if (port == 0) {
      bound = server_.bind_to_any_port(host);
    } else {
      bound = server_.bind_to_port(host, port) ? port : -1;
    }
    if (bound <= 0) return IoError("server: cannot listen on {}:{}", host, port);
    port_ = static_cast<uint16_t>(bound);
    thread_ = std::thread([this] {
      try {
        server_.listen_after_bind();
      } catch (const std::exception& e) {
        MATS_LOG_WARN("server: listener stopped: {}", e.what());
      }
      std::lock_guard<std::mutex> lock(mu_);
      stopped_ = true;
      cv_.notify_all();
    });
    // httplib's stop() is a no-op until the listener runs: wait for it so
    // that an early Stop() cannot leave the accept thread running forever.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!server_.is_running()) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (stopped_) return IoError("server: listener on {}:{} exited at once", host, port_);
      }
      if (std::chrono::steady_clock::now() > deadline) {
        return Internal("server: listener on {}:{} did not start", host, port_);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return port_;
  } catch (const std::exception& e) {
    return IoError("server: cannot listen on {}:{}: {}", host, port, EscapePreview(e.what()));
  }
}

void HttpServerCore::Stop() {
  try {
    server_.stop();
  } catch (const std::exception&) {
  }
  if (thread_.joinable()) thread_.join();
}

void HttpServerCore::Wait() {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [this] { return stopped_; });
}

httplib::Server::Handler Fenced(
    std::function<void(const httplib::Request&, httplib::Response&)> fn) {
  return [fn = std::move(fn)](const httplib::Request& req, httplib::Response& res) {
    try {
      fn(req, res);
    } catch (const std::exception& e) {
      MATS_LOG_WARN("server: handler exception: {}", EscapePreview(e.what()));
      SendJsonError(res, 500, "internal error");
    } catch (...) {
      SendJsonError(res, 500, "internal error");
    }
  };
}

void SendText(httplib::Response& res, int status, std::string_view text,
              std::string_view content_type) {
  res.status = status;
  res.set_content(std::string(text), std::string(content_type).c_str());
}

void SendJson(httplib::Response& res, int status, const nlohmann::json& body) {
  res.status = status;
  res.set_content(DumpJson(body) + "\n", "application/json");
}

void SendJsonError(httplib::Response& res, int status, std::string_view message) {
  SendJson(res, status, nlohmann::json{{"error", EscapePreview(message, 512)}});
}

int HttpStatusFor(const Status& s) {
  switch (s.code()) {
    case ErrorCode::kOk: return 200;
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kMalformed: return 400;
    case ErrorCode::kNotFound: return 404;
    case ErrorCode::kLimitExceeded: return 503;
    case ErrorCode::kUnsupported: return 415;
    case ErrorCode::kVerificationFailed:
    case ErrorCode::kIo:
    case ErrorCode::kInternal: return 503;
  }
  return 500;
}

}  // namespace mats::server::internal

namespace mats::server {

Result<uint64_t> ParseDecimalU64(std::string_view text, std::string_view what) {
  if (text.empty()) return InvalidArgument("{}: empty number", what);
  if (text.size() > 20) return InvalidArgument("{}: number too long ({} digits)", what, text.size());
  if (text.size() > 1 && text[0] == '0') {
    return InvalidArgument("{}: leading zeros in \"{}\"", what, EscapePreview(text));
  }
  uint64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') {
      return InvalidArgument("{}: \"{}\" is not a decimal number", what, EscapePreview(text));
    }
    uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) return InvalidArgument("{}: number overflows uint64", what);
    v = v * 10 + d;
  }
  return v;
}

}  // namespace mats::server
