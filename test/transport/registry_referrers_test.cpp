// Referrers against scripted registries: one with the referrers API (pages, filters, OCI-Subject,
// broken answers) and one without it (the capability probe, the tag-schema fallback index).
#include <oras/artifact_manifest.hpp>
#include <oras/content/oci_layout.hpp>
#include <oras/error.hpp>
#include <oras/image_index.hpp>
#include <oras/image_manifest.hpp>
#include <oras/media_type.hpp>
#include <oras/ops/attach.hpp>
#include <oras/ops/copy.hpp>
#include <oras/ops/discover.hpp>
#include <oras/registry/repository.hpp>
#include <oras/registry/repository_target.hpp>

#include "scripted_server.hpp"

#include <oras/test/run.hpp>
#include <oras/test/temp_dir.hpp>

#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using oras::descriptor;
using oras::test::action;
using oras::test::scripted_request;
using oras::test::scripted_server;

using oras::test::run;

const std::string index_type(oras::media_type::image_index);
const std::string manifest_type(oras::media_type::image_manifest);

std::string percent_decoded(std::string_view s) {
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

/// A request's path (percent-decoded) and raw query.
std::pair<std::string, std::string> split(const scripted_request& r) {
    const auto q = r.target.find('?');
    return {percent_decoded(r.target.substr(0, q)),
            q == std::string::npos ? std::string() : r.target.substr(q + 1)};
}

action json(unsigned status, std::string body, std::string type = "application/json") {
    return action{
        .status = status, .headers = {{"Content-Type", std::move(type)}}, .body = std::move(body)};
}

action registry_error(unsigned status, std::string code) {
    return json(status, R"({"errors":[{"code":")" + code + R"(","message":"scripted"}]})");
}

/// A small registry for the repository `app`: manifests stored in memory, by tag and digest.
/// Without `referrers` its referrers endpoint answers as distribution 2.8 does (a plain-text
/// 404): it has no referrers API.
struct fake_registry {
    using referrers_handler = std::function<action(const scripted_request&, const std::string&)>;

    referrers_handler referrers{};
    /// PUT of a manifest with a subject answers `OCI-Subject`.
    bool oci_subject = false;
    /// DELETE of an image index answers 405 UNSUPPORTED (other deletes work).
    bool refuse_index_deletes = false;

    std::mutex mu{};
    std::map<std::string, std::pair<std::string, std::string>> manifests{};  // ref -> type, bytes
    std::map<std::string, std::string> blobs{};                              // digest -> bytes

    /// Blobs as distribution keeps them: HEAD/GET by digest, a POST session, a PUT to close it.
    action blob(const scripted_request& r, const std::string& path, const std::string& query) {
        std::lock_guard lock(mu);
        const std::string prefix = "/v2/app/blobs/";
        if (path == prefix + "uploads/" && r.method == "POST") {
            return action{.status = 202, .headers = {{"Location", "/v2/app/blobs/uploads/1"}}};
        }
        if (path == prefix + "uploads/1" && r.method == "PUT") {
            const auto d = oras::digest::of(r.body).str();
            if (percent_decoded(query) != "digest=" + d) {
                return registry_error(400, "DIGEST_INVALID");
            }
            blobs[d] = r.body;
            return action{.status = 201,
                          .headers = {{"Docker-Content-Digest", d}, {"Location", prefix + d}}};
        }
        const auto it = blobs.find(path.substr(prefix.size()));
        if (it == blobs.end()) {
            return registry_error(404, "BLOB_UNKNOWN");
        }
        return action{.headers = {{"Content-Type", "application/octet-stream"},
                                  {"Docker-Content-Digest", it->first}},
                      .body = it->second};
    }

    action operator()(const scripted_request& r) {
        const auto [path, query] = split(r);
        if (path == "/v2/") {
            return json(200, "{}");
        }
        if (path.starts_with("/v2/app/blobs/")) {
            return blob(r, path, query);
        }
        if (path.starts_with("/v2/app/referrers/")) {
            if (referrers) {
                return referrers(r, query);
            }
            return action{.status = 404,
                          .headers = {{"Content-Type", "text/plain; charset=utf-8"}},
                          .body = "404 page not found\n"};
        }
        const std::string prefix = "/v2/app/manifests/";
        if (!path.starts_with(prefix)) {
            return registry_error(404, "NAME_UNKNOWN");
        }
        const auto ref = path.substr(prefix.size());
        std::lock_guard lock(mu);
        if (r.method == "GET" || r.method == "HEAD") {
            const auto it = manifests.find(ref);
            if (it == manifests.end()) {
                return registry_error(404, "MANIFEST_UNKNOWN");
            }
            return action{
                .headers = {{"Content-Type", it->second.first},
                            {"Docker-Content-Digest", oras::digest::of(it->second.second).str()}},
                .body = it->second.second};
        }
        if (r.method == "PUT") {
            const auto d = oras::digest::of(r.body).str();
            if (r.header("Content-Type") == index_type) {
                // As distribution: every manifest an index lists must exist.
                const auto idx = oras::image_index::parse(r.body);
                if (!idx) {
                    return registry_error(400, "MANIFEST_INVALID");
                }
                for (const auto& m : idx->manifests) {
                    if (!manifests.contains(m.digest.str())) {
                        return registry_error(400, "MANIFEST_BLOB_UNKNOWN");
                    }
                }
            }
            manifests[ref] = manifests[d] = {r.header("Content-Type"), r.body};
            action a{.status = 201,
                     .headers = {{"Docker-Content-Digest", d}, {"Location", prefix + d}}};
            if (oci_subject && r.body.find("\"subject\"") != std::string::npos) {
                a.headers.emplace_back("OCI-Subject", "sha256:scripted");
            }
            return a;
        }
        if (r.method == "DELETE") {
            const auto it = manifests.find(ref);
            if (it == manifests.end()) {
                return registry_error(404, "MANIFEST_UNKNOWN");
            }
            if (refuse_index_deletes && it->second.first == index_type) {
                return registry_error(405, "UNSUPPORTED");
            }
            // As distribution: the tags pointing at the manifest go with it.
            std::erase_if(manifests, [&](const auto& m) {
                return oras::digest::of(m.second.second).str() == ref;
            });
            return action{.status = 202};
        }
        return registry_error(405, "UNSUPPORTED");
    }

    std::optional<std::pair<std::string, std::string>> stored(const std::string& ref) {
        std::lock_guard lock(mu);
        const auto it = manifests.find(ref);
        if (it == manifests.end()) {
            return std::nullopt;
        }
        return it->second;
    }
};

struct fixture {
    explicit fixture(oras::registry::repository_options options = {})
        : server([this](const scripted_request& r) { return reg(r); }) {
        oras::http::client_options o;
        o.retry.base_delay = 1ms;
        o.retry.max_delay = 5ms;
        o.proxy.from_environment = false;
        auth.emplace(oras::http::client(io.get_executor(), o));
        repo.emplace(*auth, server.host(), "app", options);
    }

    template <class T>
    T operator()(asio::awaitable<T> a) {
        return run(io, std::move(a));
    }

    /// Requests since the last call whose method is `method` and path starts with `path`.
    std::size_t count(std::string_view method, std::string_view path) {
        const auto reqs = server.requests();
        std::size_t n = 0;
        for (std::size_t i = seen; i < reqs.size(); ++i) {
            if (reqs[i].method == method && split(reqs[i]).first.starts_with(path)) {
                ++n;
            }
        }
        return n;
    }
    /// Forgets the requests so far for `count`.
    void mark() { seen = server.requests().size(); }

    fake_registry reg;  // before the server, which calls it
    scripted_server server;
    asio::io_context io;
    std::optional<oras::auth::client> auth;
    std::optional<oras::registry::repository> repo;
    std::size_t seen = 0;
};

descriptor listed(std::string_view name, std::string artifact_type) {
    descriptor d;
    d.media_type = manifest_type;
    d.digest = oras::digest::of(name);
    d.size = 100;
    d.artifact_type = std::move(artifact_type);
    d.annotations = {{"org.example.name", std::string(name)}};
    return d;
}

std::string index_of(std::vector<descriptor> manifests) {
    oras::image_index idx;
    idx.media_type = index_type;
    idx.manifests = std::move(manifests);
    return idx.serialize();
}

const oras::digest subject = oras::digest::of(std::string_view("the subject"));

std::string referrer_bytes(std::string artifact_type) {
    oras::image_manifest m;
    m.media_type = manifest_type;
    m.artifact_type = std::move(artifact_type);
    m.config = oras::empty_json_descriptor();
    m.layers = {oras::empty_json_descriptor()};
    descriptor s;
    s.media_type = manifest_type;
    s.digest = subject;
    s.size = 11;
    m.subject = s;
    m.annotations = {{"org.example.kind", m.artifact_type}};
    return m.serialize();
}

std::vector<std::string> names(const std::vector<descriptor>& list) {
    std::vector<std::string> out;
    for (const auto& d : list) {
        out.push_back(std::string(d.annotation("org.example.name")));
    }
    return out;
}

oras::error error_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const oras::error& e) {
        return e;
    }
    ADD_FAILURE() << "no error";
    return oras::error(oras::errc::unexpected_status, "none");
}

