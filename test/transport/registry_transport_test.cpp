// The repository against a scripted registry: what a real distribution registry will not do on
// demand. Link pagination (relative, absolute, foreign, looping), OCI-Chunk-Min-Length and the
// `_state` of every Location, 416 and dropped PATCHes, single-POST uploads, blob redirects to
// another origin, a HEAD that lies about the size, downloads cut short, upload Locations that
// leave the registry, odd error bodies, mounts.
#include <oras/auth/client.hpp>
#include <oras/descriptor.hpp>
#include <oras/detail/base64.hpp>
#include <oras/digest.hpp>
#include <oras/error.hpp>
#include <oras/registry/repository.hpp>

#include "registry/blob_download.hpp"
#include "scripted_server.hpp"

#include <oras/test/run.hpp>

#include <oras/test/files.hpp>
#include <oras/test/sources.hpp>

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace {

using oras::test::pattern;

namespace asio = boost::asio;
using namespace std::chrono_literals;
using oras::descriptor;
using oras::errc;
using oras::test::action;
using oras::test::run;
using oras::test::scripted_request;
using oras::test::scripted_server;
using header_list = std::vector<std::pair<std::string, std::string>>;

const std::string uploads_path = "/v2/app/blobs/uploads/";
const std::string blobs_path = "/v2/app/blobs/";

descriptor describe(std::string_view data) {
    descriptor d;
    d.media_type = "application/octet-stream";
    d.digest = oras::digest::of(data);
    d.size = static_cast<std::int64_t>(data.size());
    return d;
}

std::string basic(const std::string& user, const std::string& password) {
    return "Basic " + oras::detail::base64_encode(user + ":" + password);
}

std::string percent_decode(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size()) {
            out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
            i += 2;
        } else {
            out += s[i];
        }
    }
    return out;
}

/// A request target split into its path and its decoded query parameters.
struct target_parts {
    std::string path{};
    std::map<std::string, std::string> query{};
    std::string raw_query{};

    std::string param(const std::string& name) const {
        const auto it = query.find(name);
        return it == query.end() ? std::string() : it->second;
    }
};

target_parts split_target(std::string_view target) {
    target_parts out;
    const auto q = target.find('?');
    out.path = std::string(target.substr(0, q));
    if (q == std::string_view::npos) {
        return out;
    }
    out.raw_query = std::string(target.substr(q + 1));
    std::string_view rest = out.raw_query;
    while (!rest.empty()) {
        const auto amp = rest.find('&');
        const auto item = rest.substr(0, amp);
        const auto eq = item.find('=');
        out.query[percent_decode(item.substr(0, eq))] =
            eq == std::string_view::npos ? std::string() : percent_decode(item.substr(eq + 1));
        if (amp == std::string_view::npos) {
            break;
        }
        rest.remove_prefix(amp + 1);
    }
    return out;
}

action json_error(unsigned status, const std::string& code, const std::string& message) {
    return action{
        .status = status,
        .headers = {{"Content-Type", "application/json"}},
        .body = R"({"errors":[{"code":")" + code + R"(","message":")" + message + R"("}]})"};
}

/// `Range: 0-<n-1>` as distribution sends it (`0-0` for an empty session).
std::string range_of(std::size_t n) {
    return n == 0 ? "0-0" : "0-" + std::to_string(n - 1);
}

struct upload {
    std::string data{};
    unsigned seq = 0;
    std::string state{};
};

/// A registry serving the repository `app`: blobs (with Range), upload sessions whose every
/// answer carries a fresh `_state` (a PATCH or PUT with a stale one is refused), mounts and
/// single-POST uploads on request. `hook` sees every request first (after authorisation) and
/// may answer it instead. The handler runs on the server's thread: everything is guarded by
/// `mutex`; the test thread uses `with`.
class fake_registry {
  public:
    using hook_fn = std::function<std::optional<action>(const scripted_request&, fake_registry&)>;

    template <class F>
    auto with(F f) {
        std::lock_guard lock(mutex);
        return f(*this);
    }

    action serve(const scripted_request& r) {
        std::lock_guard lock(mutex);
        if (!authorization.empty() && r.header("Authorization") != authorization) {
            return action{.status = 401,
                          .headers = {{"WWW-Authenticate", R"(Basic realm="fake")"},
                                      {"Content-Type", "application/json"}},
                          .body = R"({"errors":[{"code":"UNAUTHORIZED","message":"login"}]})"};
        }
        ++seen[r.method];
        if (hook) {
            if (auto a = hook(r, *this)) {
                return std::move(*a);
            }
        }
        const auto t = split_target(r.target);
        if (t.path == "/v2/") {
            return action{.headers = {{"Content-Type", "application/json"}}, .body = "{}"};
        }
        if (t.path == uploads_path && r.method == "POST") {
            return start_upload(r, t);
        }
        if (t.path.starts_with(uploads_path)) {
            return in_session(r, t, t.path.substr(uploads_path.size()));
        }
        if (t.path.starts_with(blobs_path) && (r.method == "GET" || r.method == "HEAD")) {
            return serve_blob(r, t.path.substr(blobs_path.size()));
        }
        return json_error(404, "NAME_UNKNOWN", "no route for " + t.path);
    }

    /// The Location of session `id` after one more step: a new `_state`, recorded in `issued`
    /// (path and query, as the client must send them next).
    std::string next_location(const std::string& id) {
        auto& s = sessions.at(id);
        s.state = id + "." + std::to_string(++s.seq);
        const std::string loc = uploads_path + id + "?_state=" + s.state;
        issued.push_back(loc);
        const bool absolute = absolute_locations && s.seq % 2 == 0;
        return (absolute ? self_url : std::string()) + loc;
    }

    action session_answer(unsigned status, const std::string& id) {
        const auto loc = next_location(id);
        return action{.status = status,
                      .headers = {{"Location", loc},
                                  {"Range", range_of(sessions.at(id).data.size())},
                                  {"Docker-Upload-UUID", id}}};
    }

    static action blob_created(const std::string& d) {
        return action{.status = 201,
                      .headers = {{"Location", blobs_path + d}, {"Docker-Content-Digest", d}}};
    }

    std::mutex mutex;
    /// Required Authorization (empty: none).
    std::string authorization{};
    /// "http://127.0.0.1:PORT" of this registry, for absolute Locations.
    std::string self_url{};
    /// Every second Location of a session is absolute.
    bool absolute_locations = false;
    /// Sent as OCI-Chunk-Min-Length on POST when set.
    std::optional<std::string> chunk_min{};
    /// `POST ?digest=` with a body completes the upload (201) instead of opening a session.
    bool single_post_201 = false;
    /// Blobs that `POST ?mount=` finds in another repository.
    std::map<std::string, std::string> mountable{};
    /// When set, every `POST ?mount=` is answered with this status (a registry that takes none).
    std::optional<unsigned> mount_refused{};
    std::map<std::string, std::string> blobs{};
    std::map<std::string, upload> sessions{};
    std::vector<std::string> issued{};
    std::vector<std::string> cancelled{};
    std::map<std::string, unsigned> seen{};
    unsigned started = 0;
    hook_fn hook{};

  private:
    action start_upload(const scripted_request& r, const target_parts& t) {
        if (const auto mount = t.param("mount"); !mount.empty()) {
            if (mount_refused) {
                return json_error(*mount_refused, "UNSUPPORTED", "mount refused");
            }
            if (const auto src = mountable.find(mount); src != mountable.end()) {
                blobs[mount] = src->second;
                return blob_created(mount);
            }
        } else if (const auto d = t.param("digest"); !d.empty() && single_post_201) {
            if (oras::digest::of(r.body).str() != d) {
                return json_error(400, "DIGEST_INVALID", "provided digest did not match");
            }
            blobs[d] = r.body;
            return blob_created(d);
        }
        const auto id = "s" + std::to_string(++started);
        sessions[id] = upload{};
        auto a = session_answer(202, id);
        if (chunk_min) {
            a.headers.emplace_back("OCI-Chunk-Min-Length", *chunk_min);
        }
        return a;
    }

    action in_session(const scripted_request& r, const target_parts& t, const std::string& id) {
        const auto it = sessions.find(id);
        if (it == sessions.end()) {
            return json_error(404, "BLOB_UPLOAD_UNKNOWN", "blob upload unknown to registry");
        }
        auto& s = it->second;
        if (r.method == "GET") {
            return session_answer(204, id);
        }
        if (r.method == "DELETE") {
            sessions.erase(it);
            cancelled.push_back(id);
            return action{.status = 204};
        }
        if (t.param("_state") != s.state) {
            return json_error(400, "BLOB_UPLOAD_INVALID", "stale _state " + t.param("_state"));
        }
        if (r.method == "PATCH") {
            if (r.has_header("Content-Range")) {
                const auto cr = r.header("Content-Range");
                const auto dash = cr.find('-');
                if (dash == std::string::npos) {
                    return json_error(400, "BLOB_UPLOAD_INVALID", "bad Content-Range");
                }
                const auto first = std::stoull(cr.substr(0, dash));
                const auto last = std::stoull(cr.substr(dash + 1));
                if (first != s.data.size()) {
                    return action{
                        .status = 416,
                        .headers = {{"Location", uploads_path + id + "?_state=" + s.state},
                                    {"Range", range_of(s.data.size())}}};
                }
                if (last + 1 - first != r.body.size()) {
                    return json_error(400, "BLOB_UPLOAD_INVALID", "Content-Range vs body");
                }
            }
            s.data += r.body;
            return session_answer(202, id);
        }
        if (r.method == "PUT") {
            s.data += r.body;
            const auto d = t.param("digest");
            if (oras::digest::of(s.data).str() != d) {
                return json_error(400, "DIGEST_INVALID", "provided digest did not match");
            }
            blobs[d] = s.data;
            sessions.erase(it);
            return blob_created(d);
        }
        return json_error(405, "UNSUPPORTED", "method not allowed");
    }

