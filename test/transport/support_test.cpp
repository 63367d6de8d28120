// The test support itself, where no registry is needed: the token issuer (an in-process HTTP
// server), the test PKI, child processes and the raw HTTP helpers. Registries started and
// stopped: test/integration/support_test.cpp.
#include <oras/test/http.hpp>
#include <oras/test/pki.hpp>
#include <oras/test/process.hpp>
#include <oras/test/temp_dir.hpp>
#include <oras/test/token_issuer.hpp>

#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

namespace {

using namespace oras::test;

// A raw loopback TCP connection with a receive timeout, for what http_request cannot do
// (several requests on one connection, idle connections).
class raw_connection {
  public:
    explicit raw_connection(std::uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(port);
        ::inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
        timeval tv{5, 0};
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    }
    ~raw_connection() { ::close(fd_); }
    raw_connection(const raw_connection&) = delete;
    raw_connection& operator=(const raw_connection&) = delete;

    bool connected() const { return connected_; }
    void send(const std::string& data) {
        ASSERT_EQ(::send(fd_, data.data(), data.size(), MSG_NOSIGNAL),
                  static_cast<ssize_t>(data.size()));
    }
    // Reads until `needle` occurs `count` times, the peer closes, or the timeout hits.
    std::string read_until(const std::string& needle, int count) {
        std::string data;
        char buf[4096];
        for (;;) {
            int seen = 0;
            for (auto pos = data.find(needle); pos != std::string::npos;
                 pos = data.find(needle, pos + 1))
                ++seen;
            if (seen >= count)
                return data;
            const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
            if (n <= 0)
                return data;
            data.append(buf, static_cast<std::size_t>(n));
        }
    }