const std::string fallback_tag = "sha256-" + std::string(subject.encoded());

// --- a registry with the referrers API
// ------------------------------------------------------------

TEST(registry_referrers, listed_from_the_api_across_pages) {
    fixture f;
    std::vector<std::string> accepts;
    f.reg.referrers = [&](const scripted_request& r, const std::string& query) {
        accepts.push_back(r.header("Accept"));
        if (query.find("page=2") == std::string::npos) {
            auto a = json(200, index_of({listed("a", "x/sbom"), listed("b", "x/sig")}), index_type);
            a.headers.emplace_back(
                "Link", "</v2/app/referrers/" + subject.str() + "?page=2>; rel=\"next\"");
            return a;
        }
        return json(200, index_of({listed("c", "x/sbom")}), index_type);
    };
    const auto all = f(f.repo->referrers(subject));
    EXPECT_EQ(names(all), (std::vector<std::string>{"a", "b", "c"}));
    EXPECT_EQ(all[1].artifact_type, "x/sig");
    EXPECT_EQ(f.count("GET", "/v2/app/referrers/" + subject.str()), 2u);
    EXPECT_EQ(f.count("GET", "/v2/app/manifests/"), 0u);
    ASSERT_EQ(accepts.size(), 2u);
    EXPECT_EQ(accepts[0], index_type);
}