    action serve_blob(const scripted_request& r, const std::string& d) {
        const auto it = blobs.find(d);
        if (it == blobs.end()) {
            return json_error(404, "BLOB_UNKNOWN", "blob unknown to registry");
        }
        const auto& data = it->second;
        header_list h{{"Content-Type", "application/octet-stream"},
                      {"Docker-Content-Digest", d},
                      {"Accept-Ranges", "bytes"}};
        const auto range = r.header("Range");
        if (r.method == "GET" && range.starts_with("bytes=")) {
            const auto dash = range.find('-');
            const auto first = std::stoull(range.substr(6, dash - 6));
            auto last = data.size() - 1;
            if (dash + 1 < range.size()) {
                last = std::min<std::size_t>(last, std::stoull(range.substr(dash + 1)));
            }
            if (first >= data.size()) {
                return action{
                    .status = 416,
                    .headers = {{"Content-Range", "bytes */" + std::to_string(data.size())}}};
            }
            h.emplace_back("Content-Range", "bytes " + std::to_string(first) + "-"
                                                + std::to_string(last) + "/"
                                                + std::to_string(data.size()));
            return action{
                .status = 206, .headers = h, .body = data.substr(first, last + 1 - first)};
        }
        return action{.headers = h, .body = data};
    }
};

std::string session_id_of(const scripted_request& r) {
    return split_target(r.target).path.substr(uploads_path.size());
}

struct fixture_options {
    bool tls = false;
    /// Non-empty: the registry wants `Basic alice:<password>` and the client has it.
    std::string password{};
    oras::registry::repository_options repo{};
};

struct fixture {
    explicit fixture(fixture_options o = {})
        : server([this](const scripted_request& r) { return fake.serve(r); }, {.tls = o.tls}) {
        fake.with([&](fake_registry& f) {
            f.self_url = server.url();
            if (!o.password.empty()) {
                f.authorization = basic("alice", o.password);
            }
        });
        oras::http::client_options h;
        h.retry.base_delay = 1ms;
        h.retry.max_delay = 5ms;
        h.proxy.from_environment = false;
        h.tls.ca_file = server.ca_file();
        oras::auth::client_options a;
        if (!o.password.empty()) {
            a.credentials = std::make_shared<oras::auth::static_credentials>(
                server.host(), oras::auth::credential{"alice", o.password, "", ""});
        }
        auth.emplace(oras::http::client(io.get_executor(), h), a);
        auto ro = o.repo;
        ro.force_https = o.tls;
        repo.emplace(*auth, server.host(), "app", ro);
    }

    template <class T>
    T operator()(asio::awaitable<T> a) {
        return run(io, std::move(a));
    }

    /// Fetches `d` whole; `deliveries` counts the bytes the sink was handed.
    std::string fetch(const descriptor& d, std::size_t* deliveries = nullptr) {
        auto out = std::make_shared<std::string>();
        oras::byte_sink sink = [out](std::span<const std::byte> b) -> asio::awaitable<void> {
            out->append(reinterpret_cast<const char*>(b.data()), b.size());
            co_return;
        };
        run(io, repo->fetch_blob(d, std::move(sink)));
        if (deliveries != nullptr) {
            *deliveries = out->size();
        }
        return *out;
    }

    /// Every request but the `GET /v2/` the client sends to learn the registry's scheme.
    std::vector<scripted_request> requests() const {
        std::vector<scripted_request> out;
        for (auto& r : server.requests()) {
            if (!(r.method == "GET" && r.target == "/v2/")) {
                out.push_back(std::move(r));
            }
        }
        return out;
    }

    std::string stored(const oras::digest& d) {
        return fake.with([&](fake_registry& f) {
            const auto it = f.blobs.find(d.str());
            return it == f.blobs.end() ? std::string("<none>") : it->second;
        });
    }

    fake_registry fake;
    scripted_server server;
    asio::io_context io;
    std::optional<oras::auth::client> auth;
    std::optional<oras::registry::repository> repo;
};

template <class F>
oras::error error_of(F&& f) {
    try {
        f();
    } catch (const oras::error& e) {
        return e;
    }
    ADD_FAILURE() << "no error";
    return oras::error(make_error_code(errc::unexpected_status), "no error");
}

bool contains(std::string_view text, std::string_view part) {
    return text.find(part) != std::string_view::npos;
}

/// A body of unknown length, produced `piece` bytes at a time, that cannot be rewound.
oras::byte_source stream_of(std::string data, std::size_t piece) {
    auto src = std::make_shared<const std::string>(std::move(data));
    auto pos = std::make_shared<std::size_t>(0);
    oras::byte_source::read_fn next =
        [src, pos, piece](std::span<std::byte> buf) -> asio::awaitable<std::size_t> {
        const auto n = std::min({buf.size(), piece, src->size() - *pos});
        std::memcpy(buf.data(), src->data() + *pos, n);
        *pos += n;
        co_return n;
    };
    return oras::byte_source::from_generator(std::move(next));
}

/// A scripted server that only records what reaches it.
scripted_server recording_server() {
    return scripted_server([](const scripted_request&) { return action{.status = 500}; });
}

action tag_page(const std::vector<std::string>& tags, const std::string& link) {
    std::string body = R"({"name":"app","tags":[)";
    for (std::size_t i = 0; i < tags.size(); ++i) {
        body += (i == 0 ? "\"" : ",\"") + tags[i] + "\"";
    }
    body += "]}";
    action a{.headers = {{"Content-Type", "application/json"}}, .body = body};
    if (!link.empty()) {
        a.headers.emplace_back("Link", link);
    }
    return a;
}

// --- 1. tag pagination ---------------------------------------------------------------------------

TEST(registry_transport, tags_follow_relative_and_absolute_link_headers) {
    fixture f({.repo = {.page_size = 2}});
    const auto self = f.server.url();
    f.fake.with([&](fake_registry& reg) {
        reg.hook = [self](const scripted_request& r, fake_registry&) -> std::optional<action> {
            const auto t = split_target(r.target);
            if (t.path != "/v2/app/tags/list") {
                return std::nullopt;
            }
            const auto last = t.param("last");
            if (last.empty()) {
                return tag_page({"a", "b"}, R"(</v2/app/tags/list?n=2&last=b>; rel="next")");
            }
            if (last == "b") {
                return tag_page({"c", "d"},
                                "<" + self + R"(/v2/app/tags/list?n=2&last=d>; rel="next")");
            }
            return tag_page({"e"}, "");
        };
    });
    EXPECT_EQ(f(f.repo->tags()), (std::vector<std::string>{"a", "b", "c", "d", "e"}));
    const auto reqs = f.requests();
    ASSERT_EQ(reqs.size(), 3u);
    EXPECT_EQ(reqs[0].method, "GET");
    EXPECT_EQ(reqs[0].target, "/v2/app/tags/list?n=2");
    EXPECT_EQ(reqs[1].target, "/v2/app/tags/list?n=2&last=b");  // relative Link
    EXPECT_EQ(reqs[2].target, "/v2/app/tags/list?n=2&last=d");  // absolute Link
}

TEST(registry_transport, tags_refuse_a_link_to_another_host) {
    auto other = recording_server();
    fixture f;
    const auto elsewhere = other.url();
    f.fake.with([&](fake_registry& reg) {
        reg.hook = [elsewhere](const scripted_request& r, fake_registry&) -> std::optional<action> {
            if (split_target(r.target).path != "/v2/app/tags/list") {
                return std::nullopt;
            }
            return tag_page({"a"}, "<" + elsewhere + R"(/v2/app/tags/list?last=a>; rel="next")");
        };
    });
    const auto e = error_of([&] { f(f.repo->tags()); });
    EXPECT_EQ(e.code(), errc::invalid_response);
    EXPECT_TRUE(contains(e.what(), "tag list")) << e.what();
    EXPECT_TRUE(contains(e.what(), "leaves the registry")) << e.what();
    EXPECT_EQ(f.requests().size(), 1u);
    EXPECT_EQ(other.requests_served(), 0u);
    EXPECT_EQ(other.connections_accepted(), 0u);
}

TEST(registry_transport, tags_stop_at_max_pages_when_links_loop) {
    fixture f({.repo = {.max_pages = 5}});
    f.fake.with([&](fake_registry& reg) {
        // a -> b -> a -> b ...: no page points at itself, yet the listing never ends.
        reg.hook = [](const scripted_request& r, fake_registry&) -> std::optional<action> {
            const auto t = split_target(r.target);
            if (t.path != "/v2/app/tags/list") {
                return std::nullopt;
            }
            const auto next = t.param("last") == "a" ? "b" : "a";
            return tag_page({next},
                            std::string("</v2/app/tags/list?last=") + next + R"(>; rel="next")");
        };
    });
    const auto e = error_of([&] { f(f.repo->tags()); });
    EXPECT_EQ(e.code(), errc::invalid_response);
    EXPECT_TRUE(contains(e.what(), "more than 5 pages")) << e.what();
    EXPECT_EQ(f.requests().size(), 5u);
}

// --- 2. OCI-Chunk-Min-Length and the Location of every answer -----------------------------------

/// Checks a chunked stream upload of `data` as the registry saw it: POST, then PATCHes of
/// `chunk` bytes (the last shorter) each sent to the Location of the answer before it, with
/// `Content-Range` `<first>-<last>`, then `PUT ?digest=` without a body.
void expect_chunked_upload(fixture& f, const std::string& data, std::size_t chunk) {
    const auto reqs = f.requests();
    const auto issued = f.fake.with([](fake_registry& reg) { return reg.issued; });
    const std::size_t patches = (data.size() + chunk - 1) / chunk;
    ASSERT_EQ(reqs.size(), patches + 2);
    ASSERT_EQ(issued.size(), patches + 1);
    EXPECT_EQ(reqs[0].method, "POST");
    EXPECT_EQ(reqs[0].target, uploads_path);
    EXPECT_EQ(reqs[0].body, "");
    for (std::size_t i = 0; i < patches; ++i) {
        const auto& p = reqs[i + 1];
        const auto first = i * chunk;
        const auto len = std::min(chunk, data.size() - first);
        EXPECT_EQ(p.method, "PATCH");
        EXPECT_EQ(p.target, issued[i]) << "PATCH " << i << " did not follow the last Location";
        EXPECT_EQ(p.header("Content-Range"),
                  std::to_string(first) + "-" + std::to_string(first + len - 1));
        EXPECT_EQ(p.header("Content-Type"), "application/octet-stream");
        EXPECT_EQ(p.body, data.substr(first, len));
    }
    const auto& put = reqs.back();
    EXPECT_EQ(put.method, "PUT");
    const auto t = split_target(put.target);
    const auto last = split_target(issued.back());
    EXPECT_EQ(t.path, last.path);
    EXPECT_EQ(t.param("_state"), last.param("_state"));
    EXPECT_EQ(t.param("digest"), oras::digest::of(data).str());
    EXPECT_EQ(put.body, "");
}