  private:
    int fd_;
    bool connected_ = false;
};

TEST(token_issuer, serves_several_requests_on_one_connection) {
    token_issuer issuer;
    raw_connection conn(issuer.port());
    ASSERT_TRUE(conn.connected());
    const std::string req =
        "GET /token?service=oras-test-registry&scope=repository:x:pull HTTP/1.1\r\n"
        "Host: 127.0.0.1\r\nAuthorization: "
        + basic_auth("alice", "alice-secret") + "\r\n\r\n";
    conn.send(req);
    conn.send(req);  // pipelined on the same connection
    const std::string answers = conn.read_until("\"issued_at\"", 2);
    std::size_t ok = 0;
    for (auto pos = answers.find("HTTP/1.1 200 OK"); pos != std::string::npos;
         pos = answers.find("HTTP/1.1 200 OK", pos + 1)) {
        ++ok;
    }
    EXPECT_EQ(ok, 2u) << answers;
    EXPECT_EQ(issuer.request_count(), 2u);
    EXPECT_EQ(issuer.token_count(), 2u);
    EXPECT_EQ(issuer.request_count("/token"), 2u);
    EXPECT_EQ(issuer.request_count("/other"), 0u);
}

TEST(token_issuer, unknown_path_and_method) {
    token_issuer issuer;
    EXPECT_EQ(
        http_request("GET", "http://127.0.0.1:" + std::to_string(issuer.port()) + "/nope").status,
        404u);
    EXPECT_EQ(http_request("DELETE", issuer.realm()).status, 405u);
    EXPECT_EQ(issuer.request_count("/nope"), 1u);
    EXPECT_EQ(issuer.token_count(), 0u);
    EXPECT_THROW(issuer.last_issued(), std::logic_error);
}

TEST(token_issuer, stops_promptly_with_idle_connections_open) {
    auto issuer = std::make_unique<token_issuer>();
    raw_connection idle(issuer->port());
    ASSERT_TRUE(idle.connected());
    const std::uint16_t port = issuer->port();
    const auto start = std::chrono::steady_clock::now();
    issuer.reset();
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
    EXPECT_EQ(idle.read_until("never", 1), "");  // closed by the issuer
    EXPECT_THROW(http_request("GET", "http://127.0.0.1:" + std::to_string(port) + "/token"),
                 std::system_error);
}

TEST(token_issuer, minted_tokens_decode) {
    token_issuer issuer;
    const std::string token =
        issuer.mint("bob", {{"repository", "r", {"pull"}}}, std::chrono::seconds(60));
    const auto [header, payload] = decode_jwt(token);
    EXPECT_NE(header.find("\"x5c\""), std::string::npos);
    EXPECT_NE(payload.find("\"sub\":\"bob\""), std::string::npos) << payload;
    EXPECT_NE(payload.find(
                  "\"access\":[{\"type\":\"repository\",\"name\":\"r\",\"actions\":[\"pull\"]}]"),
              std::string::npos)
        << payload;
    ASSERT_EQ(issuer.issued().size(), 1u);
    EXPECT_TRUE(issuer.issued()[0].minted);
    EXPECT_NE(issuer.certificate_pem().find("BEGIN CERTIFICATE"), std::string::npos);
    EXPECT_THROW(decode_jwt("not-a-jwt"), std::invalid_argument);
}

TEST(test_pki, server_certificate_verifies_for_ip_and_name) {
    temp_dir dir("oras-test-pki-");
    const auto pki = make_test_pki(dir.path());
    for (const auto& p : {pki.ca_cert, pki.ca_key, pki.server_cert, pki.server_key}) {
        EXPECT_TRUE(std::filesystem::exists(p)) << p;
    }
    const std::string openssl = find_executable("openssl");
    // scripts/setup.sh installs openssl: its absence is a broken set-up, not a reason to skip.
    ASSERT_FALSE(openssl.empty()) << "openssl CLI not installed";
    for (const char* check : {"-verify_ip", "-verify_hostname"}) {
        const std::string what = std::string(check) == "-verify_ip" ? "127.0.0.1" : "localhost";
        const auto r = run_process({openssl, "verify", "-CAfile", pki.ca_cert.string(), check, what,
                                    pki.server_cert.string()});
        EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    }
    const auto wrong = run_process({openssl, "verify", "-CAfile", pki.ca_cert.string(),
                                    "-verify_hostname", "example.com", pki.server_cert.string()});
    EXPECT_NE(wrong.exit_code, 0);
}

TEST(process, run_process_captures_output_and_status) {
    const auto r = run_process({"sh", "-c", "cat; echo oops >&2; exit 3"}, "from stdin");
    EXPECT_EQ(r.exit_code, 3);
    EXPECT_EQ(r.out, "from stdin");
    EXPECT_EQ(r.err, "oops\n");
    EXPECT_FALSE(r.timed_out);

    const auto slow = run_process({"sleep", "10"}, {}, std::chrono::milliseconds(200));
    EXPECT_TRUE(slow.timed_out);
    EXPECT_EQ(slow.signal, SIGKILL);

    EXPECT_THROW(run_process({"no-such-program-oras-test"}), std::runtime_error);
}

TEST(http_helpers, url_helpers) {
    EXPECT_EQ(resolve_url("http://127.0.0.1:5000/v2/", "/v2/x/blobs/uploads/u?_state=a%2Bb"),
              "http://127.0.0.1:5000/v2/x/blobs/uploads/u?_state=a%2Bb");
    EXPECT_EQ(resolve_url("http://127.0.0.1:5000/v2/", "https://other/x"), "https://other/x");
    EXPECT_EQ(append_query("http://h/p?_state=a%2Bb", "digest", "sha256:ab"),
              "http://h/p?_state=a%2Bb&digest=sha256%3Aab");
    EXPECT_EQ(append_query("http://h/p", "digest", "sha256:ab"), "http://h/p?digest=sha256%3Aab");
    EXPECT_EQ(basic_auth("alice", "alice-secret"), "Basic YWxpY2U6YWxpY2Utc2VjcmV0");
    http_response r;
    r.headers = {{"Content-Type", "a"}, {"X-Y", "1"}, {"x-y", "2"}};
    EXPECT_EQ(r.header("content-type"), "a");
    EXPECT_EQ(r.headers_named("X-y"), (std::vector<std::string>{"1", "2"}));
    EXPECT_FALSE(r.has_header("missing"));
    EXPECT_THROW(http_request("GET", "ftp://x/"), std::invalid_argument);
}

TEST(http_helpers, connection_refused_is_a_system_error) {
    // Port 1 on loopback: nothing listens there in a test environment.
    EXPECT_THROW(http_request("GET", "http://127.0.0.1:1/"), std::system_error);
}

}  // namespace