TEST(registry_referrers, a_filter_the_registry_applied_is_not_applied_again) {
    fixture f;
    std::string asked;
    f.reg.referrers = [&](const scripted_request&, const std::string& query) {
        asked = query;
        // The registry says it filtered: what it lists is taken as is (here, on purpose, an
        // entry of another type that the client would otherwise drop).
        auto a = json(200, index_of({listed("a", "x/sbom"), listed("b", "x/sig")}), index_type);
        a.headers.emplace_back("OCI-Filters-Applied", "artifactType");
        return a;
    };
    EXPECT_EQ(names(f(f.repo->referrers(subject, "x/sbom"))), (std::vector<std::string>{"a", "b"}));
    EXPECT_EQ(asked, "artifactType=x/sbom");
}

TEST(registry_referrers, without_oci_filters_applied_the_client_filters) {
    fixture f;
    f.reg.referrers = [&](const scripted_request&, const std::string&) {
        return json(200,
                    index_of({listed("a", "x/sbom"), listed("b", "x/sig"), listed("c", "x/sbom")}),
                    index_type);
    };
    EXPECT_EQ(names(f(f.repo->referrers(subject, "x/sbom"))), (std::vector<std::string>{"a", "c"}));
    EXPECT_EQ(names(f(f.repo->referrers(subject))), (std::vector<std::string>{"a", "b", "c"}));
}

TEST(registry_referrers, a_push_answered_with_oci_subject_makes_no_fallback_requests) {
    fixture f;
    f.reg.oci_subject = true;
    f.reg.referrers = [&](const scripted_request&, const std::string&) {
        return json(200, index_of({}), index_type);
    };
    const auto pushed = f(f.repo->push_manifest(manifest_type, referrer_bytes("x/sig")));
    EXPECT_EQ(f.count("PUT", "/v2/app/manifests/"), 1u);
    EXPECT_EQ(f.count("GET", "/v2/app/referrers/"), 0u);
    EXPECT_EQ(f.count("GET", "/v2/app/manifests/"), 0u);
    EXPECT_EQ(f.count("DELETE", "/v2/app/manifests/"), 0u);
    EXPECT_FALSE(f.reg.stored(fallback_tag).has_value());

    // The repository now knows the API: a delete does not fetch the manifest first, and the
    // listing asks the API alone.
    f.mark();
    f(f.repo->delete_manifest(pushed.digest));
    EXPECT_EQ(f.count("DELETE", "/v2/app/manifests/"), 1u);
    EXPECT_EQ(f.count("GET", "/"), 0u);
    f.mark();
    EXPECT_TRUE(f(f.repo->referrers(subject)).empty());
    EXPECT_EQ(f.count("GET", "/v2/app/referrers/"), 1u);
    EXPECT_EQ(f.count("GET", "/v2/app/manifests/"), 0u);
}