TEST(registry_transport, stream_push_sends_chunks_of_at_least_the_registry_minimum) {
    const auto data = pattern(2500, 1);
    // chunk_size 0 (stream in one PATCH) and 300 are raised to the registry's 1000; 1200 stays.
    for (const auto& [chunk_size, expected] :
         {std::pair<std::size_t, std::size_t>{0, 1000}, {300, 1000}, {1200, 1200}}) {
        SCOPED_TRACE("chunk_size " + std::to_string(chunk_size));
        fixture f({.repo = {.chunk_size = chunk_size}});
        f.fake.with([](fake_registry& reg) {
            reg.chunk_min = "1000";
            reg.absolute_locations = true;
        });
        const auto d = f(f.repo->push_blob_stream(stream_of(data, 333), "application/x-test"));
        EXPECT_EQ(d.digest, oras::digest::of(data));
        EXPECT_EQ(d.size, 2500);
        EXPECT_EQ(d.media_type, "application/x-test");
        EXPECT_EQ(f.stored(d.digest), data);
        expect_chunked_upload(f, data, expected);
    }
}

TEST(registry_transport, a_chunk_minimum_past_the_client_bound_is_refused_not_allocated) {
    fixture f;
    f.fake.with([](fake_registry& reg) { reg.chunk_min = "100000000000"; });  // 100 GB
    try {
        f(f.repo->push_blob_stream(stream_of(pattern(2500, 1), 333), "application/x-test"));
        ADD_FAILURE() << "pushed";
    } catch (const oras::error& e) {
        EXPECT_EQ(e.code(), oras::errc::invalid_response);
        EXPECT_NE(std::string(e.what()).find("OCI-Chunk-Min-Length"), std::string::npos)
            << e.what();
    }
    const auto reqs = f.requests();
    ASSERT_EQ(reqs.size(), 2u);
    EXPECT_EQ(reqs[0].method, "POST");
    EXPECT_EQ(reqs[1].method, "DELETE");  // the session is not left open
}

// --- 3. 416 and dropped PATCHes -----------------------------------------------------------------

TEST(registry_transport, stream_push_recovers_from_a_416) {
    const auto data = pattern(2500, 2);
    fixture f;
    f.fake.with([](fake_registry& reg) {
        reg.chunk_min = "1000";
        reg.hook = [](const scripted_request& r, fake_registry& self) -> std::optional<action> {
            if (r.method == "PATCH" && self.seen["PATCH"] == 2) {
                // Refused without storing a byte: the registry still holds 1000.
                return action{.status = 416, .headers = {{"Range", "0-999"}}};
            }
            return std::nullopt;
        };
    });
    const auto d = f(f.repo->push_blob_stream(stream_of(data, 700), "application/octet-stream"));
    EXPECT_EQ(d.digest, oras::digest::of(data));
    EXPECT_EQ(f.stored(d.digest), data);

    const auto reqs = f.requests();
    const auto issued = f.fake.with([](fake_registry& reg) { return reg.issued; });
    // POST, PATCH 0-999, PATCH 1000-1999 (416), GET status, PATCH 1000-1999, PATCH 2000-2499, PUT
    ASSERT_EQ(reqs.size(), 7u);
    ASSERT_EQ(issued.size(), 5u);  // POST, PATCH, GET, PATCH, PATCH
    EXPECT_EQ(reqs[1].header("Content-Range"), "0-999");
    EXPECT_EQ(reqs[2].method, "PATCH");
    EXPECT_EQ(reqs[2].header("Content-Range"), "1000-1999");
    EXPECT_EQ(reqs[3].method, "GET");
    EXPECT_EQ(reqs[3].target, issued[1]);
    EXPECT_EQ(reqs[3].body, "");
    EXPECT_EQ(reqs[4].method, "PATCH");
    EXPECT_EQ(reqs[4].target, issued[2]);  // the Location of the status answer
    EXPECT_EQ(reqs[4].header("Content-Range"), "1000-1999");
    EXPECT_EQ(reqs[4].body, data.substr(1000, 1000));
    EXPECT_EQ(reqs[5].header("Content-Range"), "2000-2499");
    EXPECT_EQ(reqs[5].body, data.substr(2000));
    EXPECT_EQ(reqs[6].method, "PUT");
    EXPECT_EQ(split_target(reqs[6].target).param("digest"), oras::digest::of(data).str());
    EXPECT_EQ(split_target(reqs[6].target).param("_state"),
              split_target(issued[4]).param("_state"));
}

TEST(registry_transport, stream_push_resumes_a_patch_whose_connection_dropped) {
    const auto data = pattern(2500, 3);
    fixture f;
    f.fake.with([](fake_registry& reg) {
        reg.chunk_min = "1000";
        reg.hook = [](const scripted_request& r, fake_registry& self) -> std::optional<action> {
            if (r.method == "PATCH" && self.seen["PATCH"] == 2) {
                // 400 of the chunk's 1000 bytes reached storage, then the connection died.
                self.sessions[session_id_of(r)].data += r.body.substr(0, 400);
                return action{.drop = true};
            }
            return std::nullopt;
        };
    });
    const auto d = f(f.repo->push_blob_stream(stream_of(data, 1000), "application/octet-stream"));
    EXPECT_EQ(d.digest, oras::digest::of(data));
    EXPECT_EQ(f.stored(d.digest), data);

    const auto reqs = f.requests();
    const auto issued = f.fake.with([](fake_registry& reg) { return reg.issued; });
    // POST, PATCH 0-999, PATCH 1000-1999 (dropped), GET (Range 0-1399), PATCH 1400-1999,
    // PATCH 2000-2499, PUT
    ASSERT_EQ(reqs.size(), 7u);
    EXPECT_EQ(reqs[2].header("Content-Range"), "1000-1999");
    EXPECT_EQ(reqs[3].method, "GET");
    EXPECT_EQ(reqs[3].target, issued[1]);
    EXPECT_EQ(reqs[4].method, "PATCH");
    EXPECT_EQ(reqs[4].target, issued[2]);
    EXPECT_EQ(reqs[4].header("Content-Range"), "1400-1999");
    EXPECT_EQ(reqs[4].body, data.substr(1400, 600));
    EXPECT_EQ(reqs[5].header("Content-Range"), "2000-2499");
    EXPECT_EQ(reqs[6].method, "PUT");
    EXPECT_EQ(split_target(reqs[6].target).param("digest"), oras::digest::of(data).str());
}

/// Distribution after a PATCH cut mid-body: the status query may still answer with the offset
/// from before the cut, and the PATCH sent from there is refused, the session lost.
fake_registry::hook_fn loses_the_session_after_a_cut() {
    return [](const scripted_request& r, fake_registry& self) -> std::optional<action> {
        if (r.method == "PATCH" && self.seen["PATCH"] == 2) {
            return action{.drop = true};
        }
        if (r.method == "PATCH" && self.seen["PATCH"] == 3) {
            return json_error(404, "BLOB_UPLOAD_INVALID", "blob upload invalid");
        }
        return std::nullopt;
    };
}

TEST(registry_transport, a_stream_whose_session_is_lost_after_a_cut_fails_naming_it) {
    const auto data = pattern(2500, 4);
    fixture f;
    f.fake.with([](fake_registry& reg) {
        reg.chunk_min = "1000";
        reg.hook = loses_the_session_after_a_cut();
    });
    const auto e = error_of(
        [&] { f(f.repo->push_blob_stream(stream_of(data, 1000), "application/octet-stream")); });
    EXPECT_EQ(e.code(), errc::upload_invalid) << e.what();
    EXPECT_TRUE(contains(e.what(), "the upload cannot be resumed")) << e.what();
    const auto reqs = f.requests();
    // POST, PATCH 0-999, PATCH 1000-1999 (dropped), GET, PATCH 1000-1999 (404), DELETE
    ASSERT_EQ(reqs.size(), 6u);
    EXPECT_EQ(reqs[3].method, "GET");
    EXPECT_EQ(reqs[4].header("Content-Range"), "1000-1999");
    EXPECT_EQ(reqs[5].method, "DELETE");
    EXPECT_EQ(f.fake.with([](fake_registry& reg) { return reg.cancelled.size(); }), 1u);
}

TEST(registry_transport, a_rewindable_stream_whose_session_is_lost_starts_again) {
    const auto data = pattern(2500, 5);
    fixture f;
    f.fake.with([](fake_registry& reg) {
        reg.chunk_min = "1000";
        reg.hook = loses_the_session_after_a_cut();
    });
    const auto src = oras::test::unsized(oras::byte_source::from_string(data));
    const auto d = f(f.repo->push_blob_stream(src, "application/octet-stream"));
    EXPECT_EQ(d.digest, oras::digest::of(data));
    EXPECT_EQ(f.stored(d.digest), data);
    EXPECT_EQ(f.fake.with([](fake_registry& reg) { return reg.started; }), 2u);
}

// --- 4. single POST ------------------------------------------------------------------------------

TEST(registry_transport, single_post_completes_in_one_request_on_201) {
    const auto data = pattern(600, 4);
    const auto desc = describe(data);
    fixture f({.repo = {.single_post_max = 1024}});
    f.fake.with([](fake_registry& reg) { reg.single_post_201 = true; });
    f(f.repo->push_blob(desc, oras::byte_source::from_string(data)));
    EXPECT_EQ(f.stored(desc.digest), data);
    const auto reqs = f.requests();
    ASSERT_EQ(reqs.size(), 1u);
    EXPECT_EQ(reqs[0].method, "POST");
    const auto t = split_target(reqs[0].target);
    EXPECT_EQ(t.path, uploads_path);
    EXPECT_EQ(t.param("digest"), desc.digest.str());
    EXPECT_EQ(reqs[0].body, data);
    EXPECT_EQ(reqs[0].header("Content-Length"), "600");
}

TEST(registry_transport, single_post_answered_202_gets_the_put_with_the_body) {
    const auto data = pattern(600, 5);
    const auto desc = describe(data);
    fixture f({.repo = {.single_post_max = 1024}});
    f(f.repo->push_blob(desc, oras::byte_source::from_string(data)));
    EXPECT_EQ(f.stored(desc.digest), data);
    const auto reqs = f.requests();
    const auto issued = f.fake.with([](fake_registry& reg) { return reg.issued; });
    ASSERT_EQ(reqs.size(), 2u);
    ASSERT_EQ(issued.size(), 1u);
    EXPECT_EQ(reqs[0].method, "POST");
    EXPECT_EQ(split_target(reqs[0].target).param("digest"), desc.digest.str());
    EXPECT_EQ(reqs[0].body, data);
    EXPECT_EQ(reqs[1].method, "PUT");
    const auto t = split_target(reqs[1].target);
    EXPECT_EQ(t.path, split_target(issued[0]).path);
    EXPECT_EQ(t.param("_state"), split_target(issued[0]).param("_state"));
    EXPECT_EQ(t.param("digest"), desc.digest.str());
    EXPECT_EQ(reqs[1].body, data);
}

