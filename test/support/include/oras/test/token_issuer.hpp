// A test token issuer ("authorization server") for registries in token-auth mode.
//
// It serves the Docker/distribution token protocol on http://127.0.0.1:PORT/token from its own
// thread (an Asio io_context running one coroutine per connection; keep-alive is supported):
//
//   GET  /token?service=S&scope=T:N:A,B&scope=...[&account=U][&offline_token=true]
//        with an optional `Authorization: Basic` header.
//   POST /token, Content-Type application/x-www-form-urlencoded, either
//        grant_type=password&username=U&password=P&service=S&scope=...&client_id=C
//        grant_type=refresh_token&refresh_token=R&service=S&scope=...&client_id=C
//        (`scope` is space separated, and may also be repeated).
//
// Answers 200 with JSON {"token", "access_token", "expires_in", "issued_at"} (plus
// "refresh_token" for POST and for GET with offline_token=true), the tokens being RS256 JWTs
// with an `x5c` header, signed by a 2048-bit RSA key generated when the issuer is created.
//
// Grants: per requested scope, the requested actions intersected with what the caller may do:
//   - `repository` (also `repository(class)`) resources: the user's `actions` on every repository;
//   - `registry:catalog:*`: `*` for authenticated users whose `catalog` flag is set;
//   - anonymous callers: `pull` on repositories only if anonymous pull is allowed; otherwise an
//     anonymous request is refused with 401 (`WWW-Authenticate: Basic realm="oras-test-issuer"`).
// Scopes that end up with no actions are left out of the token; a request is never refused for
// asking too much (the registry then answers 401 insufficient_scope).
// Errors: unknown user or wrong password, unknown refresh token -> 401; a `service` other than
// service() -> 400; missing/unsupported grant_type, missing username -> 400; other paths -> 404;
// other methods -> 405. Error bodies are JSON {"error": ..., "error_description": ...}.
//
// All member functions are thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace oras::test {

/// A user known to the issuer (and, in basic-auth mode, to the registry's htpasswd file).
struct user {
    std::string name{};
    std::string password{};
    /// Actions this user may obtain on any repository.
    std::vector<std::string> actions = {"pull", "push", "delete"};
    /// Token mode: may this user obtain `registry:catalog:*`.
    bool catalog = true;
};

/// One entry of a token's `access` claim.
struct access_entry {
    std::string type{};  // "repository", "registry", ...
    std::string name{};  // "library/hello", "catalog"
    std::vector<std::string> actions{};

    friend bool operator==(const access_entry&, const access_entry&) = default;
};

/// A token the issuer handed out (through its endpoint or mint()).
struct issued_token {
    std::string token{};    // the compact JWT
    std::string subject{};  // `sub`; empty for anonymous
    std::vector<access_entry> access{};
    std::chrono::system_clock::time_point expires{};
    std::string refresh_token{};  // empty unless one was returned with it
    std::string client_id{};      // as given by the client (POST), else empty
    bool minted = false;          // made by mint(), not requested over HTTP
};

/// One HTTP request the issuer received.
struct issuer_request {
    std::string method{};
    std::string target{};               // as received, e.g. "/token?service=...&scope=..."
    std::string path{};                 // e.g. "/token"
    std::string basic_user{};           // user named by an Authorization: Basic header, else empty
    std::string authorization{};        // the raw Authorization header, else empty
    std::vector<std::string> scopes{};  // every scope requested (query or form), split on spaces
    std::string grant_type{};           // POST only
    unsigned status = 0;                // what the issuer answered
};

/// Claims of a token made directly by mint(); defaults give a valid token for the registry.
struct mint_options {
    std::string subject = "alice";
    std::vector<access_entry> access{};
    /// May be negative to make an already-expired token. The registry allows 60 s of clock
    /// leeway, so use less than -60 s (e.g. -1 h) for a token it must refuse as expired.
    std::chrono::seconds lifetime{300};
    /// Empty: service() / issuer_name().
    std::string audience{};
    std::string issuer{};
};

class token_issuer {
  public:
    struct options {
        std::vector<user> users = {{"alice", "alice-secret"},
                                   {"reader", "reader-secret", {"pull"}}};
        std::chrono::seconds token_lifetime{300};
        bool anonymous_pull = false;
        std::string service = "oras-test-registry";
        std::string issuer_name = "oras-test-issuer";
    };

    /// Generates the signing key and certificate, binds 127.0.0.1:0 and starts serving.
    explicit token_issuer(options opts);
    token_issuer() : token_issuer(options{}) {}
    /// Stops the server thread (closing every connection) and joins it.
    ~token_issuer();
    token_issuer(const token_issuer&) = delete;
    token_issuer& operator=(const token_issuer&) = delete;

    std::uint16_t port() const;
    /// "http://127.0.0.1:PORT/token"
    std::string realm() const;
    /// The `service` the registry announces and the `aud` of tokens: "oras-test-registry".
    std::string service() const;
    /// The `iss` of tokens: "oras-test-issuer".
    std::string issuer_name() const;
    /// PEM of the self-signed signing certificate (the registry's `rootcertbundle`).
    std::string certificate_pem() const;
    /// Writes certificate_pem() to `path`.
    void write_certificate(const std::string& path) const;

    // Settings that may change while running.
    void set_token_lifetime(std::chrono::seconds lifetime);
    void set_anonymous_pull(bool allowed);
    void set_users(std::vector<user> users);

    /// Signs a token without any HTTP exchange (also recorded in issued()).
    std::string mint(const mint_options& opts);
    /// Shorthand: mint({subject, access, lifetime}).
    std::string mint(std::string subject, std::vector<access_entry> access,
                     std::chrono::seconds lifetime = std::chrono::seconds{300});

    // Observations.
    std::size_t request_count() const;                       // every request received
    std::size_t request_count(std::string_view path) const;  // requests to one path ("/token")
    std::size_t token_count() const;                         // tokens issued over HTTP
    std::vector<issuer_request> requests() const;
    std::vector<issued_token> issued() const;
    /// The last token issued over HTTP (throws std::logic_error if none).
    issued_token last_issued() const;
    /// Forgets recorded requests and tokens (refresh tokens stay valid).
    void clear_records();

    class impl;

  private:
    std::unique_ptr<impl> impl_{};
};

/// Splits a compact JWT into its decoded header and payload JSON texts (no verification);
/// throws std::invalid_argument if it is not three base64url parts. For tests that inspect
/// what a token grants.
std::pair<std::string, std::string> decode_jwt(std::string_view token);

}  // namespace oras::test