TEST(registry_referrers, a_probe_answered_with_an_index_means_the_api) {
    // A registry of the 1.1 release candidates: the API, but no OCI-Subject on push.
    fixture f;
    f.reg.referrers = [&](const scripted_request&, const std::string&) {
        return json(200, index_of({}), index_type);
    };
    f(f.repo->push_manifest(manifest_type, referrer_bytes("x/sig")));
    EXPECT_EQ(f.count("GET", "/v2/app/referrers/" + subject.str()), 1u);
    EXPECT_EQ(f.count("GET", "/v2/app/manifests/"), 0u);
    EXPECT_FALSE(f.reg.stored(fallback_tag).has_value());
    f.mark();
    f(f.repo->push_manifest(manifest_type, referrer_bytes("x/sbom")));
    EXPECT_EQ(f.count("GET", "/"), 0u);  // learned once
}

TEST(registry_referrers, garbage_from_the_api_is_a_clear_error) {
    fixture f;
    std::string body = "{\"schemaVersion\": 2, \"manifests\": [";  // cut short
    f.reg.referrers = [&](const scripted_request&, const std::string&) {
        return json(200, body, index_type);
    };
    auto e = error_of([&] { f(f.repo->referrers(subject)); });
    EXPECT_EQ(e.code(), oras::errc::invalid_response) << e.what();
    const std::string what = e.what();
    EXPECT_NE(what.find("cannot list the referrers of " + subject.str()), std::string::npos)
        << what;
    EXPECT_NE(what.find("invalid image index"), std::string::npos) << what;
    EXPECT_EQ(e.diag().method, "GET");
    EXPECT_EQ(e.diag().status, 200u);
    EXPECT_NE(e.diag().url.find("/v2/app/referrers/"), std::string::npos);

    // Well-formed JSON that is not an index (a manifest) is refused too, and no fallback tag
    // was asked for: a registry that answers 200 has the route.
    body = referrer_bytes("x/sig");
    e = error_of([&] { f(f.repo->referrers(subject)); });
    EXPECT_EQ(e.code(), oras::errc::invalid_response) << e.what();
    EXPECT_EQ(f.count("GET", "/v2/app/manifests/"), 0u);
}

TEST(registry_referrers, once_the_api_is_known_a_404_is_an_error_not_a_fallback) {
    fixture f;
    bool up = true;
    f.reg.referrers = [&](const scripted_request&, const std::string&) {
        return up ? json(200, index_of({listed("a", "x/sig")}), index_type)
                  : registry_error(404, "MANIFEST_UNKNOWN");
    };
    EXPECT_EQ(f(f.repo->referrers(subject)).size(), 1u);
    up = false;
    const auto e = error_of([&] { f(f.repo->referrers(subject)); });
    EXPECT_EQ(e.code(), oras::errc::not_found) << e.what();
    EXPECT_EQ(f.count("GET", "/v2/app/manifests/"), 0u);
}

TEST(registry_referrers, pages_are_capped) {
    fixture f({.max_pages = 3});
    int page = 0;
    f.reg.referrers = [&](const scripted_request&, const std::string&) {
        auto a = json(200, index_of({listed("a", "x/sig")}), index_type);
        a.headers.emplace_back("Link", "</v2/app/referrers/" + subject.str()
                                           + "?page=" + std::to_string(++page) + ">; rel=\"next\"");
        return a;
    };
    const auto e = error_of([&] { f(f.repo->referrers(subject)); });
    EXPECT_EQ(e.code(), oras::errc::invalid_response) << e.what();
    EXPECT_NE(std::string(e.what()).find("more than 3 pages"), std::string::npos) << e.what();
    EXPECT_EQ(page, 3);
}