TEST(registry_transport, blobs_above_single_post_max_open_an_empty_session) {
    const auto data = pattern(2000, 6);
    const auto desc = describe(data);
    fixture f({.repo = {.single_post_max = 1024}});
    f.fake.with([](fake_registry& reg) { reg.single_post_201 = true; });
    f(f.repo->push_blob(desc, oras::byte_source::from_string(data)));
    EXPECT_EQ(f.stored(desc.digest), data);
    const auto reqs = f.requests();
    ASSERT_EQ(reqs.size(), 2u);
    EXPECT_EQ(reqs[0].target, uploads_path);
    EXPECT_EQ(reqs[0].body, "");
    EXPECT_EQ(reqs[1].method, "PUT");
    EXPECT_EQ(reqs[1].body, data);
}

// --- 5. blob redirects to another origin ---------------------------------------------------------

TEST(registry_transport, a_blob_redirect_to_another_origin_carries_no_authorization) {
    const auto data = pattern(5000, 7);
    const auto desc = describe(data);
    auto tampered = std::make_shared<std::atomic<bool>>(false);
    scripted_server storage([data, tampered](const scripted_request& r) {
        if (r.target != "/bucket/blob?X-Amz-Signature=sig") {
            return action{.status = 403, .body = "bad signature"};
        }
        auto body = data;
        if (*tampered) {
            body[100] ^= 1;
        }
        return action{.headers = {{"Content-Type", "application/octet-stream"}}, .body = body};
    });
    fixture f({.password = "secret"});
    const auto to = storage.url() + "/bucket/blob?X-Amz-Signature=sig";
    f.fake.with([&](fake_registry& reg) {
        reg.hook = [to](const scripted_request& r, fake_registry&) -> std::optional<action> {
            if (r.method == "GET" && split_target(r.target).path.starts_with(blobs_path)) {
                return action{.status = 307, .headers = {{"Location", to}}};
            }
            return std::nullopt;
        };
    });
    EXPECT_EQ(f.fetch(desc), data);

    const auto reg_reqs = f.server.requests();
    ASSERT_EQ(reg_reqs.size(), 2u);  // 401 (scheme unknown), then with Basic: 307
    EXPECT_FALSE(reg_reqs[0].has_header("Authorization"));
    EXPECT_EQ(reg_reqs[1].header("Authorization"), basic("alice", "secret"));
    EXPECT_EQ(reg_reqs[1].target, blobs_path + desc.digest.str());
    auto s3 = storage.requests();
    ASSERT_EQ(s3.size(), 1u);
    EXPECT_EQ(s3[0].method, "GET");
    EXPECT_EQ(s3[0].target, "/bucket/blob?X-Amz-Signature=sig");
    EXPECT_FALSE(s3[0].has_header("Authorization"));
    EXPECT_EQ(s3[0].header("Host"), storage.host());

    // The bytes from the other origin are verified like any others.
    *tampered = true;
    const auto e = error_of([&] { f.fetch(desc); });
    EXPECT_EQ(e.code(), errc::digest_mismatch) << e.what();
    s3 = storage.requests();
    ASSERT_EQ(s3.size(), 2u);
    EXPECT_FALSE(s3[1].has_header("Authorization"));
    EXPECT_EQ(f.server.requests().back().header("Authorization"), basic("alice", "secret"));
}

TEST(registry_transport, a_challenge_from_where_a_redirect_led_sends_no_credentials_there) {
    const auto data = pattern(5000, 9);
    const auto desc = describe(data);
    scripted_server realm(
        [](const scripted_request&) { return action{.body = R"({"token":"stolen"})"}; });
    const auto realm_url = realm.url() + "/token";
    scripted_server storage([realm_url](const scripted_request&) {
        return action{.status = 401,
                      .headers = {{"WWW-Authenticate",
                                   "Bearer realm=\"" + realm_url + "\",service=\"storage\""}}};
    });
    fixture f({.password = "secret"});
    const auto to = storage.url() + "/bucket/blob";
    f.fake.with([&](fake_registry& reg) {
        reg.blobs[desc.digest.str()] = data;
        reg.hook = [to](const scripted_request& r, fake_registry&) -> std::optional<action> {
            if (r.method == "GET" && split_target(r.target).path.starts_with(blobs_path)) {
                return action{.status = 307, .headers = {{"Location", to}}};
            }
            return std::nullopt;
        };
    });
    // The storage's 401 is the answer: its realm is not the registry's, and the registry's
    // credentials go nowhere near it. Twice: the first fetch learns the registry's scheme from
    // its own 401, the second sends Basic at once and meets the storage's challenge first.
    for (int i = 0; i < 2; ++i) {
        const auto e = error_of([&] { f.fetch(desc); });
        EXPECT_EQ(e.code(), errc::unauthorized) << e.what();
        EXPECT_TRUE(realm.requests().empty()) << "fetch " << i;
    }
    EXPECT_EQ(storage.requests().size(), 2u);
    // The registry's own scheme is as it was: its next request carries Basic, as before.
    f.fake.with([](fake_registry& reg) { reg.hook = nullptr; });
    EXPECT_EQ(f.fetch(desc), data);
    EXPECT_EQ(f.server.requests().back().header("Authorization"), basic("alice", "secret"));
    EXPECT_TRUE(realm.requests().empty());
}

// --- 6. a HEAD that lies about the size ----------------------------------------------------------

TEST(registry_transport, a_head_size_that_differs_from_the_get_fails_the_fetch) {
    const auto data = pattern(10, 8);
    const auto right = describe(data);
    for (const bool chunked_get : {false, true}) {
        SCOPED_TRACE(chunked_get ? "chunked GET" : "GET with Content-Length");
        fixture f;
        f.fake.with([&](fake_registry& reg) {
            reg.blobs[right.digest.str()] = data;
            reg.hook = [chunked_get](const scripted_request& r,
                                     fake_registry& self) -> std::optional<action> {
                const auto t = split_target(r.target);
                if (!t.path.starts_with(blobs_path)) {
                    return std::nullopt;
                }
                const auto d = t.path.substr(blobs_path.size());
                if (r.method == "HEAD") {
                    return action{.headers = {{"Content-Length", "20"},
                                              {"Docker-Content-Digest", d},
                                              {"Content-Type", "application/octet-stream"}}};
                }
                return action{.body = self.blobs.at(d), .chunked = chunked_get};
            };
        });
        const auto found = f(f.repo->blob_exists(right.digest));
        ASSERT_TRUE(found.has_value());
        EXPECT_EQ(found->size, 20);  // what the registry said
        EXPECT_EQ(found->digest, right.digest);

        std::size_t delivered = 0;
        const auto e = error_of([&] { f.fetch(*found, &delivered); });
        EXPECT_EQ(e.code(), errc::size_mismatch) << e.what();
        EXPECT_TRUE(contains(e.what(), right.digest.str())) << e.what();

        EXPECT_EQ(f.fetch(right), data);
        const auto reqs = f.requests();
        ASSERT_EQ(reqs.size(), 3u);
        EXPECT_EQ(reqs[0].method, "HEAD");
        EXPECT_EQ(reqs[1].method, "GET");
        EXPECT_EQ(reqs[2].method, "GET");
        EXPECT_FALSE(reqs[1].has_header("Range"));
    }
}

// --- 7. fetch resume -----------------------------------------------------------------------------

/// A registry whose first GET of a blob is cut after `cut` bytes; `second` answers the rest.
fixture& cut_first_get(fixture& f, const std::string& data, std::size_t cut,
                       std::function<std::optional<action>(const scripted_request&)> second) {
    f.fake.with([&](fake_registry& reg) {
        reg.blobs[oras::digest::of(data).str()] = data;
        reg.hook = [data, cut, second](const scripted_request& r,
                                       fake_registry& self) -> std::optional<action> {
            if (r.method != "GET" || !split_target(r.target).path.starts_with(blobs_path)) {
                return std::nullopt;
            }
            if (self.seen["GET"] == 1) {
                return action{.headers = {{"Content-Type", "application/octet-stream"}},
                              .body = data,
                              .truncate_body_at = cut};
            }
            return second ? second(r) : std::nullopt;
        };
    });
    return f;
}