TEST(registry_referrers, a_missing_repository_has_no_referrers) {
    fixture f;
    f.reg.referrers = [&](const scripted_request&, const std::string&) {
        return registry_error(404, "NAME_UNKNOWN");
    };
    EXPECT_TRUE(f(f.repo->referrers(subject)).empty());
    EXPECT_EQ(f.count("GET", "/v2/app/manifests/"), 0u);
}

// --- a registry without it ---------------------------------------------------------------------

TEST(registry_referrers, a_404_from_the_referrers_endpoint_switches_to_the_fallback) {
    fixture f;
    f.reg.refuse_index_deletes = true;
    const auto sig = f(f.repo->push_manifest(manifest_type, referrer_bytes("x/sig")));
    // The probe, then the fallback index: none yet, so a new one.
    EXPECT_EQ(f.count("GET", "/v2/app/referrers/" + subject.str()), 1u);
    EXPECT_EQ(f.count("GET", "/v2/app/manifests/" + fallback_tag), 1u);
    EXPECT_EQ(f.count("PUT", "/v2/app/manifests/" + fallback_tag), 1u);
    auto stored = f.reg.stored(fallback_tag);
    ASSERT_TRUE(stored.has_value());
    EXPECT_EQ(stored->first, index_type);
    auto idx = oras::image_index::parse(stored->second);
    ASSERT_TRUE(idx) << idx.error().message;
    EXPECT_EQ(idx->media_type, index_type);
    ASSERT_EQ(idx->manifests.size(), 1u);
    EXPECT_EQ(idx->manifests[0].digest, sig.digest);
    EXPECT_EQ(idx->manifests[0].artifact_type, "x/sig");
    EXPECT_EQ(idx->manifests[0].annotation("org.example.kind"), "x/sig");
    const auto first_index = oras::digest::of(stored->second);

    // The second push neither probes again nor loses the first; the old index's delete is
    // refused (405), which is no failure.
    f.mark();
    const auto sbom = f(f.repo->push_manifest(manifest_type, referrer_bytes("x/sbom")));
    EXPECT_EQ(f.count("GET", "/v2/app/referrers/"), 0u);
    EXPECT_EQ(f.count("PUT", "/v2/app/manifests/" + fallback_tag), 1u);
    EXPECT_EQ(f.count("DELETE", "/v2/app/manifests/" + first_index.str()), 1u);

    f.mark();
    auto all = f(f.repo->referrers(subject));
    ASSERT_EQ(all.size(), 2u);
    EXPECT_EQ(all[0].digest, sig.digest);
    EXPECT_EQ(all[1].digest, sbom.digest);
    EXPECT_EQ(f.count("GET", "/v2/app/referrers/"), 0u);
    EXPECT_EQ(f.count("GET", "/v2/app/manifests/" + fallback_tag), 1u);
    const auto sboms = f(f.repo->referrers(subject, "x/sbom"));
    ASSERT_EQ(sboms.size(), 1u);
    EXPECT_EQ(sboms[0].digest, sbom.digest);

    // Deleting both: the index cannot be deleted here, so it is replaced by an empty one.
    f(f.repo->delete_manifest(sig.digest));
    all = f(f.repo->referrers(subject));
    ASSERT_EQ(all.size(), 1u);
    EXPECT_EQ(all[0].digest, sbom.digest);
    f(f.repo->delete_manifest(sbom.digest));
    EXPECT_TRUE(f(f.repo->referrers(subject)).empty());
    stored = f.reg.stored(fallback_tag);
    ASSERT_TRUE(stored.has_value());
    idx = oras::image_index::parse(stored->second);
    ASSERT_TRUE(idx);
    EXPECT_TRUE(idx->manifests.empty());
}

// Two listings side by side on a registry without the API: the one whose 404 comes second
// asked while the mode was unknown, and falls back too (it used to read the mode only after its
// answer, which the other listing had just set, and took its own 404 for an error: `mirror -r`
// lost artifacts to this at random).
TEST(registry_referrers, listings_side_by_side_both_fall_back) {
    fixture f;
    const auto other = oras::digest::of(std::string_view("another subject"));
    f.reg.referrers = [&](const scripted_request& r, const std::string&) {
        const bool slow = split(r).first.ends_with(subject.str());
        return action{.status = 404,
                      .headers = {{"Content-Type", "text/plain; charset=utf-8"}},
                      .body = "404 page not found\n",
                      .delay_before_head = slow ? 300ms : 0ms};
    };
    std::vector<std::exception_ptr> failed(2);
    std::vector<std::size_t> found(2, 99);
    for (std::size_t i = 0; i < 2; ++i) {
        auto listing = f.repo->referrers(i == 0 ? subject : other);
        asio::co_spawn(f.io, std::move(listing),
                       [&, i](std::exception_ptr e, std::vector<descriptor> list) {
                           failed[i] = e;
                           found[i] = list.size();
                       });
    }
    f.io.run();
    for (std::size_t i = 0; i < 2; ++i) {
        EXPECT_FALSE(failed[i]) << i << ": " << [&] {
            try {
                std::rethrow_exception(failed[i]);
            } catch (const std::exception& e) {
                return std::string(e.what());
            }
        }();
        EXPECT_EQ(found[i], 0u) << i;
    }
    EXPECT_EQ(f.count("GET", "/v2/app/referrers/"), 2u);
}

TEST(registry_referrers, the_last_referrer_deleted_takes_the_fallback_index_with_it) {
    fixture f;
    const auto sig = f(f.repo->push_manifest(manifest_type, referrer_bytes("x/sig")));
    ASSERT_TRUE(f.reg.stored(fallback_tag).has_value());
    f.mark();
    f(f.repo->delete_manifest(sig.digest));
    EXPECT_FALSE(f.reg.stored(fallback_tag).has_value());
    EXPECT_EQ(f.count("PUT", "/"), 0u);
    EXPECT_TRUE(f(f.repo->referrers(subject)).empty());
}

TEST(registry_referrers, a_fallback_tag_that_is_not_an_index_is_reported_on_push) {
    fixture f;
    {
        std::lock_guard lock(f.reg.mu);
        f.reg.manifests[fallback_tag] = {manifest_type, referrer_bytes("x/other")};
    }
    const auto e =
        error_of([&] { f(f.repo->push_manifest(manifest_type, referrer_bytes("x/sig"))); });
    EXPECT_EQ(e.code(), oras::errc::invalid_manifest) << e.what();
    EXPECT_NE(std::string(e.what()).find(fallback_tag), std::string::npos) << e.what();
    // Listing: "the tag schema does not return a valid image index" -> no referrers.
    EXPECT_TRUE(f(f.repo->referrers(subject)).empty());
}

TEST(registry_referrers, entries_whose_manifests_are_gone_are_dropped_from_the_fallback_index) {
    fixture f;
    const auto sig = f(f.repo->push_manifest(manifest_type, referrer_bytes("x/sig")));
    const auto sbom = f(f.repo->push_manifest(manifest_type, referrer_bytes("x/sbom")));
    {
        // Deleted by a client that did not update the index.
        std::lock_guard lock(f.reg.mu);
        f.reg.manifests.erase(sig.digest.str());
    }
    f.mark();
    const auto other = f(f.repo->push_manifest(manifest_type, referrer_bytes("x/other")));
    // Refused once (the registry checks the entries), the dangling entry found with HEAD and
    // dropped, pushed again.
    EXPECT_EQ(f.count("PUT", "/v2/app/manifests/" + fallback_tag), 2u);
    EXPECT_EQ(f.count("HEAD", "/v2/app/manifests/"), 3u);
    const auto all = f(f.repo->referrers(subject));
    ASSERT_EQ(all.size(), 2u);
    EXPECT_EQ(all[0].digest, sbom.digest);
    EXPECT_EQ(all[1].digest, other.digest);
}

// --- attach and discover through the API, and a capability fixed by the caller --------------