TEST(registry_transport, a_cut_download_resumes_with_range_and_delivers_every_byte_once) {
    const auto data = pattern(100'000, 9);
    const auto desc = describe(data);
    fixture f;
    cut_first_get(f, data, 40'000, {});
    std::size_t delivered = 0;
    EXPECT_EQ(f.fetch(desc, &delivered), data);
    EXPECT_EQ(delivered, data.size());
    const auto reqs = f.requests();
    ASSERT_EQ(reqs.size(), 2u);
    EXPECT_FALSE(reqs[0].has_header("Range"));
    EXPECT_EQ(reqs[1].method, "GET");
    EXPECT_EQ(reqs[1].target, blobs_path + desc.digest.str());
    EXPECT_EQ(reqs[1].header("Range"), "bytes=40000-");
}

TEST(registry_transport, a_resume_answered_with_the_wrong_content_range_is_an_error) {
    const auto data = pattern(100'000, 10);
    const auto desc = describe(data);
    fixture f;
    cut_first_get(f, data, 40'000, [data](const scripted_request&) -> std::optional<action> {
        return action{
            .status = 206, .headers = {{"Content-Range", "bytes 0-99999/100000"}}, .body = data};
    });
    const auto e = error_of([&] { f.fetch(desc); });
    EXPECT_EQ(e.code(), errc::invalid_response);
    EXPECT_TRUE(contains(e.what(), "resume from byte 40000")) << e.what();
    EXPECT_TRUE(contains(e.what(), "bytes 0-99999/100000")) << e.what();
    EXPECT_TRUE(contains(e.what(), desc.digest.str())) << e.what();
    EXPECT_EQ(f.requests().size(), 2u);
}

TEST(registry_transport, a_resume_from_a_registry_that_ignores_range_yields_the_right_bytes) {
    const auto data = pattern(100'000, 11);
    const auto desc = describe(data);
    fixture f;
    cut_first_get(f, data, 40'000, [data](const scripted_request&) -> std::optional<action> {
        return action{.body = data};  // 200, the whole blob again
    });
    std::size_t delivered = 0;
    EXPECT_EQ(f.fetch(desc, &delivered), data);
    EXPECT_EQ(delivered, data.size());
    const auto reqs = f.requests();
    ASSERT_EQ(reqs.size(), 2u);
    EXPECT_EQ(reqs[1].header("Range"), "bytes=40000-");
}

TEST(registry_transport, fetch_blob_range_accepts_206_and_cuts_a_200) {
    const auto data = pattern(5000, 12);
    const auto desc = describe(data);
    for (const bool ignore_range : {false, true}) {
        SCOPED_TRACE(ignore_range ? "registry ignores Range" : "206");
        fixture f;
        f.fake.with([&](fake_registry& reg) {
            reg.blobs[desc.digest.str()] = data;
            if (ignore_range) {
                reg.hook = [data](const scripted_request& r,
                                  fake_registry&) -> std::optional<action> {
                    if (r.method == "GET" && split_target(r.target).path.starts_with(blobs_path)) {
                        return action{.body = data};
                    }
                    return std::nullopt;
                };
            }
        });
        auto out = std::make_shared<std::string>();
        oras::byte_sink sink = [out](std::span<const std::byte> b) -> asio::awaitable<void> {
            out->append(reinterpret_cast<const char*>(b.data()), b.size());
            co_return;
        };
        f(f.repo->fetch_blob_range(desc.digest, 1000, 1500, std::move(sink)));
        EXPECT_EQ(*out, data.substr(1000, 1500));
        const auto reqs = f.requests();
        ASSERT_EQ(reqs.size(), 1u);
        EXPECT_EQ(reqs[0].header("Range"), "bytes=1000-2499");
    }
}

// --- 7b. parallel ranged downloads ---------------------------------------------------------------

/// What is left of `r`, read in slices of 7,000 bytes (never a chunk's multiple).
asio::awaitable<std::string> read_rest(oras::byte_source r) {
    std::string got;
    std::vector<std::byte> buf(7'000);
    while (const auto n = co_await r.read(buf)) {
        got.append(reinterpret_cast<const char*>(buf.data()), n);
    }
    co_return got;
}

fixture_options striped(std::size_t parts, std::size_t chunk) {
    fixture_options o;
    o.repo.parallel_download_min_size = 1;
    o.repo.parallel_download_parts = parts;
    o.repo.parallel_download_chunk = chunk;
    o.repo.parallel_download_fast_rate = 0;  // loopback: as fast as it gets, striped all the same
    return o;
}

TEST(registry_transport, a_large_blob_comes_as_ranges_in_flight_at_once_and_in_order) {
    const auto data = pattern(100'003, 21);
    const auto desc = describe(data);
    fixture f(striped(3, 10'000));
    f.fake.with([&](fake_registry& reg) { reg.blobs[desc.digest.str()] = data; });
    std::size_t delivered = 0;
    EXPECT_EQ(f.fetch(desc, &delivered), data);
    EXPECT_EQ(delivered, data.size());
    const auto reqs = f.requests();
    // The whole blob asked for, dropped after its first chunk; then nine chunks of 10,000 and
    // one of 3.
    ASSERT_EQ(reqs.size(), 11u);
    std::set<std::string> ranges;
    for (const auto& r : reqs) {
        EXPECT_EQ(r.method, "GET");
        ranges.insert(r.header("Range"));
    }
    EXPECT_EQ(reqs[0].header("Range"), "bytes=0-");
    EXPECT_TRUE(ranges.contains("bytes=10000-19999"));
    EXPECT_TRUE(ranges.contains("bytes=100000-100002"));
    EXPECT_EQ(ranges.size(), 11u);

    // Under the threshold: one GET.
    auto o = striped(3, 10'000).repo;
    o.parallel_download_min_size = data.size() + 1;
    fixture one({.repo = o});
    one.fake.with([&](fake_registry& reg) { reg.blobs[desc.digest.str()] = data; });
    EXPECT_EQ(one.fetch(desc), data);
    ASSERT_EQ(one.requests().size(), 1u);
    EXPECT_FALSE(one.requests()[0].has_header("Range"));
}

TEST(registry_transport, a_first_range_that_comes_fast_is_followed_by_one_stream) {
    const auto data = pattern(100'003, 25);
    const auto desc = describe(data);
    auto o = striped(3, 10'000);
    o.repo.parallel_download_fast_rate = 1;  // any link is fast
    fixture f(o);
    f.fake.with([&](fake_registry& reg) { reg.blobs[desc.digest.str()] = data; });
    std::size_t delivered = 0;
    EXPECT_EQ(f.fetch(desc, &delivered), data);
    EXPECT_EQ(delivered, data.size());
    // The whole blob asked for, and read on.
    const auto reqs = f.requests();
    ASSERT_EQ(reqs.size(), 1u);
    EXPECT_EQ(reqs[0].header("Range"), "bytes=0-");

    // Read twice over, rewound in between (an upload that is retried reads its source again).
    for (const auto fast_rate : {std::uint64_t{1}, std::uint64_t{0}}) {
        SCOPED_TRACE(fast_rate == 0 ? "striped" : "one stream after the first chunk");
        auto twice = striped(3, 10'000);
        twice.repo.parallel_download_fast_rate = fast_rate;
        fixture g(twice);
        g.fake.with([&](fake_registry& reg) { reg.blobs[desc.digest.str()] = data; });
        const auto both = g([&]() -> asio::awaitable<std::string> {
            auto reader = co_await g.repo->open_blob(desc);
            reader.rewind();  // before any read (a target's reader is rewound so): nothing lost
            auto got = co_await read_rest(reader);
            reader.rewind();
            got += co_await read_rest(reader);
            co_return got;
        }());
        EXPECT_TRUE(both == data + data);
        if (fast_rate == 0) {
            // The whole blob (dropped after its first chunk, which the early rewind kept), the
            // 10 other chunks; after the rewind between the reads, all 11 again.
            EXPECT_EQ(g.requests().size(), 1u + 10u + 11u);
        }
    }
}

TEST(registry_transport, past_max_blobs_at_once_a_large_blob_is_one_stream) {
    const auto a = pattern(30'001, 27);
    const auto b = pattern(30'002, 28);
    const auto da = describe(a);
    const auto db = describe(b);
    auto o = striped(3, 10'000);
    o.repo.parallel_download_max_blobs = 1;
    fixture f(o);
    f.fake.with([&](fake_registry& reg) {
        reg.blobs[da.digest.str()] = a;
        reg.blobs[db.digest.str()] = b;
    });
    using oras::registry::detail::large_blobs;
    ASSERT_EQ(large_blobs(), 0u);  // no reader of another test left in this process
    const auto got = f([&]() -> asio::awaitable<std::pair<std::string, std::string>> {
        auto first = co_await f.repo->open_blob(da);  // the only large blob: striped
        EXPECT_EQ(large_blobs(), 1u);
        auto second = co_await f.repo->open_blob(db);  // a second at once: one stream, whole
        EXPECT_EQ(large_blobs(), 2u);
        auto got_b = co_await read_rest(second);
        EXPECT_EQ(large_blobs(), 1u);  // b's bytes ended
        auto got_a = co_await read_rest(first);
        EXPECT_EQ(large_blobs(), 0u);
        co_return std::pair{std::move(got_a), std::move(got_b)};
    }());
    EXPECT_TRUE(got.first == a);
    EXPECT_TRUE(got.second == b);
    EXPECT_EQ(large_blobs(), 0u);
    std::size_t whole_b = 0;
    std::size_t ranges_a = 0;
    for (const auto& r : f.requests()) {
        const bool is_b = r.target.find(db.digest.encoded()) != std::string::npos;
        whole_b += is_b && !r.has_header("Range") ? 1 : 0;
        ranges_a += !is_b && r.has_header("Range") ? 1 : 0;
        EXPECT_FALSE(is_b && r.has_header("Range")) << r.header("Range");
    }
    EXPECT_EQ(whole_b, 1u);
    EXPECT_EQ(ranges_a, 4u);  // the whole blob, dropped after its first chunk, then 3 ranges
    // Alone again: the next large blob is striped.
    EXPECT_EQ(f.fetch(db), b);
    EXPECT_EQ(f.requests().size(), 5u + 4u);
}

TEST(registry_transport, a_striped_blob_rewound_past_max_blobs_at_once_is_read_as_one_stream) {
    const auto a = pattern(30'001, 30);
    const auto b = pattern(30'002, 31);
    const auto da = describe(a);
    const auto db = describe(b);
    auto o = striped(3, 10'000);
    o.repo.parallel_download_max_blobs = 1;
    fixture f(o);
    f.fake.with([&](fake_registry& reg) {
        reg.blobs[da.digest.str()] = a;
        reg.blobs[db.digest.str()] = b;
    });
    using oras::registry::detail::large_blobs;
    ASSERT_EQ(large_blobs(), 0u);  // no reader of another test left in this process
    const auto got = f([&]() -> asio::awaitable<std::pair<std::string, std::string>> {
        auto first = co_await f.repo->open_blob(da);  // alone: striped
        auto got_a = co_await read_rest(first);
        EXPECT_EQ(large_blobs(), 0u);
        auto second = co_await f.repo->open_blob(db);  // alone again: striped
        EXPECT_EQ(large_blobs(), 1u);
        // An upload of `a` retried: its reader is read again while `b` is being fetched.
        first.rewind();
        EXPECT_EQ(large_blobs(), 2u);
        got_a += co_await read_rest(first);
        EXPECT_EQ(large_blobs(), 1u);
        auto got_b = co_await read_rest(second);
        EXPECT_EQ(large_blobs(), 0u);
        co_return std::pair{std::move(got_a), std::move(got_b)};
    }());
    EXPECT_TRUE(got.first == a + a);
    EXPECT_TRUE(got.second == b);
    std::vector<std::string> ranges_a;
    std::size_t requests_b = 0;
    for (const auto& r : f.requests()) {
        if (r.target.find(da.digest.encoded()) != std::string::npos) {
            ranges_a.push_back(r.has_header("Range") ? r.header("Range") : "none");
        } else {
            ++requests_b;
        }
    }
    // Striped the first time (the whole blob dropped after its first chunk, then 3 ranges);
    // after the rewind, the whole blob as one stream.
    ASSERT_EQ(ranges_a.size(), 5u);
    EXPECT_EQ(ranges_a[0], "bytes=0-");
    EXPECT_EQ(ranges_a[4], "none");
    EXPECT_EQ(requests_b, 4u);  // striped
}

TEST(registry_transport, a_stream_read_on_is_rewound_before_and_after_its_first_chunk_is_dropped) {
    const auto data = pattern(100'003, 29);
    const auto desc = describe(data);
    auto o = striped(3, 10'000);
    o.repo.parallel_download_fast_rate = 1;  // any link is fast: one stream
    fixture f(o);
    f.fake.with([&](fake_registry& reg) { reg.blobs[desc.digest.str()] = data; });
    using oras::registry::detail::large_blobs;
    ASSERT_EQ(large_blobs(), 0u);  // no reader of another test left in this process
    const auto got = f([&]() -> asio::awaitable<std::string> {
        auto reader = co_await f.repo->open_blob(desc);
        std::vector<std::byte> buf(7'000);
        // Rewound within the first chunk: it is handed out again from memory, the rest asked
        // for from its end.
        EXPECT_EQ(co_await reader.read(buf), buf.size());
        reader.rewind();
        EXPECT_EQ(large_blobs(), 1u);
        auto all = co_await read_rest(reader);
        EXPECT_EQ(large_blobs(), 0u);  // its bytes ended; the reader lives on
        // Rewound once the first chunk was dropped: the whole blob again, counted again.
        reader.rewind();
        EXPECT_EQ(large_blobs(), 1u);
        all += co_await read_rest(reader);
        EXPECT_EQ(large_blobs(), 0u);
        co_return all;
    }());
    EXPECT_TRUE(got == data + data);
    const auto reqs = f.requests();
    ASSERT_EQ(reqs.size(), 3u);
    EXPECT_EQ(reqs[0].header("Range"), "bytes=0-");
    EXPECT_EQ(reqs[1].header("Range"), "bytes=10000-");
    EXPECT_FALSE(reqs[2].has_header("Range")) << reqs[2].header("Range");
}

TEST(registry_transport, a_stream_read_on_after_its_first_range_resumes_where_it_was_cut) {
    const auto data = pattern(100'003, 26);
    const auto desc = describe(data);
    auto o = striped(3, 10'000);
    o.repo.parallel_download_fast_rate = 1;  // any link is fast: one stream
    fixture f(o);
    f.fake.with([&](fake_registry& reg) {
        reg.blobs[desc.digest.str()] = data;
        reg.hook = [data](const scripted_request& r, fake_registry&) -> std::optional<action> {
            if (r.method == "GET" && r.header("Range") == "bytes=0-") {
                return action{.status = 206,
                              .headers = {{"Content-Range", "bytes 0-100002/100003"}},
                              .body = data,
                              .truncate_body_at = 25'000};
            }
            return std::nullopt;
        };
    });
    std::size_t delivered = 0;
    EXPECT_EQ(f.fetch(desc, &delivered), data);
    EXPECT_EQ(delivered, data.size());
    const auto reqs = f.requests();
    ASSERT_EQ(reqs.size(), 2u);
    EXPECT_EQ(reqs[1].header("Range"), "bytes=25000-");
}

TEST(registry_transport, a_registry_without_ranges_is_read_as_one_stream_and_not_asked_again) {
    const auto data = pattern(50'000, 22);
    const auto desc = describe(data);
    fixture f(striped(4, 8'000));
    f.fake.with([&](fake_registry& reg) {
        reg.blobs[desc.digest.str()] = data;
        reg.hook = [data](const scripted_request& r, fake_registry&) -> std::optional<action> {
            if (r.method == "GET" && split_target(r.target).path.starts_with(blobs_path)) {
                return action{.body = data};  // 200 whatever the Range
            }
            return std::nullopt;
        };
    });
    EXPECT_EQ(f.fetch(desc), data);
    auto reqs = f.requests();
    ASSERT_EQ(reqs.size(), 1u);  // the whole blob, read on
    EXPECT_EQ(reqs[0].header("Range"), "bytes=0-");
    // Learned: the next blob is asked for without a Range.
    EXPECT_EQ(f.fetch(desc), data);
    reqs = f.requests();
    ASSERT_EQ(reqs.size(), 2u);
    EXPECT_FALSE(reqs[1].has_header("Range"));
}

TEST(registry_transport, a_range_whose_connection_drops_is_asked_for_again) {
    const auto data = pattern(60'000, 23);
    const auto desc = describe(data);
    fixture f(striped(2, 10'000));
    f.fake.with([&](fake_registry& reg) {
        reg.blobs[desc.digest.str()] = data;
        auto cuts = std::make_shared<int>(0);
        reg.hook = [data, cuts](const scripted_request& r,
                                fake_registry&) -> std::optional<action> {
            if (r.method == "GET" && r.header("Range") == "bytes=30000-39999") {
                if ((*cuts)++ == 0) {  // once only
                    return action{.status = 206,
                                  .headers = {{"Content-Range", "bytes 30000-39999/60000"}},
                                  .body = data.substr(30'000, 10'000),
                                  .truncate_body_at = 4'000};
                }
            }
            return std::nullopt;
        };
    });
    std::size_t delivered = 0;
    EXPECT_EQ(f.fetch(desc, &delivered), data);
    EXPECT_EQ(delivered, data.size());
    std::size_t asked = 0;
    for (const auto& r : f.requests()) {
        asked += r.header("Range") == "bytes=30000-39999" ? 1 : 0;
    }
    EXPECT_EQ(asked, 2u);
    EXPECT_EQ(f.requests().size(), 7u);
}

TEST(registry_transport, a_range_answered_elsewhere_is_read_on_as_one_stream) {
    const auto data = pattern(40'000, 24);
    const auto desc = describe(data);
    struct answer {
        std::string range;  // the Range it answers wrongly
        action wrong;
        std::string fallback;  // what the client asks next for the rest ("": no Range)
    };
    const std::vector<answer> answers{
        // A Content-Range elsewhere for one chunk: the rest from that chunk on, one stream
        // asked for without a Range (a proxy that answers ranges wrongly may do it again).
        {"bytes=20000-29999",
         action{.status = 206,
                .headers = {{"Content-Range", "bytes 0-9999/40000"}},
                .body = data.substr(0, 10'000)},
         ""},
        // The whole blob for a bounded range (a proxy that passes only open-ended ones).
        {"bytes=20000-29999", action{.body = data}, ""},
        // A prefix for the open-ended first request (a proxy capping ranges): a plain GET.
        {"bytes=0-",
         action{.status = 206,
                .headers = {{"Content-Range", "bytes 0-9999/40000"}},
                .body = data.substr(0, 10'000)},
         ""},
    };
    for (const auto& a : answers) {
        SCOPED_TRACE(a.range + " answered wrongly");
        fixture f(striped(2, 10'000));
        f.fake.with([&](fake_registry& reg) {
            reg.blobs[desc.digest.str()] = data;
            reg.hook = [a](const scripted_request& r, fake_registry&) -> std::optional<action> {
                if (r.method == "GET" && r.header("Range") == a.range) {
                    return a.wrong;
                }
                return std::nullopt;
            };
        });
        std::size_t delivered = 0;
        EXPECT_EQ(f.fetch(desc, &delivered), data);
        EXPECT_EQ(delivered, data.size());
        // A range still in flight when the reader fell back may reach the server in any
        // order, so the requests are looked for rather than counted in order.
        const auto range_of = [](const scripted_request& r) {
            return r.has_header("Range") ? r.header("Range") : std::string("none");
        };
        auto reqs = f.requests();
        std::size_t fallbacks = 0;
        for (const auto& r : reqs) {
            fallbacks += range_of(r) == (a.fallback.empty() ? "none" : a.fallback) ? 1 : 0;
        }
        EXPECT_EQ(fallbacks, 1u);
        // Learned: the next blob is one plain GET, not striped.
        const auto before = reqs.size();
        EXPECT_EQ(f.fetch(desc), data);
        reqs = f.requests();
        std::size_t plain = 0;
        for (std::size_t i = before; i < reqs.size(); ++i) {
            plain += range_of(reqs[i]) == "none" ? 1 : 0;
            EXPECT_NE(range_of(reqs[i]), "bytes=0-");
        }
        EXPECT_EQ(plain, 1u);
    }
}

TEST(registry_transport, wrong_bytes_or_a_missing_blob_fail_the_parallel_download) {
    const auto data = pattern(40'000, 24);
    const auto desc = describe(data);
    {
        auto damaged = data;
        damaged[25'000] = static_cast<char>(damaged[25'000] ^ 1);
        fixture f(striped(2, 10'000));
        f.fake.with([&](fake_registry& reg) { reg.blobs[desc.digest.str()] = damaged; });
        const auto e = error_of([&] { f.fetch(desc); });
        EXPECT_EQ(e.code(), errc::digest_mismatch) << e.what();
    }
    {
        fixture f(striped(2, 10'000));
        const auto e = error_of([&] { f.fetch(desc); });  // not there
        EXPECT_EQ(e.code(), errc::not_found) << e.what();
        EXPECT_EQ(f.requests().size(), 1u);
    }
}

// --- 8. upload Locations that leave the registry -------------------------------------------------

TEST(registry_transport, an_upload_location_on_another_host_is_refused) {
    auto other = recording_server();
    const auto data = pattern(3000, 13);
    const auto desc = describe(data);
    const auto elsewhere = other.url();

    // The POST's Location.
    {
        fixture f;
        f.fake.with([&](fake_registry& reg) {
            reg.hook = [elsewhere](const scripted_request& r,
                                   fake_registry&) -> std::optional<action> {
                if (r.method == "POST") {
                    return action{
                        .status = 202,
                        .headers = {{"Location", elsewhere + uploads_path + "x?_state=1"}}};
                }
                return std::nullopt;
            };
        });
        const auto e =
            error_of([&] { f(f.repo->push_blob(desc, oras::byte_source::from_string(data))); });
        EXPECT_EQ(e.code(), errc::invalid_response);
        EXPECT_TRUE(contains(e.what(), "leaves the registry")) << e.what();
        EXPECT_TRUE(contains(e.what(), "cannot push blob")) << e.what();
        const auto reqs = f.requests();
        ASSERT_EQ(reqs.size(), 1u);
        EXPECT_EQ(reqs[0].method, "POST");
    }
    // A PATCH answer's Location, in the middle of a chunked upload.
    {
        fixture f;
        f.fake.with([&](fake_registry& reg) {
            reg.chunk_min = "1000";
            reg.hook = [elsewhere](const scripted_request& r,
                                   fake_registry& self) -> std::optional<action> {
                if (r.method == "PATCH") {
                    auto& s = self.sessions[session_id_of(r)];
                    s.data += r.body;
                    return action{.status = 202,
                                  .headers = {{"Location", elsewhere + uploads_path + "x?_state=2"},
                                              {"Range", range_of(s.data.size())}}};
                }
                return std::nullopt;
            };
        });
        const auto e = error_of(
            [&] { f(f.repo->push_blob_stream(stream_of(data, 500), "application/octet-stream")); });
        EXPECT_EQ(e.code(), errc::invalid_response);
        EXPECT_TRUE(contains(e.what(), "leaves the registry")) << e.what();
        const auto reqs = f.requests();
        for (const auto& r : reqs) {
            EXPECT_NE(r.method, "PUT");
        }
        ASSERT_GE(reqs.size(), 2u);
        EXPECT_EQ(reqs[1].method, "PATCH");
        EXPECT_EQ(std::count_if(reqs.begin(), reqs.end(),
                                [](const scripted_request& r) { return r.method == "PATCH"; }),
                  1);
    }
    EXPECT_EQ(other.connections_accepted(), 0u);
    EXPECT_EQ(other.requests_served(), 0u);
}

TEST(registry_transport, an_upload_location_that_downgrades_to_http_is_refused) {
    const auto data = pattern(3000, 14);
    const auto desc = describe(data);
    fixture f({.tls = true});
    const auto plain = "http://" + f.server.host();
    f.fake.with([&](fake_registry& reg) {
        reg.hook = [plain](const scripted_request& r,
                           fake_registry& self) -> std::optional<action> {
            if (r.method == "POST") {
                self.sessions["s1"] = upload{};
                return action{.status = 202,
                              .headers = {{"Location", plain + uploads_path + "s1?_state=1"}}};
            }
            return std::nullopt;
        };
    });
    EXPECT_EQ(f.repo->base_url(), "https://" + f.server.host());
    const auto e =
        error_of([&] { f(f.repo->push_blob(desc, oras::byte_source::from_string(data))); });
    EXPECT_EQ(e.code(), errc::invalid_response);
    EXPECT_TRUE(contains(e.what(), "downgrades https to http")) << e.what();
    const auto reqs = f.requests();
    ASSERT_EQ(reqs.size(), 1u);
    EXPECT_EQ(reqs[0].method, "POST");
    EXPECT_EQ(f.stored(desc.digest), "<none>");
}

// --- 9. error bodies -----------------------------------------------------------------------------

TEST(registry_transport, error_bodies_give_the_right_code_and_name_the_operation) {
    struct error_case {
        const char* name = "";
        action answer{};
        errc code = errc::unexpected_status;
        std::string says{};
        std::string must_not_say{};
    };
    const std::vector<error_case> cases = {
        {.name = "html",
         .answer = {.status = 404,
                    .headers = {{"Content-Type", "text/html"}},
                    .body = "<html><body><h1>404 Not Found</h1><p>nginx</p></body></html>"},
         .code = errc::not_found,
         .says = "HTTP 404",
         .must_not_say = "<"},
        {.name = "plain text",
         .answer = {.status = 404,
                    .headers = {{"Content-Type", "text/plain; charset=utf-8"}},
                    .body = "404 page not found\n"},
         .code = errc::not_found,
         .says = "HTTP 404: 404 page not found"},
        {.name = "json",
         .answer = json_error(404, "MANIFEST_UNKNOWN", "manifest unknown"),
         .code = errc::not_found,
         .says = "manifest unknown"},
        {.name = "json denied",
         .answer = json_error(403, "DENIED", "requested access to the resource is denied"),
         .code = errc::denied,
         .says = "requested access to the resource is denied"},
        {.name = "html 403",
         .answer = {.status = 403,
                    .headers = {{"Content-Type", "text/html"}},
                    .body = "<html>Forbidden</html>"},
         .code = errc::denied,
         .says = "HTTP 403",
         .must_not_say = "Forbidden"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        fixture f;
        f.fake.with([&](fake_registry& reg) {
            reg.hook = [answer = c.answer](const scripted_request&,
                                           fake_registry&) -> std::optional<action> {
                return answer;
            };
        });
        const auto e = error_of([&] { f(f.repo->fetch_manifest("v1")); });
        const std::string what = e.what();
        EXPECT_EQ(e.code(), c.code) << what;
        EXPECT_TRUE(contains(what, "cannot fetch manifest " + f.server.host() + "/app:v1")) << what;
        EXPECT_TRUE(contains(what, c.says)) << what;
        if (!c.must_not_say.empty()) {
            EXPECT_FALSE(contains(what, c.must_not_say)) << what;
        }
        EXPECT_EQ(e.diag().method, "GET");
        EXPECT_EQ(e.diag().status, c.answer.status);
        EXPECT_TRUE(contains(e.diag().url, "/v2/app/manifests/v1")) << e.diag().url;
    }

    // Other operations name themselves too.
    fixture f;
    const auto d = oras::digest::of("x");
    f.fake.with([&](fake_registry& reg) {
        reg.hook = [](const scripted_request& r, fake_registry&) -> std::optional<action> {
            if (r.method == "DELETE") {
                return json_error(405, "UNSUPPORTED", "The operation is unsupported.");
            }
            return json_error(400, "DIGEST_INVALID", "provided digest did not match");
        };
    });
    auto e = error_of([&] { f(f.repo->delete_blob(d)); });
    EXPECT_EQ(e.code(), errc::unsupported) << e.what();
    EXPECT_TRUE(contains(e.what(), "cannot delete blob " + d.str())) << e.what();
    EXPECT_TRUE(contains(e.what(), "The operation is unsupported.")) << e.what();
    ASSERT_EQ(e.diag().errors.size(), 1u);
    EXPECT_EQ(e.diag().errors[0].code, "UNSUPPORTED");

    e = error_of([&] { f(f.repo->push_blob(describe("x"), oras::byte_source::from_string("x"))); });
    EXPECT_EQ(e.code(), errc::digest_mismatch) << e.what();
    EXPECT_TRUE(contains(e.what(), "cannot push blob " + d.str())) << e.what();
    EXPECT_EQ(e.diag().method, "POST");
}

TEST(registry_transport, an_error_body_past_8_kib_is_cut_without_failing) {
    fixture f;
    const std::string big = "404 page not found\n" + std::string(9 * 1024, 'x');
    f.fake.with([&](fake_registry& reg) {
        reg.hook = [big](const scripted_request& r, fake_registry&) -> std::optional<action> {
            const bool large = split_target(r.target).path.ends_with("/big");
            return action{.status = 404,
                          .headers = {{"Content-Type", "text/plain; charset=utf-8"}},
                          .body = large ? big : "404 page not found\n"};
        };
    });
    for (const std::string tag : {"small", "small", "big", "small"}) {
        const auto e = error_of([&] { f(f.repo->fetch_manifest(tag)); });
        EXPECT_EQ(e.code(), errc::not_found) << e.what();
        EXPECT_TRUE(contains(e.what(), "cannot fetch manifest " + f.server.host() + "/app:" + tag))
            << e.what();
        EXPECT_TRUE(contains(e.what(), "404 page not found")) << e.what();
        EXPECT_FALSE(contains(e.what(), "xxxx")) << e.what();
    }
    const auto reqs = f.requests();
    ASSERT_EQ(reqs.size(), 4u);
    // A small error body is read to its end: the connection is reused. The 9 KiB one is read
    // only up to 8 KiB and its connection given up, so the next request needs a new one.
    EXPECT_EQ(reqs[1].connection_id, reqs[0].connection_id);
    EXPECT_EQ(reqs[2].connection_id, reqs[1].connection_id);
    EXPECT_NE(reqs[3].connection_id, reqs[2].connection_id);
}

// --- 10. mounts ----------------------------------------------------------------------------------

TEST(registry_transport, a_mount_answered_201_is_one_post) {
    const auto data = pattern(700, 15);
    const auto desc = describe(data);
    fixture f;
    f.fake.with([&](fake_registry& reg) { reg.mountable[desc.digest.str()] = data; });
    EXPECT_TRUE(f(f.repo->mount_blob(desc, "team/base", oras::byte_source::from_string(data))));
    EXPECT_EQ(f.stored(desc.digest), data);
    const auto reqs = f.requests();
    ASSERT_EQ(reqs.size(), 1u);
    EXPECT_EQ(reqs[0].method, "POST");
    const auto t = split_target(reqs[0].target);
    EXPECT_EQ(t.path, uploads_path);
    EXPECT_EQ(t.param("mount"), desc.digest.str());
    EXPECT_EQ(t.param("from"), "team/base");
    EXPECT_EQ(reqs[0].body, "");
}

TEST(registry_transport, a_mount_answered_202_uploads_the_fallback_in_that_session) {
    const auto data = pattern(700, 16);
    const auto desc = describe(data);
    fixture f;
    // Another session is open already: the PUT must go to the one the mount POST opened.
    f.fake.with([](fake_registry& reg) {
        reg.sessions["s0"] = upload{.data = "", .seq = 1, .state = "s0.1"};
    });
    EXPECT_FALSE(f(f.repo->mount_blob(desc, "team/base", oras::byte_source::from_string(data))));
    EXPECT_EQ(f.stored(desc.digest), data);
    const auto reqs = f.requests();
    const auto issued = f.fake.with([](fake_registry& reg) { return reg.issued; });
    ASSERT_EQ(reqs.size(), 2u);
    ASSERT_EQ(issued.size(), 1u);
    EXPECT_EQ(reqs[0].method, "POST");
    EXPECT_EQ(split_target(reqs[0].target).param("mount"), desc.digest.str());
    EXPECT_EQ(split_target(reqs[0].target).param("from"), "team/base");
    EXPECT_EQ(reqs[0].body, "");
    EXPECT_EQ(reqs[1].method, "PUT");
    const auto t = split_target(reqs[1].target);
    EXPECT_EQ(t.path, split_target(issued[0]).path);
    EXPECT_EQ(t.param("_state"), split_target(issued[0]).param("_state"));
    EXPECT_EQ(t.param("digest"), desc.digest.str());
    EXPECT_EQ(reqs[1].body, data);

    // Without a fallback the session is cancelled.
    fixture g;
    EXPECT_FALSE(g(g.repo->mount_blob(desc, "team/base")));
    const auto greqs = g.requests();
    const auto gissued = g.fake.with([](fake_registry& reg) { return reg.issued; });
    ASSERT_EQ(greqs.size(), 2u);
    EXPECT_EQ(greqs[1].method, "DELETE");
    EXPECT_EQ(greqs[1].target, gissued[0]);
    EXPECT_EQ(g.fake.with([](fake_registry& reg) { return reg.cancelled; }),
              std::vector<std::string>{"s1"});
}

/// An `open` for push_blob_unless_present that counts its calls.
std::function<asio::awaitable<oras::byte_source>()> opener(std::string data,
                                                           std::shared_ptr<int> calls) {
    return [data = std::move(data), calls]() -> asio::awaitable<oras::byte_source> {
        ++*calls;
        co_return oras::byte_source::from_string(data);
    };
}

/// Each request's method, "+mount" after a POST that asked for a mount.
std::vector<std::string> methods_of(const std::vector<scripted_request>& reqs) {
    std::vector<std::string> out;
    for (const auto& r : reqs) {
        out.push_back(r.method + (split_target(r.target).param("mount").empty() ? "" : "+mount"));
    }
    return out;
}

TEST(registry_transport, a_small_blob_is_asked_about_with_a_mount_into_its_own_repository) {
    const auto data = pattern(900, 5);
    const auto desc = describe(data);
    fixture f;
    auto calls = std::make_shared<int>(0);
    EXPECT_FALSE(f(f.repo->push_blob_unless_present(desc, opener(data, calls))));
    EXPECT_EQ(*calls, 1);
    EXPECT_EQ(f.stored(desc.digest), data);
    auto reqs = f.requests();
    ASSERT_EQ(reqs.size(), 2u);  // POST ?mount= (202, a session), PUT: no HEAD
    EXPECT_EQ(reqs[0].method, "POST");
    EXPECT_EQ(split_target(reqs[0].target).param("mount"), desc.digest.str());
    EXPECT_EQ(split_target(reqs[0].target).param("from"), "app");
    EXPECT_EQ(reqs[1].method, "PUT");
    EXPECT_EQ(reqs[1].body, data);

    // Present: one request, nothing opened.
    const auto other = pattern(700, 6);
    const auto other_desc = describe(other);
    f.fake.with([&](fake_registry& reg) { reg.mountable[other_desc.digest.str()] = other; });
    EXPECT_TRUE(f(f.repo->push_blob_unless_present(other_desc, opener(other, calls))));
    EXPECT_EQ(*calls, 1);
    reqs = f.requests();
    ASSERT_EQ(reqs.size(), 3u);
    EXPECT_EQ(reqs[2].method, "POST");
}

TEST(registry_transport, a_blob_this_process_pushed_lately_is_not_asked_about_again) {
    // Distribution rewrites a blob's link file on every mount into the repository (truncated,
    // then written); a manifest PUT reading it meanwhile finds the blob unknown. Artifacts
    // sharing a blob, pushed at once, met that: the second mount raced the first's manifest.
    const auto data = pattern(900, 7);
    const auto desc = describe(data);
    fixture f;
    f.fake.with([](fake_registry& reg) {
        reg.hook = [](const scripted_request& r, fake_registry& self) -> std::optional<action> {
            const auto path = split_target(r.target).path;
            if (r.method == "DELETE" && path.starts_with(blobs_path)) {
                self.blobs.erase(path.substr(blobs_path.size()));
                return action{.status = 202};
            }
            return std::nullopt;
        };
    });
    auto calls = std::make_shared<int>(0);
    EXPECT_FALSE(f(f.repo->push_blob_unless_present(desc, opener(data, calls))));
    EXPECT_EQ(f.requests().size(), 2u);  // POST ?mount= (202), PUT
    for (int i = 0; i < 3; ++i) {
        EXPECT_TRUE(f(f.repo->push_blob_unless_present(desc, opener(data, calls))));
    }
    EXPECT_EQ(*calls, 1);
    EXPECT_EQ(f.requests().size(), 2u);  // known: no request at all
    // A blob pushed with push_blob is known too; a deleted one is asked about again.
    const auto b = pattern(800, 8);
    f(f.repo->push_blob(describe(b), oras::byte_source::from_string(b)));
    const auto after_push = f.requests().size();
    EXPECT_TRUE(f(f.repo->push_blob_unless_present(describe(b), opener(b, calls))));
    EXPECT_EQ(f.requests().size(), after_push);
    f(f.repo->delete_blob(desc.digest));
    EXPECT_FALSE(f(f.repo->push_blob_unless_present(desc, opener(data, calls))));
    EXPECT_EQ(*calls, 2);
    EXPECT_EQ(methods_of(f.requests()).back(), "PUT");
}

TEST(registry_transport, a_registry_refusing_mounts_is_asked_with_head_from_then_on) {
    const auto a = pattern(500, 1);
    const auto b = pattern(600, 2);
    fixture f;
    f.fake.with([](fake_registry& reg) { reg.mount_refused = 400; });
    auto calls = std::make_shared<int>(0);
    EXPECT_FALSE(f(f.repo->push_blob_unless_present(describe(a), opener(a, calls))));
    EXPECT_FALSE(f(f.repo->push_blob_unless_present(describe(b), opener(b, calls))));
    EXPECT_EQ(*calls, 2);
    EXPECT_EQ(f.stored(describe(a).digest), a);
    EXPECT_EQ(f.stored(describe(b).digest), b);
    // Present (put there by another client): asked with HEAD.
    const auto c = pattern(700, 3);
    f.fake.with([&](fake_registry& reg) { reg.blobs[describe(c).digest.str()] = c; });
    EXPECT_TRUE(f(f.repo->push_blob_unless_present(describe(c), opener(c, calls))));
    EXPECT_EQ(*calls, 2);
    const auto methods = methods_of(f.requests());
    EXPECT_EQ(methods, (std::vector<std::string>{"POST+mount", "HEAD", "POST", "PUT", "HEAD",
                                                 "POST", "PUT", "HEAD"}));
}

TEST(registry_transport, a_large_blob_is_asked_about_with_head) {
    const auto data = pattern(3000, 9);
    const auto desc = describe(data);
    fixture f({.repo = {.self_mount_max = 2048}});
    auto calls = std::make_shared<int>(0);
    EXPECT_FALSE(f(f.repo->push_blob_unless_present(desc, opener(data, calls))));
    EXPECT_EQ(*calls, 1);
    // Present (put there by another client): HEAD only.
    const auto other = pattern(3001, 10);
    f.fake.with([&](fake_registry& reg) { reg.blobs[describe(other).digest.str()] = other; });
    EXPECT_TRUE(f(f.repo->push_blob_unless_present(describe(other), opener(other, calls))));
    EXPECT_EQ(*calls, 1);
    const auto reqs = f.requests();
    ASSERT_EQ(reqs.size(), 4u);
    EXPECT_EQ(reqs[0].method, "HEAD");
    EXPECT_EQ(reqs[1].method, "POST");
    EXPECT_TRUE(split_target(reqs[1].target).param("mount").empty());
    EXPECT_EQ(reqs[2].method, "PUT");
    EXPECT_EQ(reqs[3].method, "HEAD");
}

TEST(registry_transport, a_source_that_fails_to_open_cancels_the_session_its_mount_opened) {
    const auto data = pattern(800, 3);
    fixture f;
    std::function<asio::awaitable<oras::byte_source>()> broken =
        []() -> asio::awaitable<oras::byte_source> {
        throw oras::error(oras::errc::not_found, "the source lost it");
        co_return oras::byte_source{};
    };
    EXPECT_THROW(f(f.repo->push_blob_unless_present(describe(data), broken)), oras::error);
    const auto reqs = f.requests();
    ASSERT_EQ(reqs.size(), 2u);
    EXPECT_EQ(reqs[1].method, "DELETE");
    EXPECT_EQ(f.fake.with([](fake_registry& reg) { return reg.cancelled; }),
              std::vector<std::string>{"s1"});

    // Bytes that are not the blob: refused, the session cancelled, nothing stored.
    fixture g;
    auto calls = std::make_shared<int>(0);
    EXPECT_THROW(g(g.repo->push_blob_unless_present(describe(data), opener(data + "x", calls))),
                 oras::error);
    EXPECT_EQ(g.requests().back().method, "DELETE");
    EXPECT_TRUE(g.fake.with([](fake_registry& reg) { return reg.blobs.empty(); }));
}

TEST(registry_transport, a_server_error_on_the_mount_asks_that_blob_with_head_only) {
    const auto a = pattern(500, 4);
    const auto b = pattern(600, 6);
    fixture f;
    f.fake.with([](fake_registry& reg) { reg.mount_refused = 500; });
    auto calls = std::make_shared<int>(0);
    EXPECT_FALSE(f(f.repo->push_blob_unless_present(describe(a), opener(a, calls))));
    EXPECT_FALSE(f(f.repo->push_blob_unless_present(describe(b), opener(b, calls))));
    const auto methods = methods_of(f.requests());
    // Not given up for the repository: the next blob is asked with a mount again.
    EXPECT_EQ(methods, (std::vector<std::string>{"POST+mount", "HEAD", "POST", "PUT", "POST+mount",
                                                 "HEAD", "POST", "PUT"}));
}

TEST(registry_transport, a_self_mount_bound_of_zero_never_mounts) {
    fixture f({.repo = {.self_mount_max = 0}});
    auto calls = std::make_shared<int>(0);
    EXPECT_FALSE(f(f.repo->push_blob_unless_present(describe(""), opener("", calls))));
    const auto reqs = f.requests();
    ASSERT_EQ(reqs.size(), 3u);
    EXPECT_EQ(reqs[0].method, "HEAD");
    EXPECT_TRUE(split_target(reqs[1].target).param("mount").empty());
}

TEST(registry_transport, a_source_failing_for_one_caller_does_not_fail_another_of_the_same_digest) {
    const auto data = pattern(700, 7);
    const auto desc = describe(data);
    fixture f;
    std::function<asio::awaitable<oras::byte_source>()> broken =
        []() -> asio::awaitable<oras::byte_source> {
        throw oras::error(oras::errc::not_found, "this source lost it");
        co_return oras::byte_source{};
    };
    auto calls = std::make_shared<int>(0);
    std::exception_ptr first_error;
    std::optional<bool> second;
    asio::co_spawn(f.io, f.repo->push_blob_unless_present(desc, broken),
                   [&](std::exception_ptr e, bool) { first_error = e; });
    asio::co_spawn(f.io, f.repo->push_blob_unless_present(desc, opener(data, calls)),
                   [&](std::exception_ptr e, bool present) {
                       if (!e) {
                           second = present;
                       }
                   });
    f.io.run();
    f.io.restart();
    EXPECT_TRUE(first_error);
    ASSERT_TRUE(second.has_value());
    EXPECT_FALSE(*second);  // it uploaded the blob itself
    EXPECT_EQ(*calls, 1);
    EXPECT_EQ(f.stored(desc.digest), data);
}

}  // namespace