/// The referrers API answered from the manifests stored: those whose subject is the digest.
fake_registry::referrers_handler api_from_store(fake_registry& reg) {
    return [&reg](const scripted_request& r, const std::string&) {
        const auto digest = split(r).first.substr(std::string("/v2/app/referrers/").size());
        std::vector<descriptor> found;
        std::lock_guard lock(reg.mu);
        for (const auto& [ref, stored] : reg.manifests) {
            std::optional<descriptor> of;
            auto d = descriptor{};
            if (stored.first == oras::media_type::artifact_manifest) {
                if (const auto a = oras::artifact_manifest::parse(stored.second)) {
                    of = a->subject;
                    d.artifact_type = a->artifact_type;
                    d.annotations = a->annotations;
                }
            } else if (const auto m = oras::image_manifest::parse(stored.second)) {
                of = m->subject;
                d.artifact_type = m->artifact_type;
                d.annotations = m->annotations;
            }
            if (ref.starts_with("sha256:") && of && of->digest.str() == digest) {
                d.media_type = stored.first;
                d.digest = oras::digest::of(stored.second);
                d.size = static_cast<std::int64_t>(stored.second.size());
                found.push_back(std::move(d));
            }
        }
        return json(200, index_of(found), index_type);
    };
}

std::string plain_manifest() {
    oras::image_manifest m;
    m.media_type = manifest_type;
    m.config = oras::empty_json_descriptor();
    return m.serialize();
}

TEST(registry_referrers, attach_and_discover_through_the_referrers_api) {
    fixture f;
    f.reg.oci_subject = true;
    f.reg.referrers = api_from_store(f.reg);
    f.reg.blobs[oras::empty_json_descriptor().digest.str()] = "{}";
    f(f.repo->push_manifest(manifest_type, plain_manifest(), "v1"));
    oras::registry::repository_target target(*f.repo);

    oras::ops::attach_options o;
    o.artifact_type = "application/vnd.test.sig";
    o.annotations["$manifest"]["org.example.k"] = "v";
    f.mark();
    const auto sig = f(oras::ops::attach(target, "v1", o));
    o.artifact_type = "application/vnd.test.sbom";
    const auto sbom = f(oras::ops::attach(target, sig.manifest.digest.str(), o));
    // The registry indexed them (OCI-Subject): no fallback index was read or written.
    EXPECT_EQ(f.count("GET", "/v2/app/referrers/"), 0u);
    EXPECT_EQ(f.count("PUT", "/v2/app/manifests/sha256-"), 0u);

    const auto r = f(oras::ops::discover(target, "v1", {}));
    ASSERT_EQ(r.referrers.size(), 1u);
    EXPECT_EQ(r.referrers[0].desc.digest, sig.manifest.digest);
    EXPECT_EQ(r.referrers[0].desc.annotations.at("org.example.k"), "v");
    ASSERT_EQ(r.referrers[0].referrers.size(), 1u);
    EXPECT_EQ(r.referrers[0].referrers[0].desc.digest, sbom.manifest.digest);
    EXPECT_EQ(f.count("GET", "/v2/app/referrers/"), 3u);  // the subject, sig, sbom
    EXPECT_EQ(f.count("GET", "/v2/app/manifests/sha256-"), 0u);
}

// An artifact manifest in a registry that kept it (ORAS 1.0 could push them; some registries still
// serve them): asked for with its type accepted, listed by the referrers API, mirrored into a
// layout with its blob, and pushed from there to the manifests endpoint under its own type,
// after its blob, into a registry without the API: indexed in the fallback tag's index.
TEST(registry_referrers, an_artifact_manifest_is_mirrored_with_its_blob) {
    fixture f;
    f.reg.oci_subject = true;
    f.reg.referrers = api_from_store(f.reg);
    f.reg.blobs[oras::empty_json_descriptor().digest.str()] = "{}";
    const auto subject_desc = f(f.repo->push_manifest(manifest_type, plain_manifest(), "v1"));
    const std::string sbom = R"({"spdxVersion":"SPDX-2.3"})";
    const auto sbom_digest = oras::digest::of(sbom).str();
    f.reg.blobs[sbom_digest] = sbom;
    const std::string artifact =
        R"({"mediaType":"application/vnd.oci.artifact.manifest.v1+json","artifactType":"doc/sbom",)"
        R"("blobs":[{"mediaType":"application/spdx+json","digest":")"
        + sbom_digest + R"(","size":)" + std::to_string(sbom.size())
        + R"(}],"subject":{"mediaType":")" + manifest_type + R"(","digest":")"
        + subject_desc.digest.str() + R"(","size":)" + std::to_string(subject_desc.size) + "}}";
    const auto artifact_digest = oras::digest::of(artifact).str();
    f.reg.manifests[artifact_digest] = {std::string(oras::media_type::artifact_manifest), artifact};

    oras::test::temp_dir dir;
    oras::content::oci_layout layout(dir.path() / "mirror");
    oras::registry::repository_target source(*f.repo);
    const auto r = f(oras::ops::copy(source, "v1", layout, {.recursive = true}));
    EXPECT_EQ(r.referrers, 1u);
    descriptor art;
    art.media_type = oras::media_type::artifact_manifest;
    art.digest = oras::digest::parse(artifact_digest).value();
    art.size = static_cast<std::int64_t>(artifact.size());
    EXPECT_TRUE(f(layout.exists(art)));
    EXPECT_EQ(
        oras::test::read_file(dir.path() / "mirror" / "blobs" / "sha256" / sbom_digest.substr(7)),
        sbom);
    std::size_t asked = 0;
    for (const auto& req : f.server.requests()) {
        if (req.method == "GET" && split(req).first == "/v2/app/manifests/" + artifact_digest) {
            ++asked;
            EXPECT_NE(req.header("Accept").find(oras::media_type::artifact_manifest),
                      std::string::npos)
                << req.header("Accept");
        }
    }
    EXPECT_EQ(asked, 1u);

    fixture back;  // no referrers API, no OCI-Subject
    oras::registry::repository_target dst(*back.repo);
    back(oras::ops::copy(layout, "v1", dst, {.recursive = true}));
    const auto stored = back.reg.stored(artifact_digest);
    ASSERT_TRUE(stored);
    EXPECT_EQ(stored->first, oras::media_type::artifact_manifest);
    EXPECT_EQ(stored->second, artifact);
    EXPECT_EQ(back.reg.blobs.at(sbom_digest), sbom);
    EXPECT_FALSE(back.reg.blobs.contains(artifact_digest));       // never sent as a blob
    EXPECT_EQ(back.count("POST", "/v2/app/blobs/uploads/"), 2u);  // the empty config, the SBOM
    const auto reqs = back.server.requests();
    const auto at = [&](const std::string& method, const std::string& needle) {
        for (std::size_t i = 0; i < reqs.size(); ++i) {
            if (reqs[i].method == method && reqs[i].target.find(needle) != std::string::npos) {
                return i;
            }
        }
        ADD_FAILURE() << method << " " << needle << " never sent";
        return reqs.size();
    };
    EXPECT_LT(at("PUT", sbom_digest), at("PUT", "/manifests/" + artifact_digest));
    const auto fallback = back.reg.stored("sha256-" + std::string(subject_desc.digest.encoded()));
    ASSERT_TRUE(fallback);
    EXPECT_NE(fallback->second.find(artifact_digest), std::string::npos) << fallback->second;
    const auto listed = back(dst.referrers(subject_desc, {}));
    ASSERT_EQ(listed.size(), 1u);
    EXPECT_EQ(listed[0].artifact_type, "doc/sbom");
}

TEST(registry_referrers, the_tag_schema_when_asked_for_even_with_the_api) {
    fixture f({.referrers = oras::registry::referrers_capability::tag_schema});
    f.reg.oci_subject = true;
    f.reg.referrers = api_from_store(f.reg);
    f(f.repo->push_manifest(manifest_type, referrer_bytes("x/sig")));
    EXPECT_TRUE(f.reg.stored(fallback_tag).has_value());  // indexed by the client all the same
    f.mark();
    const auto listed = f(f.repo->referrers(subject));
    ASSERT_EQ(listed.size(), 1u);
    EXPECT_EQ(f.count("GET", "/v2/app/referrers/"), 0u);
}

TEST(registry_referrers, the_api_when_asked_for_never_touches_the_fallback_index) {
    fixture f({.referrers = oras::registry::referrers_capability::api});
    // distribution 2.8: no API, no OCI-Subject.
    f(f.repo->push_manifest(manifest_type, referrer_bytes("x/sig")));
    EXPECT_FALSE(f.reg.stored(fallback_tag).has_value());
    EXPECT_EQ(f.count("GET", "/v2/app/manifests/sha256-"), 0u);
    // Its 404 is then an error, not a reason to read the fallback index.
    const auto e = error_of([&] { f(f.repo->referrers(subject)); });
    EXPECT_EQ(e.code(), oras::make_error_code(oras::errc::not_found));
    EXPECT_EQ(f.count("GET", "/v2/app/manifests/sha256-"), 0u);
}

}  // namespace
